"""Exceptions of the bench layer."""


class BenchError(Exception):
    """Base class for errors raised by :mod:`bench`; the CLI prints them as one line, exit 2."""


class UsageError(BenchError):
    """A command-line value is wrong (names the option and what was expected)."""
