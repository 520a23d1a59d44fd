"""Every third-party module hive imports is declared in pyproject.toml where a user gets it.

A module imported at the top of a module and not guarded by ``except ImportError`` must come
from a main dependency: otherwise a plain install dies on import (httpx once came only with
the dev extra and other packages' dependencies, until a release of those stopped pulling it
in). Imports inside functions or guarded ones may come from a user-facing extra (mlx, bench)
instead, never from dev alone.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hive_tui"


def requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for req in requirements:
        match = re.match(r"\s*([A-Za-z0-9_.\-]+)", req)
        assert match, req
        names.add(normalise(match.group(1)))
    return names


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> tuple[bool, bool]:
    """(inside a function, inside a try that catches ImportError or broader)."""
    in_function = in_try = False
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            in_function = True
        if isinstance(parent, ast.Try) and child in parent.body:
            for handler in parent.handlers:
                caught = ast.unparse(handler.type) if handler.type else "BaseException"
                if any(n in caught for n in ("ImportError", "ModuleNotFoundError", "Exception")):
                    in_try = True
        child, parent = parent, parents.get(parent)
    return in_function, in_try


def third_party_imports() -> list[tuple[str, str, bool]]:
    """(module, file, required) for each import of a module outside the standard library."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            in_function, in_try = guarded(node, parents)
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top == "hive_tui":
                    continue
                found.append((top, str(path.relative_to(ROOT)), not (in_function or in_try)))
    return found


def test_every_third_party_import_is_declared_where_users_get_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    main = requirement_names(project["dependencies"])
    extras = {
        name: requirement_names(reqs) for name, reqs in project["optional-dependencies"].items()
    }
    user_extras = set().union(*(reqs for name, reqs in extras.items() if name != "dev"))
    providers = importlib.metadata.packages_distributions()
    imports = third_party_imports()
    assert any(module == "httpx" for module, _, _ in imports)  # the scan does see imports
    problems = []
    for module, where, required in imports:
        dists = {normalise(d) for d in providers.get(module, [])}
        named = f"{where}: {module} ({', '.join(sorted(dists))})"
        if not dists:
            problems.append(f"{where}: {module} is not installed here, so no package provides it")
        elif required and not dists & main:
            problems.append(f"{named} is not a main dependency")
        elif not dists & (main | user_extras):
            problems.append(f"{named} is in no user extra")
    assert not problems, "\n".join(problems)
