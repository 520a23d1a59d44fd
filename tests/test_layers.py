"""The package's layers (docs/design.md): a module imports only from its own part or the
parts below it, the front ends reach the swarm only through the node service (the app only
through the client), and no two modules import each other, however indirectly. Read from
the source, as the headless-core test does for Textual; every import counts, inside functions
and ``if TYPE_CHECKING:`` blocks too."""

from __future__ import annotations

import ast
from pathlib import Path

import hive_tui

PACKAGE_DIR = Path(hive_tui.__file__).parent

# Bottom up. A module belongs to the part with the longest matching prefix.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("errors", ("hive_tui.errors",)),  # the HiveError base every part raises from
    ("wire", ("hive_tui.wire",)),
    ("knowledge", ("hive_tui.config", "hive_tui.embedded_model", "hive_tui.hardware",
                   "hive_tui.models")),
    # The tool-call text format (how calls are written and offered in a prompt): pure text,
    # needed by the engines (rendering) and consensus (comparing calls), so below both.
    ("tool text", ("hive_tui.tools.calls", "hive_tui.tools.prompt")),
    ("consensus", ("hive_tui.consensus",)),
    ("engines", ("hive_tui.backends",)),
    ("swarm", ("hive_tui.bus", "hive_tui.swarm")),
    # Knowledge bases and grounding: an embedding child like the engines' workers, and the
    # grounded vote around the swarm's (the node and a peer's request both run it).
    ("retrieval", ("hive_tui.retrieval",)),
    ("tools", ("hive_tui.tools",)),
    ("federation", ("hive_tui.federation",)),
    ("node", ("hive_tui.node", "hive_tui.node_plan")),
    ("server", ("hive_tui.api", "hive_tui.serve")),
    ("client", ("hive_tui.client",)),
    ("app", ("hive_tui.tui",)),
    ("cli", ("hive_tui", "hive_tui.__main__", "hive_tui.cli", "hive_tui.commands",
             "hive_tui.bench")),
]
# The front ends call the node service: they take its vocabulary (SwarmRequest, VoteResult...)
# from hive_tui.node, never from the swarm or the engines below it. The app draws; it reaches
# the node (in process or remote) only through the client.
MAY_NOT_IMPORT = {
    "server": ("engines", "swarm"),
    "client": ("engines", "swarm"),
    "app": ("engines", "swarm", "federation", "node", "server"),
}


def part_of(module: str) -> str:
    best = ("", -1)
    for name, prefixes in PARTS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[1]:
                best = (name, len(prefix))
    assert best[1] >= 0, f"{module} is in no part: add it to PARTS and docs/design.md"
    return best[0]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def imports(path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (``from pkg import mod`` names mod)."""
    here = module_name(path) if path.name == "__init__.py" else module_name(path.parent / "x")
    here = here.removesuffix(".x")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    # The package itself only names its parts; importing it says nothing about layers.
    return {m for m in found if m in known and m != "hive_tui"}


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}
    known = set(paths)
    return {name: imports(path, known) - {name} for name, path in paths.items()}


def test_every_module_is_in_a_part_of_the_design():
    names = [name for name, _ in PARTS]
    design = (PACKAGE_DIR.parent / "docs" / "design.md").read_text()
    assert all(f"| {name} |" in design for name in names), "docs/design.md lists the parts"
    for module in graph():
        part_of(module)


def test_no_module_imports_a_part_above_its_own():
    order = {name: i for i, (name, _) in enumerate(PARTS)}
    upward = []
    for module, targets in graph().items():
        mine = part_of(module)
        for target in targets:
            theirs = part_of(target)
            if order[theirs] > order[mine]:
                upward.append(f"{module} ({mine}) imports {target} ({theirs})")
            if theirs in MAY_NOT_IMPORT.get(mine, ()):
                upward.append(f"{module} ({mine}) imports {target} ({theirs}), below its door")
    assert upward == []


def test_no_import_cycles():
    edges = graph()
    # A package's __init__ that re-exports its own submodules is not a cycle with them.
    for module, targets in edges.items():
        if (PACKAGE_DIR.parent / module.replace(".", "/") / "__init__.py").exists():
            targets.difference_update(t for t in list(targets) if t.startswith(module + "."))
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    assert cycles == []
