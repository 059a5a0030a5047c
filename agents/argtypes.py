"""argparse value types shared by the CLI's subcommands (train, eval, study, tune).

Each raises ``argparse.ArgumentTypeError`` with one sentence that quotes at most a short piece
of what was typed, so a pasted megabyte never comes back as the error message.
"""

from __future__ import annotations

import argparse

from agents.config import AUTO, number_text, shorten

MAX_SEED = 2**63 - 1


def whole_number(text: str) -> int:
    """Any integer, refused with a short quote when ``text`` is not one."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {shorten(text)}") from None


def positive_int(text: str) -> int:
    """A count such as episodes, steps, runs or trials: 1 or more."""
    value = whole_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive whole number, got {number_text(value)}")
    return value


def seed(text: str) -> int:
    """A seed numpy and torch both accept: 0 to 2**63-1."""
    value = whole_number(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**63-1, got "
                                         f"{number_text(value)}")
    return value


def unit_interval(text: str) -> float:
    """A probability such as an evaluation epsilon: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {shorten(text)}") \
            from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {shorten(text)}")
    return value


def number_or_auto(text: str) -> float | str:
    """A number, or "auto" for a knob the agent works out from its world (``--initial-q``)."""
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number or {AUTO}, got "
                                         f"{shorten(text)}") from None
