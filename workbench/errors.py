"""Named exceptions. User mistakes derive from :class:`UserError`; the CLI turns them into a
one-line message and exit code 2 (a gradient mismatch is exit code 1)."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


class UserError(WorkbenchError):
    """Bad input from a user: text, a file, an argument. Shown as one line, exit code 2.

    ``where`` locates the problem (``file:line:col``, ``--argument`` ...) and is put in front of
    the message.
    """

    def __init__(self, message: str, where: str | None = None):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)

    def located(self, where: str) -> "UserError":
        """The same error with a location put in front of the current one (file before column)."""
        new = self.__class__.__new__(self.__class__)
        UserError.__init__(new, self.message, f"{where}: {self.where}" if self.where else where)
        return new


class ParseError(UserError):
    """Text that our expression language refuses (syntax, forbidden construct, limits)."""


class SchemaError(UserError):
    """A derivation file whose structure or values are wrong."""


class ShapeError(UserError):
    """Matrix shapes that do not fit together, or a value of the wrong shape."""


class DomainError(UserError):
    """A domain word or interval that is not understood."""


class UnsupportedExpression(UserError):
    """A SymPy node for which no rule exists (compiler, deriver or tracer)."""


class ResourceLimit(WorkbenchError):
    """Symbolic work that exceeded its time or size budget. Not bad input: a valid problem over
    budget falls back to other evidence, or its verdict is ``undecided`` (exit code 4)."""


class DataError(UserError):
    """Data files that are missing, truncated or not in the expected format."""


class GradientMismatch(WorkbenchError):
    """Two gradient oracles disagree beyond tolerance. ``details`` holds the numbers."""

    def __init__(self, message: str, details: dict | None = None):
        self.details = details or {}
        super().__init__(message)
