"""The packages are one-way layers: data flows MUSCIMA++ -> glyph set -> GAN -> provider -> staves/pages ->
benchmarks, and so do imports. ``gan`` knows nothing of the other three; ``symbol_sources`` uses ``gan`` only
through its public names (``from gan import n``); ``experiments`` uses both but never the CLI package; inside a package no two modules
import each other, even through others. Every import counts, those inside functions too: a late import is still
a dependency, only a cheaper one at start-up."""
from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# lowest first; a package may import only packages listed before it
LAYERS = ("gan", "symbol_sources", "experiments", "ganwriting_mashcima")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    origin: str  # the module the statement names: X of ``import X`` or ``from X import n``
    target: str  # the module it loads: X, or for ``from X import n`` the module n is or comes from
    names: tuple[str, ...]  # n of ``from X import n``; () for ``import X``
    where: str  # path:line

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.where}: {self.source} imports {self.target}{taken}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    return module.split(".")[0]


def public_names(package: str) -> dict[str, str]:
    """A package's lazily exported names (its ``_PUBLIC``), each mapped to the module that defines it."""
    public = getattr(importlib.import_module(package), "_PUBLIC", {})
    return {name: module for module, names in public.items() for name in names}


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def absolute(node: ast.ImportFrom, source: str, is_package: bool) -> str:
    if not node.level:
        return node.module
    base = source.split(".")[: len(source.split(".")) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path) -> list[Import]:
    """The imports of one file that load one of our packages; ``from P import n`` counts as an import of the module
    that ``n`` is (a submodule) or comes from (through ``P``'s lazy exports)."""
    source, found = module_name(path), []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [Import(source, a.name, a.name, (), where) for a in node.names if package_of(a.name) in LAYERS]
        elif isinstance(node, ast.ImportFrom):
            target = absolute(node, source, path.name == "__init__.py")
            if package_of(target) not in LAYERS:
                continue
            exported = public_names(target) if "." not in target else {}
            for a in node.names:
                into = f"{target}.{a.name}" if is_module(f"{target}.{a.name}") else exported.get(a.name, target)
                found.append(Import(source, target, into, (a.name,), where))
    return found


def all_imports() -> list[Import]:
    return [i for package in LAYERS for path in sorted((ROOT / package).rglob("*.py")) for i in imports_of(path)]


def breaks_the_layers(i: Import) -> str | None:
    """Why this import goes against the layers, or None."""
    src, dst = package_of(i.source), package_of(i.target)
    if LAYERS.index(dst) > LAYERS.index(src):
        return f"{src} may not import {dst} (a higher layer)"
    if src == "symbol_sources" and dst == "gan" and (i.origin != "gan" or not set(i.names) <= set(public_names("gan"))):
        return "symbol_sources may use gan only through the names that ``gan`` itself exports (gan._PUBLIC)"
    return None


def cycles(edges: list[Import]) -> list[list[str]]:
    """The groups of modules that import each other, directly or around a circle (Tarjan's strongly connected
    components of more than one module)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_the_imports_it_judges():
    """The rules below are only as good as the walk: it finds the known imports of each kind."""
    seen = {(i.source, i.target) for i in all_imports()}
    assert ("symbol_sources.staves", "gan.config") in seen  # ``from gan import MAX_SEED``: through gan's exports
    assert ("gan.evaluation", "gan.device") in seen  # at module level
    assert ("ganwriting_mashcima.cli", "ganwriting_mashcima.cli_gan") in seen  # inside a function
    assert ("experiments.bench_pages", "experiments.figure_pages") in seen


def test_no_import_goes_against_the_layers():
    wrong = [f"{i}: {why}" for i in all_imports() if (why := breaks_the_layers(i))]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", LAYERS)
def test_no_modules_of_a_package_import_each_other(package):
    inside = [i for i in all_imports() if package_of(i.source) == package_of(i.target) == package
              and i.source != i.target]
    circles = cycles(inside)
    tie = {(i.source, i.target): i for i in inside}
    assert not circles, "modules that import each other:\n" + "\n".join(
        " <-> ".join(group) + "".join(f"\n    {tie[a, b]}" for a in group for b in group if (a, b) in tie)
        for group in circles)
