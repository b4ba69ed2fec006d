"""What keeps a turn's cost from growing with the catalog (issue 16), and the rebuild's image-vector cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from actions.assistant import ShoppingAssistant
from actions.entity_linking import EntityLinker
from actions.memory_store import InMemoryGraphStore
from benchmarks.cost_curves import catalog_counts
from benchmarks.kg_import import PREFIX, write_paper_catalog
from kg_builder.catalog.loader import load_catalog
from kg_builder.crossmodal.batches import ImageLoader
from kg_builder.crossmodal.encoder import IMAGE_CODE, embed_images, fingerprint


def test_the_linker_takes_the_longest_name_then_the_leftmost() -> None:
    linker = EntityLinker(
        [
            ("category", "lipstick", "口红"),
            ("category", "matte_lipstick", "哑光口红"),
            ("brand", "mac", "MAC"),
            ("category", "cap", "cap"),
            ("brand", "ab", "ab"),
            ("brand", "bc", "bc"),
        ]
    )
    found = [(m.kind, m.id, m.start, m.end) for m in linker.mentions("MAC的哑光口红和口红 capsules abc ab bc")]
    assert found == [
        ("brand", "mac", 0, 3),
        ("category", "matte_lipstick", 4, 8),
        ("category", "lipstick", 9, 11),  # "cap" inside "capsules" is no mention; nor "ab"/"bc" inside "abc"
        ("brand", "ab", 25, 27),
        ("brand", "bc", 28, 30),
    ]
    assert linker.canonical("category", " 哑光口红 ") == "matte_lipstick"
    assert linker.canonical("brand", "口红") is None


def test_mention_positions_index_the_message_when_folding_changes_its_length() -> None:
    linker = EntityLinker([("brand", "strasse", "Strasse"), ("category", "lipstick", "lipstick")])
    text = "Straße, STRASSE or İ LIPSTICK"  # "ß" and "İ" fold to two characters each
    spans = [text[m.start : m.end] for m in linker.mentions(text)]
    assert spans == ["STRASSE", "LIPSTICK"]


def test_the_linker_finds_one_name_among_many() -> None:
    names = [("poi", f"poi{n}", f"selling point {n}") for n in range(100_000)]
    linker = EntityLinker([*names, ("poi", "zh", "卖点77")])
    found = [(m.id, m.start, m.end) for m in linker.mentions("I want selling point 4242 and 卖点77, not point 5")]
    assert found == [("poi4242", 7, 25), ("zh", 30, 34)]


def test_a_generated_catalog_loads_whole_and_recommends_along_its_paths(tmp_path: Path) -> None:
    counts = catalog_counts(1000)
    assert counts == {"items": 1000, "pois": 1666, "satisfy": 1666, "problems": 10, "brands": 10}
    write_paper_catalog(tmp_path, 300, 500, 500, problems=9, brands=10)
    catalog = load_catalog(tmp_path)
    assert catalog.errors == []
    assert len(catalog.rows["needs"]) == 27 and len(catalog.rows["causes"]) == 9
    assistant = ShoppingAssistant(InMemoryGraphStore.from_catalog(tmp_path))
    reply = assistant.recommend("I'm in scenario 1, what helps?")
    assert reply.listed_items and all(item.startswith(f"{PREFIX}i") for item in reply.listed_items)
    assert "scenario 1" in reply.text
    searched = assistant.search("show me category 7 from Brand 7")
    numbers = [int(item.removeprefix(f"{PREFIX}i")) for item in searched.listed_items or []]
    assert numbers and all(n % 10 == 7 and n % 30 == 7 for n in numbers)


def test_image_vectors_are_embedded_once_per_model_and_image(tmp_path: Path) -> None:
    paths = []
    for n, colour in enumerate(("red", "green", "blue")):
        paths.append(tmp_path / f"{n}.png")
        Image.new("RGB", (32, 32), colour).save(paths[-1])
    embedded: list[int] = []

    def embed(pixels: torch.Tensor) -> torch.Tensor:
        embedded.append(len(pixels))
        return pixels.mean(dim=(2, 3))

    cache = tmp_path / "images.sqlite"

    def run(model: str | None) -> torch.Tensor:
        return embed_images(embed, ImageLoader(16), paths, 2, False, model, 3, cache_file=cache)  # it keeps pixels

    first = run("model-a")
    assert sum(embedded) == 3
    again = run("model-a")
    assert sum(embedded) == 3 and torch.equal(first, again)
    Image.new("RGB", (32, 32), "white").save(paths[1])  # a changed image is embedded again, alone
    changed = run("model-a")
    assert sum(embedded) == 4 and torch.equal(changed[0], first[0]) and not torch.equal(changed[1], first[1])
    run("model-b")  # another model never reads model-a's vectors
    assert sum(embedded) == 7
    uncached = run(None)
    assert sum(embedded) == 10 and np.allclose(uncached.numpy(), changed.numpy())


def test_the_model_fingerprint_covers_weights_not_evaluation_figures(tmp_path: Path) -> None:
    (tmp_path / "pretrained").mkdir()
    for name, content in (("towers.pt", b"w1"), ("config.json", b"{}"), ("finetuning.json", b"{}")):
        (tmp_path / name).write_bytes(content)
    (tmp_path / "pretrained" / "step1.pt").write_bytes(b"p")
    first = fingerprint(tmp_path)
    (tmp_path / "finetuning.json").write_bytes(b'{"threshold": 0.3}')  # a re-calibration keeps the vectors
    (tmp_path / "pretrained" / "step1.pt").write_bytes(b"p2")
    assert fingerprint(tmp_path) == first
    (tmp_path / "towers.pt").write_bytes(b"w2")  # new weights do not
    assert fingerprint(tmp_path) != first


def test_the_model_fingerprint_covers_the_code_that_preprocesses_and_embeds_an_image(tmp_path: Path) -> None:
    model, code = tmp_path / "model", tmp_path / "tensors.py"
    model.mkdir()
    (model / "towers.pt").write_bytes(b"w1")
    code.write_text("SIZE = 224\n")
    first = fingerprint(model, code=[code])
    assert fingerprint(model, code=[code]) == first
    code.write_text("SIZE = 256\n")  # another resize: the cached vectors no longer hold
    assert fingerprint(model, code=[code]) != first
    assert {path.name for path in IMAGE_CODE} >= {"tensors.py", "batches.py", "towers.py", "model.py"}
    assert all(path.is_file() for path in IMAGE_CODE)


def test_every_full_text_index_the_schema_makes_is_queried() -> None:
    """An index costs every write and the bulk import's schema stage (a CJK full-text index over the paper-scale
    graph took about 15 s): each one made must be read by a query of the action server."""
    import re

    from actions import graph_store
    from kg_builder.graph.ontology import UNUSED_ENTITY_NAMES_INDEX, schema_statements

    made = [re.search(r"CREATE FULLTEXT INDEX (\w+)", s) for s in schema_statements()]
    names = [found.group(1) for found in made if found]
    queries = [value for value in vars(graph_store).values() if isinstance(value, str)]
    assert names
    for name in names:
        assert any(f"fulltext.queryNodes('{name}'" in query for query in queries), f"{name} is made and never read"
    assert f"DROP INDEX {UNUSED_ENTITY_NAMES_INDEX} IF EXISTS" in schema_statements()  # graphs made before lose it
