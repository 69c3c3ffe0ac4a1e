"""Layer 4, analysis: what is computed from a graph (check, hessian/diff, explain, sweep,
uncertainty, ...). Imports only core, lang and build (ARCHITECTURE.md)."""
