"""Errors that reach the user as one clear message and exit code 2 (never a traceback)."""


class TenfoldError(Exception):
    """Base class: bad input or missing data. The CLI prints ``error: <message>`` and exits 2."""

    exit_code = 2


class ConfigError(TenfoldError):
    """A recipe name, preset, seed range, ``--set`` override or run directory is invalid."""


class DataNotFoundError(TenfoldError):
    """A dataset is in none of the places searched and cannot be downloaded."""


class DataCorruptError(TenfoldError):
    """A dataset's files are present but cannot be read (the message names the damaged file)."""
