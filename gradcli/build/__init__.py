"""Layer 3, build: program + bindings -> graph, and the input kinds that extend the builder.
Imports only core and lang (ARCHITECTURE.md)."""
