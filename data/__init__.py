"""The datasets shipped with dealgraph; installed as ``graph.datasets`` (see pyproject.toml)."""
