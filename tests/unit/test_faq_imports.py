"""The FAQ matcher stands alone: no module of kg_builder.faq imports kg_builder.crossmodal, directly or not."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import kg_builder.faq

FAQ = Path(kg_builder.faq.__file__).parent
FORBIDDEN = "kg_builder.crossmodal"


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_faq_module_names_crossmodal_in_an_import() -> None:
    modules = sorted(FAQ.glob("*.py"))
    assert modules
    for path in modules:
        assert not [name for name in _imported(path) if name.startswith(FORBIDDEN)], path.name


def test_importing_every_faq_module_loads_nothing_from_crossmodal() -> None:
    names = [f"kg_builder.faq.{module.name}" for module in pkgutil.iter_modules([str(FAQ)])]
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=FAQ.parents[1], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
