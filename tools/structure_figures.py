"""Structure figures of the package, for the closing note of a restructuring (issue 19):
modules, lines, the largest file, import arrows, upward imports, cycles, functions over 6
parameters, module-level mutable containers.

    python tools/structure_figures.py [PACKAGE_DIR]        (default: gradcli)

It reads the package with tests/test_layers.py's scanner and checks (one reading of imports
for the test and for these figures), so a flat package (before the layers) has no layer and
no upward import; its cycles are counted all the same.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_layers import GENERATED, import_cycles, scan, upward_imports  # noqa: E402


def wide_functions(tree) -> list[str]:
    """Functions taking more than 6 parameters (self and cls not counted)."""
    out = []
    for module, path in tree.files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
                n -= bool(a.args and a.args[0].arg in ("self", "cls"))
                if n > 6:
                    out.append(f"{module}.{node.name} ({n})")
    return out


def mutable_globals(tree) -> list[str]:
    """Module-level dicts, lists and sets bound to lower-case names (constants are UPPER_CASE)."""
    out = []
    for module, path in tree.files.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, (ast.Dict, ast.List, ast.Set)):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                name = getattr(target, "id", "")
                if name and not name.lstrip("_").isupper() and not name.startswith("__"):
                    out.append(f"{module}.{name}")
    return out


def main(root: Path) -> None:
    tree = scan(root)
    generated = tuple(Path(g).stem for g in GENERATED)  # the flat tree had them at the top
    lines = {m: n for m, n in tree.lines.items() if not m.endswith(generated)}
    biggest = max(lines, key=lines.get)
    over = {n: sum(v > n for v in lines.values()) for n in (400, 500)}
    internal = [i for i in tree.imports if not i.external]
    code_files = sum(1 for p in tree.files.values() if p.name != "__init__.py")
    print(f"modules: {len(tree.files)} ({code_files} files of code)")
    print(f"lines: {sum(lines.values())} (generated tables aside)")
    print(f"largest file: {biggest} ({lines[biggest]} lines); over 400: {over[400]}; over 500: {over[500]}")
    print(f"import arrows: {len({(i.importer, i.target) for i in internal})}")
    print(f"upward imports: {len(upward_imports(tree))}")
    cycles = import_cycles(tree)
    print(f"import cycles: {len(cycles)}")
    for cycle in cycles:
        print(f"  {cycle}")
    wide = wide_functions(tree)
    print(f"functions over 6 parameters: {len(wide)} {wide}")
    state = mutable_globals(tree)
    print(f"module-level mutable containers (lower-case names): {len(state)} {state}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "gradcli"))
