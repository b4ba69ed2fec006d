"""Neo4j connection settings from the environment (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import Driver, GraphDatabase

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_PASSWORD_FILE = REPO_ROOT / ".neo4j" / "password"


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
        if secret is None and LOCAL_PASSWORD_FILE.is_file():
            secret = LOCAL_PASSWORD_FILE.read_text(encoding="utf-8").strip()
        if not secret:
            raise RuntimeError("no Neo4j password: set NEO4J_PASSWORD, or start the project's Neo4j with `make neo4j`")
        user = os.environ.get("NEO4J_USER", "neo4j")
        return cls(uri, user, secret, os.environ.get("NEO4J_DATABASE", "neo4j"))


def connect(settings: Neo4jSettings | None = None, **driver_options: Any) -> Driver:
    """Open a driver and check that the server answers; `driver_options` go to `GraphDatabase.driver`."""
    settings = settings or Neo4jSettings.from_env()
    driver = GraphDatabase.driver(
        settings.uri, auth=(settings.user, settings.password), notifications_min_severity="OFF", **driver_options
    )
    driver.verify_connectivity()
    return driver
