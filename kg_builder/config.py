"""Where the project's files live (`PATHS`) and how to reach Neo4j (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import Driver, GraphDatabase

from kg_builder.sources.datasets import PROVENANCE_PREFIX

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_PASSWORD_FILE = REPO_ROOT / ".neo4j" / "password"


@dataclass(frozen=True)
class Paths:
    """Every folder the project reads or writes; the only place that builds them (see `from_env`)."""

    repo: Path
    catalog: Path  # the demo catalog (input records and curated images)
    knowledge: Path  # value lexicon and held-out label files
    nlu: Path  # Rasa training data (lookups.yml is generated)
    models: Path  # trained models (not committed)
    media: Path  # generated videos (not committed)
    results: Path  # metrics written by the build and the trainings
    benchmark_results: Path  # figures written by benchmarks/
    shared_data: Path  # the public datasets (../shared/data beside the checkout)

    @classmethod
    def from_env(cls, repo: Path = REPO_ROOT) -> Paths:
        """The repository's layout; MKG_MODELS_DIR, MKG_MEDIA_DIR (or MEDIA_DIR), MKG_RESULTS_DIR,
        MKG_BENCHMARK_RESULTS_DIR and SHARED_DATA move a folder elsewhere (a relative path is taken from the
        working directory)."""
        return cls(
            repo=repo,
            catalog=repo / "data" / "catalog",
            knowledge=repo / "data" / "knowledge",
            nlu=repo / "data" / "nlu",
            models=_folder(repo / "models", "MKG_MODELS_DIR"),
            media=_folder(repo / "media", "MKG_MEDIA_DIR", "MEDIA_DIR"),
            results=_folder(repo / "results", "MKG_RESULTS_DIR"),
            benchmark_results=_folder(repo / "benchmarks" / "results", "MKG_BENCHMARK_RESULTS_DIR"),
            shared_data=_folder(repo.parent / "shared" / "data", "SHARED_DATA"),
        )

    def served(self) -> dict[str, Path]:
        """URL path prefix → folder, for what the chat page's server (web/serve.py) may serve besides the page
        (web/index.html): the chat widget's bundle and the folders of images and videos."""
        return {
            "web/node_modules/rasa-webchat/lib/": self.repo / "web" / "node_modules" / "rasa-webchat" / "lib",
            "media/": self.media,
            "data/catalog/images/": self.catalog / "images",
            "models/images/extracted/pieces/": self.models / "images" / "extracted" / "pieces",
            PROVENANCE_PREFIX: self.shared_data,
        }


def _folder(default: Path, *variables: str) -> Path:
    """The first of `variables` that is set (made absolute), else `default`."""
    for name in variables:
        if value := os.environ.get(name):
            return Path(value).expanduser().resolve()
    return default


PATHS = Paths.from_env()


@dataclass(frozen=True)
class Neo4jSettings:
    """Where the graph lives and how to log in."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"

    @classmethod
    def from_env(cls) -> Neo4jSettings:
        """Read NEO4J_* variables; fall back to the project's own server and its generated password."""
        uri = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
        secret = os.environ.get("NEO4J_PASSWORD")
        if secret is None:
            secret = generated_password(LOCAL_PASSWORD_FILE)
        if not secret:
            raise RuntimeError("no Neo4j password: set NEO4J_PASSWORD, or start the project's Neo4j with `make neo4j`")
        user = os.environ.get("NEO4J_USER", "neo4j")
        return cls(uri, user, secret, os.environ.get("NEO4J_DATABASE", "neo4j"))


def generated_password(path: Path) -> str:
    """The password scripts/env.sh generated for a Neo4j home into an untracked file ('' when there is none)."""
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


def connect(settings: Neo4jSettings | None = None, **driver_options: Any) -> Driver:
    """Open a driver and check that the server answers; `driver_options` go to `GraphDatabase.driver`."""
    settings = settings or Neo4jSettings.from_env()
    driver = GraphDatabase.driver(
        settings.uri, auth=(settings.user, settings.password), notifications_min_severity="OFF", **driver_options
    )
    driver.verify_connectivity()
    return driver
