"""Layer 7, cli: typer commands, one module per family, the shared options, and the REPL.
The only layer that imports typer (ARCHITECTURE.md)."""
