"""Layer 6, render: dicts, rich renderables and writers. Imports everything below it, never cli
(ARCHITECTURE.md)."""
