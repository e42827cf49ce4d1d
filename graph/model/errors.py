"""The one exception root of dealgraph; the CLI turns these into one line and a non-zero exit."""


class DealgraphError(Exception):
    """Base class of every error dealgraph reports to a user."""


class ModelError(DealgraphError):
    """A kind or field that the model does not know."""


class ValidationError(DealgraphError):
    """Input records failed validation; ``problems`` lists every one of them."""

    def __init__(self, problems):
        self.problems = list(problems)
        first = self.problems[0] if self.problems else "invalid input"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{first}{more}")


class StoreError(DealgraphError):
    """The store could not be opened, read or written."""


class QueryError(DealgraphError):
    """A canned query is unknown or got bad parameters."""


class RenderError(DealgraphError):
    """A view could not be rendered (for example: too large)."""
