"""The layout DESIGN §2 promises, read from the code: who may import whom, and no import circles.

Every import is counted, including the lazy ones inside functions (a lazy import is still a
dependency: it only hides it from a reader of the module's header).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "crawlers", "filters", "pipeline", "flamingo", "demo", "dags")
# package -> the packages (project or third-party) it must never import
FORBIDDEN = {
    "schemas": {"crawlers", "filters", "pipeline", "flamingo", "demo", "dags", "apache_beam", "torch"},
    "crawlers": {"filters", "pipeline", "flamingo", "demo", "dags", "apache_beam", "torch"},
    "filters": {"crawlers.http", "pipeline", "flamingo", "demo", "dags", "apache_beam", "torch"},
    "pipeline": {"flamingo", "demo", "dags", "torch", "transformers", "safetensors"},
    "flamingo": {"pipeline", "demo", "dags", "apache_beam"},
    "dags": {"pipeline", "flamingo", "demo", "apache_beam", "torch"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Absolute module names `name` imports (relative imports resolved)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            submodules = {f"{base}.{alias.name}" for alias in node.names} & set(MODULES)
            found.update(submodules)
            if len(submodules) < len(node.names):  # a name from the package itself, not only its submodules
                found.add(base)
    return found


GRAPH = {
    name: {m for m in _imports(name, path) if m in MODULES and m != name} for name, path in MODULES.items()
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_or_cross_side_imports(package):
    bad = []
    for name, path in MODULES.items():
        if name.split(".")[0] != package:
            continue
        for target in _imports(name, path):
            if any(target == f or target.startswith(f + ".") for f in FORBIDDEN[package]):
                bad.append(f"{name} imports {target}")
    assert bad == []


def test_no_import_circles():
    """Tarjan's strongly connected components over the module graph: every one is a single module."""
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert circles == []


def test_pipeline_is_the_beam_layer_only():
    """pipeline/ holds the Beam layer by role; the sample web and the demo live in demo/."""
    folders = {p.name for p in (ROOT / "pipeline").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {"jobs", "steps", "dedup", "release", "io", "runner", "report"}
    assert not (ROOT / "pipeline" / "sample").exists() and (ROOT / "demo" / "sample").is_dir()
