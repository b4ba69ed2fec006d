"""What the servers load: the action server starts without torch, timm or cv2; rasa_addons (run by the Rasa
server, another environment) imports nothing from kg_builder."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from kg_builder.config import REPO_ROOT

HEAVY = ("torch", "timm", "cv2")
FIRST_PARTY = ("actions", "kg_builder", "rasa_addons")


def test_importing_the_action_server_loads_no_torch_timm_or_cv2() -> None:
    code = "import json, sys; import actions.actions; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert "actions.actions" in loaded
    assert [name for name in loaded if name.split(".")[0] in HEAVY] == []


def _module_file(name: str) -> Path | None:
    """The source file of a first-party module (a package's __init__.py), None when there is none."""
    base = REPO_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _first_party_imports(name: str) -> set[str]:
    """Modules of this repository that importing `name` imports, directly or not (from the sources' import
    statements, so the Rasa server's environment is not needed)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:n]) for n in range(1, len(parts))]  # parent packages run first
        source = _module_file(module)
        if source is None:
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            todo += [n for n in names if n.split(".")[0] in FIRST_PARTY and _module_file(n)]
    return seen


def test_rasa_addons_import_nothing_from_kg_builder() -> None:
    addons = sorted(path.stem for path in (REPO_ROOT / "rasa_addons").glob("*.py") if path.stem != "__init__")
    assert addons
    for addon in addons:
        loaded = _first_party_imports(f"rasa_addons.{addon}")
        assert [module for module in loaded if module.startswith("kg_builder")] == [], addon
    assert "actions.language" in _first_party_imports("rasa_addons.apology_policy")
