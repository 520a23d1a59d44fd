"""The core must run without Textual: nothing outside hive_tui/tui/ may import it."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import hive_tui

PACKAGE_DIR = Path(hive_tui.__file__).parent


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="hive_tui."):
        if info.name == "hive_tui.tui" or info.name.startswith("hive_tui.tui."):
            continue
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def test_no_core_source_file_mentions_a_textual_import():
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        if "tui" in path.relative_to(PACKAGE_DIR).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "textual" or n.startswith("textual.") for n in names):
                offenders.append(str(path))
    assert offenders == []


def test_importing_every_core_module_loads_no_textual():
    modules = core_modules()
    assert "hive_tui.swarm.swarm" in modules and "hive_tui.api.app" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:  # an optional backend may be missing here\n"
        "        if 'textual' in repr(exc): raise\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
