"""The program's correlations, `corr(a, b) = 0.5` (checked on the graph by
gradcli.build.uncertain: `graph.correlations`), given to the uncertainty analysis with
`--corr`'s.  A pair declared in the program and with `--corr` must have the same r; the
program's pairs join `--corr`'s texts, so one path (gradcli.analysis.correlation) orders
them, builds the matrix and proves it positive semidefinite.
"""

from __future__ import annotations

from gradcli.core.errors import BindingError, UsageError
from gradcli.lang.located import located


def with_declared(graph, texts: tuple[str, ...] | list[str]) -> list[str]:
    """`--corr` texts, then the program's pairs as texts (`a,b=0.5`, r written exactly); a pair
    both declare with different r is an error at the program's statement (exit 2)."""
    if not graph.correlations:
        return list(texts)
    from gradcli.build.bindings import parse_binding

    given = {}
    for text in texts:  # well-formed ones only: gradcli.analysis.correlation reports the others
        names, _, r_text = text.partition("=")
        try:
            given[tuple(sorted(n.strip() for n in names.split(",")))] = (parse_binding(f"r={r_text.strip()}")[1], text)
        except BindingError:
            continue
    out = list(texts)
    for pair, (r, c) in graph.correlations.items():
        if pair not in given:
            out.append(f"{c.names[0]},{c.names[1]}={r!r}")
        elif given[pair][0] != r:
            raise located(UsageError, graph.program,
                          f"corr({', '.join(c.names)}) = {r:g} here, but --corr {given[pair][1]}: give one value",
                          c.start, c.end, "drop the --corr option or change the program")  # fmt: skip
    return out
