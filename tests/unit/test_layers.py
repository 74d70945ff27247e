"""One-way imports, read from the source with ``ast`` (every import counts: module level, inside functions and
under ``TYPE_CHECKING``). The core (app/ but its CLI, models/) never imports widgets/; inside widgets/ the shell
may import every part, no part imports the shell, parts import each other only where listed below, and the
shared floor (widgets/i18n.py, widgets/paint/) imports no part. No import circle between widgets modules."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = {"i18n", "paint"}  # widgets/ top: used by every part, imports none
SHELLS = {"shell", "city"}  # windows that compose the parts (city: the roll-up window); no part imports them
# part -> part imports that remain (one way; the reason in the README's "Project layout")
ALLOWED_CROSS = {("widgets.compliance.compliance_view", "widgets.events.event_model")}
# circles that remain (type-only: keys.py names PlaybackView under TYPE_CHECKING)
KNOWN_CIRCLES = [["widgets.playback.keys", "widgets.playback.view"]]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (``from a import b`` gives ``a`` and ``a.b``)."""
    mod = module_name(path, root)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def graph(root: Path, top: str) -> dict[str, set[str]]:
    """Module -> the modules under ``top`` it imports (names that are not modules dropped)."""
    files = {module_name(p, root): p for p in sorted((root / top).rglob("*.py"))}
    return {m: {d for d in imports_of(p, root) if d in files and d != m} for m, p in files.items()}


def part(module: str) -> str:
    """``widgets.wall.camera_tile`` -> ``wall``; ``widgets.i18n`` -> ``i18n``; ``widgets`` -> ``""``."""
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else ""


def widget_violations(g: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, deps in sorted(g.items()):
        here = part(mod)
        for dep in sorted(deps):
            there = part(dep)
            if there in ("", here) or there in SHARED:
                continue
            if there in SHELLS:
                bad.append(f"{mod} imports the shell ({dep})")
            elif here in SHARED:
                bad.append(f"{mod} is shared and imports a part ({dep})")
            elif here not in SHELLS and (mod, dep) not in ALLOWED_CROSS:
                bad.append(
                    f"{mod} imports another part ({dep}); list it in ALLOWED_CROSS or move the shared code down"
                )
    return bad


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def core_violations(root: Path) -> list[str]:
    bad = []
    for top in ("app", "models"):
        for p in sorted((root / top).rglob("*.py")):
            if p.relative_to(root).parts[:2] == ("app", "cli"):
                continue  # the CLI is above widgets/: `vigil gui`, `report`, `city`, `bench --gui` load them lazily
            names = sorted(d for d in imports_of(p, root) if d.split(".")[0] == "widgets")
            if names:
                bad.append(f"{module_name(p, root)} imports {names[0]}")
    return bad


def test_widget_parts_import_one_way() -> None:
    g = graph(REPO, "widgets")
    assert {part(m) for m in g} >= {"wall", "events", "compliance", "cameras", "export", "security", "shell"}
    assert widget_violations(g) == []


def test_no_import_circle_in_widgets() -> None:
    assert cycles(graph(REPO, "widgets")) == KNOWN_CIRCLES


def test_allowed_cross_imports_still_exist() -> None:
    """A listed exception that is gone should leave the list (so the list stays the truth)."""
    g = graph(REPO, "widgets")
    assert [pair for pair in sorted(ALLOWED_CROSS) if pair[1] not in g.get(pair[0], set())] == []


def test_core_never_imports_widgets() -> None:
    assert core_violations(REPO) == []


def test_checker_finds_planted_violations(tmp_path: Path) -> None:
    """The checks above see what they look for: a part importing the shell (under TYPE_CHECKING, relatively),
    a part importing another part, the shared floor importing a part, a circle, and the core importing widgets."""
    files = {
        "widgets/__init__.py": "",
        "widgets/i18n.py": "from widgets.wall.tile import Tile\n",
        "widgets/shell/__init__.py": "",
        "widgets/shell/main_window.py": "from widgets.wall.tile import Tile\nfrom widgets.events import panel\n",
        "widgets/wall/__init__.py": "",
        "widgets/wall/tile.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..shell.main_window import W\n",
        "widgets/events/__init__.py": "",
        "widgets/events/panel.py": "def f():\n    import widgets.wall.tile\n",
        "app/__init__.py": "",
        "app/store.py": "def f():\n    from widgets.i18n import translate\n",
        "app/cli/__init__.py": "",
        "app/cli/gui.py": "from widgets.shell.main_window import W\n",
        "models/__init__.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    g = graph(tmp_path, "widgets")
    assert widget_violations(g) == [
        "widgets.events.panel imports another part (widgets.wall.tile); list it in ALLOWED_CROSS or move the shared code down",
        "widgets.i18n is shared and imports a part (widgets.wall.tile)",
        "widgets.wall.tile imports the shell (widgets.shell.main_window)",
    ]
    assert cycles(g) == [["widgets.events.panel", "widgets.shell.main_window", "widgets.wall.tile"]]
    assert core_violations(tmp_path) == ["app.store imports widgets.i18n"]
