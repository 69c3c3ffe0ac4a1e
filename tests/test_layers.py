"""The layer rule (ARCHITECTURE.md, DESIGN.md §1.1), read from the source with ast.

Every import counts: module level and inside functions, relative and absolute, and
`importlib.import_module("...")` with a literal name. A lazy import keeps start-up fast, but
it still ties the two modules together, so it obeys the same rule.

The package checked is ../gradcli, or the folder named by GRADCLI_LAYERS_ROOT (to try the
checker on a copy). The last tests run the checker on small synthetic packages, so the test
of the test stays in the suite.
"""

import ast
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

# The layer order, declared once: a module may import its own layer or a lower (earlier) one.
LAYERS = ("core", "lang", "build", "analysis", "session", "render", "cli")

# Layers 1-4, 6 and 7 are folders (gradcli/core/, ...); these modules are files.
FILE_LAYERS = {
    "": "render",  # gradcli/__init__.py, the public face: re-exports api's commands and the notebook display
    "session": "session",
    "api": "session",
    "__main__": "cli",
}

# Generated files, exempt from the size limit (tools/gen_tables.py writes them).
GENERATED = {"lang/_grammar_tables.py", "core/_float_rules.py"}
MAX_LINES = 500

# Third-party packages confined to some layers (an empty set: imported nowhere in the package).
CONFINED = {"typer": {"cli"}, "rich": {"render", "cli"}, "lark": set()}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name, e.g. gradcli.core.ops
    line: int
    target: str  # a module of the package, or a third-party top-level name (external=True)
    external: bool = False


@dataclass(frozen=True, repr=False)
class Tree:
    package: str
    files: dict  # module name -> Path
    lines: dict  # module name -> line count
    imports: list  # [Import]

    def __repr__(self) -> str:
        return f"Tree({self.package}: {len(self.files)} modules, {len(self.imports)} imports)"


def package_root() -> Path:
    return Path(os.environ.get("GRADCLI_LAYERS_ROOT") or Path(__file__).resolve().parents[1] / "gradcli")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """core, ..., cli, or None for a module placed in no layer."""
    parts = module.split(".")[1:]
    if len(parts) <= 1 and ".".join(parts) in FILE_LAYERS:
        return FILE_LAYERS[".".join(parts)]
    return parts[0] if parts[0] in LAYERS else None  # a layer's folder, its __init__ included


