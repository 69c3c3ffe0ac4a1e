"""The package version (read by pyproject.toml and `gradcli --version`)."""

__version__ = "0.2.0"
