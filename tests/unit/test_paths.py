"""Where files live: the `Paths` of kg_builder.config, the dataset names of kg_builder.sources.datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg_builder.__main__ import COMMANDS, _parser
from kg_builder.config import PATHS, REPO_ROOT, Paths
from kg_builder.sources import datasets

VARIABLES = (
    "MKG_MODELS_DIR",
    "MKG_MEDIA_DIR",
    "MEDIA_DIR",
    "MKG_RESULTS_DIR",
    "MKG_BENCHMARK_RESULTS_DIR",
    "SHARED_DATA",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_default_layout_is_the_repository_and_the_shared_data_beside_it(clean_env: pytest.MonkeyPatch) -> None:
    paths = Paths.from_env()
    assert paths.repo == REPO_ROOT
    assert paths.catalog == REPO_ROOT / "data" / "catalog"
    assert paths.knowledge == REPO_ROOT / "data" / "knowledge"
    assert paths.nlu == REPO_ROOT / "data" / "nlu"
    assert (paths.models, paths.media, paths.results) == (
        REPO_ROOT / "models",
        REPO_ROOT / "media",
        REPO_ROOT / "results",
    )
    assert paths.benchmark_results == REPO_ROOT / "benchmarks" / "results"
    assert paths.shared_data == REPO_ROOT.parent / "shared" / "data"


def test_the_environment_moves_folders(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.chdir(tmp_path)
    clean_env.setenv("MKG_MODELS_DIR", "trained")
    clean_env.setenv("MEDIA_DIR", str(tmp_path / "old-media"))
    clean_env.setenv("SHARED_DATA", str(tmp_path / "datasets"))
    paths = Paths.from_env()
    assert paths.models == tmp_path.resolve() / "trained"  # relative: from the working directory
    assert paths.media == tmp_path.resolve() / "old-media"  # today's MEDIA_DIR still works
    assert paths.shared_data == tmp_path.resolve() / "datasets"
    assert paths.results == REPO_ROOT / "results"
    clean_env.setenv("MKG_MEDIA_DIR", str(tmp_path / "media"))
    assert Paths.from_env().media == tmp_path.resolve() / "media"  # the MKG_ name wins
    assert Paths.from_env().served()["media/"] == tmp_path.resolve() / "media"


def test_provenance_cites_the_shared_data_folder() -> None:
    assert datasets.provenance(datasets.ECD_TRAIN, 7) == "shared/data/ecd_taobao_dialogue_sample/train#L7"
    assert datasets.provenance(Path(datasets.GROCERY) / "x.txt") == "shared/data/grocery_store_products/x.txt"


@pytest.mark.skipif(not PATHS.shared_data.is_dir(), reason="needs ../shared/data")
def test_every_named_dataset_file_is_in_the_shared_data() -> None:
    named = [value for name, value in vars(datasets).items() if name.isupper() and name != "PROVENANCE_PREFIX"]
    missing = [v for v in named if not (PATHS.shared_data / v).exists()]
    assert missing == [datasets.GROCERY_ICONIC]  # the one name inside a dataset folder
    assert (PATHS.shared_data / datasets.GROCERY / datasets.GROCERY_ICONIC).is_dir()


def test_every_subcommand_is_in_the_table() -> None:
    assert list(COMMANDS) == ["build", "review", "stats", "schema", "lookups", "harvest", "faq", "images"]
    args = _parser().parse_args(["images", "link"])
    assert (args.command, args.data, args.out) == ("images", PATHS.shared_data, PATHS.models / "images" / "extracted")