def _imported_names(node: ast.AST, module: str, is_package: bool) -> list[tuple[str, bool]]:
    """(dotted name, is_relative) for every module this node may import."""
    if isinstance(node, ast.Import):
        return [(a.name, False) for a in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if is_package else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        # `from a import b`: b may be a module (a.b) or a name in a; _resolve keeps what exists
        return [(f"{base}.{a.name}", bool(node.level)) for a in node.names]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
            return [(node.args[0].value, False)]
    return []


def scan(root: Path) -> Tree:
    """Every module under root and every import it makes (resolved to the package's modules)."""
    root = root.resolve()
    package = root.name
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    lines, found = {}, []
    for module, path in files.items():
        text = path.read_text(encoding="utf-8")
        lines[module] = text.count("\n") + (not text.endswith("\n") and bool(text))
        is_package = path.name == "__init__.py"
        seen = set()
        for node in ast.walk(ast.parse(text, str(path))):
            for name, relative in _imported_names(node, module, is_package):
                if not (relative or name == package or name.startswith(package + ".")):
                    key = (node.lineno, name.split(".")[0], True)
                elif (target := _resolve(name, files)) and target != module:
                    key = (node.lineno, target, False)
                else:
                    continue
                if key not in seen:
                    seen.add(key)
                    found.append(Import(module, *key))
    found.sort(key=lambda i: (i.importer, i.line, i.target))
    return Tree(package, files, lines, found)


def _resolve(name: str, files: dict) -> str:
    while name and name not in files:
        name = name.rpartition(".")[0]
    return name


# -- the checks: each returns one message per offence (empty when the tree obeys) ---------------


def upward_imports(tree: Tree) -> list[str]:
    out = []
    for imp in tree.imports:
        if imp.external:
            continue
        low, high = layer_of(imp.importer), layer_of(imp.target)
        if low and high and LAYERS.index(high) > LAYERS.index(low):
            out.append(
                f"{imp.importer} (layer {low}), line {imp.line}, imports {imp.target} (layer {high}, a higher one)"
            )
    return out


def import_cycles(tree: Tree) -> list[str]:
    """One message per strongly connected component of more than one module (Tarjan), naming
    its shortest cycle with the line of each import."""
    graph = {m: {} for m in tree.files}
    for imp in tree.imports:
        if not imp.external:
            graph[imp.importer].setdefault(imp.target, imp.line)
    out = []
    for component in _strongly_connected(graph):
        path = min((_shortest_cycle(graph, start, component) for start in component), key=lambda p: (len(p), p))
        steps = " -> ".join(f"{b} (line {graph[a][b]} of {a})" for a, b in zip(path, path[1:]))
        members = sorted(component)
        listed = ", ".join(members[:8]) + (f", ... {len(members) - 8} more" if len(members) > 8 else "")
        out.append(f"import cycle among {len(members)} modules ({listed}): {path[0]} -> {steps}")
    return out


def _strongly_connected(graph: dict) -> list[set]:
    """Tarjan's algorithm, iterative (no recursion limit)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(graph[w])))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.add(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def _shortest_cycle(graph: dict, start: str, component: set) -> list[str]:
    came_from, frontier = {start: None}, [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w == start:
                    path = [v]
                    while came_from[path[-1]] is not None:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if w in component and w not in came_from:
                    came_from[w] = v
                    following.append(w)
        frontier = following
    raise AssertionError(f"{start} is in a strongly connected component but on no cycle")


def unplaced_modules(tree: Tree) -> list[str]:
    return [
        f"{m} ({tree.files[m].name}) belongs to no layer: put it in a layer's folder, or add it to "
        "FILE_LAYERS in tests/test_layers.py deliberately"
        for m in tree.files
        if layer_of(m) is None
    ]


def oversized_modules(tree: Tree) -> list[str]:
    out = []
    for m, path in tree.files.items():
        relative = path.relative_to(_package_dir(path, tree.package)).as_posix()
        if tree.lines[m] > MAX_LINES and relative not in GENERATED:
            out.append(f"{m} has {tree.lines[m]} lines (at most {MAX_LINES}): split it by job")
    return out


def _package_dir(path: Path, package: str) -> Path:
    while path.name != package:
        path = path.parent
    return path


def confined_packages(tree: Tree) -> list[str]:
    out = []
    for imp in tree.imports:
        allowed = CONFINED.get(imp.target) if imp.external else None
        if allowed is not None and layer_of(imp.importer) not in allowed:
            where = f"only in {' and '.join(sorted(allowed))}" if allowed else "nowhere in the package"
            out.append(f"{imp.importer}, line {imp.line}, imports {imp.target} (allowed {where})")
    return out


def _verdict(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n  " + "\n  ".join(problems)


# -- the package obeys --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tree() -> Tree:
    return scan(package_root())


def test_the_package_is_found(tree):
    assert {"gradcli.core.ops", "gradcli.core.errors"} <= set(tree.files), package_root()


def test_no_module_imports_a_higher_layer(tree):
    problems = upward_imports(tree)
    assert not problems, _verdict(problems)


def test_no_import_cycle(tree):
    problems = import_cycles(tree)
    assert not problems, _verdict(problems)


def test_every_module_belongs_to_a_layer(tree):
    problems = unplaced_modules(tree)
    assert not problems, _verdict(problems)


def test_no_module_is_over_500_lines(tree):
    problems = oversized_modules(tree)
    assert not problems, _verdict(problems)


def test_typer_rich_and_lark_stay_in_their_layers(tree):
    problems = confined_packages(tree)
    assert not problems, _verdict(problems)


def test_architecture_md_names_every_module():
    # ARCHITECTURE.md's "where each concept lives" names modules by path under gradcli/; a
    # module added, moved or removed must be named there too, so the table stays true
    import re

    root = package_root()
    doc = root.parent / "ARCHITECTURE.md"
    if not doc.exists() or "GRADCLI_LAYERS_ROOT" in os.environ:
        pytest.skip("ARCHITECTURE.md is checked against the real package only")
    layers = "|".join(layer for layer in LAYERS if layer != "session")
    table = [line for line in doc.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    named = set(re.findall(rf"`((?:{layers})/\w+\.py|\w+\.py)`", "\n".join(table)))
    files = {p.relative_to(root).as_posix() for p in root.rglob("*.py") if p.name != "__init__.py" or p.parent == root}
    assert not named - files, f"ARCHITECTURE.md names modules that do not exist: {sorted(named - files)}"
    assert not files - named, f"modules ARCHITECTURE.md does not name (add them to its table): {sorted(files - named)}"


# -- the checker bites: synthetic packages with known faults -------------------------------------


def write_package(root: Path, sources: dict) -> Path:
    """A package named gradcli under root: {"core/ops.py": "source", ...}, __init__ files added."""
    package = root / "gradcli"
    for relative, source in {"__init__.py": "", **sources}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(package).parents:
            init = package / folder / "__init__.py"
            if not init.exists():
                init.write_text("")
        path.write_text(source)
    return package


CLEAN = {
    "core/errors.py": "class GradcliError(Exception):\n    pass\n",
    "core/ops.py": "from gradcli.core.errors import GradcliError\nfrom . import errors\n",
    "lang/parser.py": "from gradcli.core import ops\n",
    "build/builder.py": "import gradcli.lang.parser\nfrom ..core.ops import GradcliError\n",
    "analysis/check.py": "def f():\n    from gradcli.build.builder import build\n",
    "api.py": "from gradcli.analysis import check\n",
    "render/writers.py": "import rich\nfrom gradcli import api\n",
    "cli/app.py": "import typer\nfrom rich.console import Console\nfrom gradcli.render.writers import write\n",
    "__main__.py": "from gradcli.cli.app import main\n",
}


def test_a_clean_package_passes(tmp_path):
    tree = scan(write_package(tmp_path, CLEAN))
    assert len(tree.files) == len(CLEAN) + 7  # + the root's and six layers' __init__
    assert ("gradcli.core.ops", "gradcli.core.errors") in {(i.importer, i.target) for i in tree.imports}
    checks = [upward_imports, import_cycles, unplaced_modules, oversized_modules, confined_packages]
    assert [check(tree) for check in checks] == [[]] * len(checks)


def test_an_upward_import_inside_a_function_is_named_with_its_line(tmp_path):
    lazy = "from gradcli.core.errors import GradcliError\n\n\ndef helper():\n    from gradcli.cli.app import app\n"
    tree = scan(
        write_package(tmp_path, {**CLEAN, "core/ops.py": lazy, "lang/parser.py": "from ..render import writers"})
    )
    assert upward_imports(tree) == [
        "gradcli.core.ops (layer core), line 5, imports gradcli.cli.app (layer cli, a higher one)",
        "gradcli.lang.parser (layer lang), line 1, imports gradcli.render.writers (layer render, a higher one)",
    ]


def test_a_cycle_is_named(tmp_path):
    # the lazy import makes errors -> ops -> errors; not upward (one layer), so only the cycle test sees it
    cyclic = "def f():\n    import gradcli.core.ops\n"
    tree = scan(write_package(tmp_path, {**CLEAN, "core/errors.py": cyclic}))
    assert upward_imports(tree) == []
    assert import_cycles(tree) == [
        "import cycle among 2 modules (gradcli.core.errors, gradcli.core.ops): gradcli.core.errors -> "
        "gradcli.core.ops (line 2 of gradcli.core.errors) -> gradcli.core.errors (line 1 of gradcli.core.ops)"
    ]


def test_misplaced_modules_long_files_and_stray_packages_are_named(tmp_path):
    sources = {
        **CLEAN,
        "helpers.py": "import lark\n",  # a new top-level module: in no layer
        "core/ops.py": "x = 1\n" * 501,
        "lang/_grammar_tables.py": "x = 1\n" * 900,  # generated: exempt
        "analysis/check.py": "def f():\n    import importlib\n    importlib.import_module('typer')\n",
    }
    tree = scan(write_package(tmp_path, sources))
    assert [p.split(" ")[0] for p in unplaced_modules(tree)] == ["gradcli.helpers"]
    assert oversized_modules(tree) == ["gradcli.core.ops has 501 lines (at most 500): split it by job"]
    assert confined_packages(tree) == [
        "gradcli.analysis.check, line 3, imports typer (allowed only in cli)",
        "gradcli.helpers, line 1, imports lark (allowed nowhere in the package)",
    ]


def test_the_layer_order_is_the_documented_one():
    assert [layer_of(m) for m in ["gradcli.core.ops", "gradcli", "gradcli.api", "gradcli.session"]] == [
        "core",
        "render",  # the root package: the public face, re-exporting api's commands and render's notebook display
        "session",
        "session",
    ]
    assert [layer_of(m) for m in ["gradcli.__main__", "gradcli.cli", "gradcli.render.x.y", "gradcli.tools"]] == [
        "cli",
        "cli",
        "render",
        None,
    ]
