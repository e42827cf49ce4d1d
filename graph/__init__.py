"""dealgraph: the domain model, stores, analyses, HTML views and the CLI."""
