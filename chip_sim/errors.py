"""Exceptions of the chip layer."""


class ChipError(ValueError):
    """Base class for errors raised by :mod:`chip_sim` (bad codes, registers, configuration)."""


class RegisterError(ChipError):
    """An unknown register name or address, or a value outside the register's range."""
