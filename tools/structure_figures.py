"""Structure figures of the package, for the closing note of a restructuring (issue 19):
modules, lines, the largest file, import arrows, upward imports, cycles, functions over 6
parameters, module-level mutable state candidates.

    python tools/structure_figures.py [PACKAGE_DIR]        (default: gradcli)

Upward imports are judged by tests/test_layers.py's layer order when the package is layered;
a flat package has no layers, so its upward count is what its old design note called "up".
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

GENERATED = ("_grammar_tables.py", "_float_rules.py")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(tree: ast.AST, name: str, is_pkg: bool, modules: set[str]) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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
                found.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main(root: Path) -> None:
    files = sorted(p for p in root.rglob("*.py"))
    modules = {module_name(p, root): p for p in files}
    graph, lines, wide, state = {}, {}, [], []
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        graph[name] = imports(tree, name, path.name == "__init__.py", set(modules))
        if path.name not in GENERATED:
            lines[name] = text.count("\n")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                n = (
                    len(a.posonlyargs)
                    + len(a.args)
                    + len(a.kwonlyargs)
                    - bool(a.args and a.args[0].arg in ("self", "cls"))
                )
                if n > 6:
                    wide.append(f"{name}.{node.name} ({n})")
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, (ast.Dict, ast.List, ast.Set)):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if (
                    isinstance(target, ast.Name)
                    and not target.id.isupper()
                    and not target.id[1:].isupper()
                    and not target.id.startswith("__")
                ):
                    state.append(f"{name}.{target.id}")
    layers = ["core", "lang", "build", "analysis", "session|api|", "render", "cli"]

    def layer(mod: str) -> int | None:
        parts = mod.split(".")
        if len(parts) == 1 or parts[1] in ("session", "api"):
            return 4
        if parts[1] == "__main__":
            return 6
        for i, name in enumerate(layers):
            if parts[1] in name.split("|"):
                return i
        return None

    upward = [
        f"{a} -> {b}"
        for a, deps in graph.items()
        for b in deps
        if layer(a) is not None and layer(b) is not None and layer(b) > layer(a)
    ]
    arrows = sum(len(d) for d in graph.values())
    biggest = max(lines, key=lines.get)
    cycles = sccs(graph)
    print(f"modules: {len(modules)} ({sum(1 for p in files if p.name != '__init__.py')} without package __init__)")
    print(f"lines: {sum(lines.values())} (generated tables aside)")
    over = {n: sum(v > n for v in lines.values()) for n in (400, 500)}
    print(f"largest file: {biggest} ({lines[biggest]} lines); over 400: {over[400]}; over 500: {over[500]}")
    print(f"import arrows: {arrows}")
    print(f"upward imports (layered packages only): {len(upward)}")
    print(f"import cycles: {len(cycles)} ({', '.join(str(len(c)) + ' modules' for c in cycles) or 'none'})")
    print(f"functions over 6 parameters: {len(wide)} {wide}")
    print(f"module-level mutable containers (lower-case names): {len(state)} {state}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "gradcli"))
