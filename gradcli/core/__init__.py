"""Layer 1, core: errors, the op table and its float rules, Value and the backward sweep, and the
derivative transform. Imports nothing else of gradcli (ARCHITECTURE.md)."""
