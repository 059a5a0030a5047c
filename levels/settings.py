"""A level's settings as the app edits them: one spec per setting, typed input, sensible defaults.

The level file's keys (``name``, ``max_steps``, ``slippery``, ``reward.*``) are described once here
(label, type, valid range, a sentence of help), so the app's settings panel, its typed entries and
the file format agree on what each one is and what it accepts. Changing a setting never changes
the state space (the grid is untouched), so a learnt Q-table stays valid across it.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path

from levels.level import (
    _REWARD_KEYS,
    MAX_REWARD,
    MAX_STEPS_LIMIT,
    Level,
    LevelError,
    default_max_steps,
)

#: Rewards the settings panel accepts (the level file accepts any finite number).
REWARD_RANGE = (-1000.0, 1000.0)
NAME_MAX_CHARS = 60
UNTITLED = "untitled"


@dataclass(frozen=True)
class SettingSpec:
    """One level setting: how it is called, what it accepts, what it does.

    Attributes:
        key: the level file key (``"max_steps"``, ``"reward.goal"``).
        label: short label for a panel row.
        kind: ``str``, ``int``, ``float`` or ``bool``.
        lo, hi: inclusive range of a number (None for text and booleans).
        help: one sentence for a tooltip.
    """

    key: str
    label: str
    kind: type
    lo: float | None
    hi: float | None
    help: str

    def parse(self, text: str) -> str | int | float | bool:
        """The value a user typed, checked; LevelError with one sentence when it is not valid."""
        text = text.strip()
        if self.kind is str:
            return _check_name(text)
        if self.kind is bool:
            low = text.lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise LevelError(f"{self.key} must be true or false, got {text!r}")
        try:
            number = float(text.replace("\u2212", "-"))
        except ValueError:
            number = math.nan
        return self.check(number, text)

    def check(self, value: object, shown: object = None) -> int | float | str | bool:
        """``value`` if it is valid for this setting, else LevelError naming the range."""
        shown = value if shown is None else shown
        if self.kind is str:
            return _check_name(value)
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            raise LevelError(f"{self.key} must be true or false, got {shown!r}")
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        assert self.lo is not None and self.hi is not None
        if self.kind is int:
            if number is None or not math.isfinite(number) or number != int(number) \
                    or not self.lo <= number <= self.hi:
                raise LevelError(f"{self.key} must be a whole number from {int(self.lo)} to "
                                 f"{int(self.hi)}, got {shown!r}")
            return int(number)
        if number is None or not math.isfinite(number) or not self.lo <= number <= self.hi:
            raise LevelError(f"{self.key} must be a number from {self.lo:g} to {self.hi:g}, "
                             f"got {shown!r}")
        return float(number)


_REWARD_HELP = {
    "goal": "paid for reaching a goal G (ends the episode)",
    "big_cheese": "paid for reaching the big cheese C (ends the episode)",
    "cheese": "paid for a small cheese c, once per episode",
    "poison": "paid for stepping on poison P (ends the episode)",
    "hole": "paid for falling into a hole H (ends the episode)",
    "step": "added to every move, even into a wall; a small cost makes the agent hurry and "
            "try moves it has not tried yet",
}
_REWARD_LABEL = {"goal": "Goal", "big_cheese": "Big cheese", "cheese": "Small cheese",
                 "poison": "Poison", "hole": "Hole", "step": "Each step"}

SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("name", "Name", str, None, None, "the level's name, shown in the title bar"),
    SettingSpec("max_steps", "Max steps", int, 1, MAX_STEPS_LIMIT,
                "an episode is cut off after this many moves; too few and no reward is ever "
                "reached"),
    SettingSpec("slippery", "Slippery", bool, None, None,
                "each move goes the intended way or to either side, 1/3 each (FrozenLake's ice)"),
) + tuple(SettingSpec(f"reward.{k}", _REWARD_LABEL[k], float, *REWARD_RANGE, _REWARD_HELP[k])
          for k in _REWARD_KEYS)
SPEC_BY_KEY = {spec.key: spec for spec in SPECS}


def _check_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LevelError("the name must not be empty")
    if set(value) & {"\n", "\r"} or len(value) > NAME_MAX_CHARS:
        raise LevelError(f"the name must be one line of at most {NAME_MAX_CHARS} characters")
    return value.strip()


def parse_cell_reward(text: str) -> float | None:
    """A cell's own reward as a user typed it, with the level file's range (``MAX_REWARD``);
    empty text is None (no reward of its own). LevelError with one sentence when it is not valid.
    """
    text = text.strip()
    if not text:
        return None
    try:
        number = float(text.replace("\u2212", "-"))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or abs(number) > MAX_REWARD:
        raise LevelError(f"a cell reward must be a number from {-MAX_REWARD:,.0f} to "
                         f"{MAX_REWARD:,.0f}, got {text[:40]!r}")
    return number


def get_setting(level: Level, key: str) -> str | int | float | bool:
    """The current value of setting ``key`` of ``level``."""
    if key.startswith("reward."):
        return getattr(level.rewards, key[7:])
    return getattr(level, _spec(key).key)


def with_setting(level: Level, key: str, value: object) -> Level:
    """``level`` with one setting changed; LevelError (and no change) when ``value`` is invalid."""
    value = _spec(key).check(value)
    if key.startswith("reward."):
        return dataclasses.replace(level, rewards=dataclasses.replace(level.rewards,
                                                                      **{key[7:]: value}))
    return dataclasses.replace(level, **{key: value})


def _spec(key: str) -> SettingSpec:
    try:
        return SPEC_BY_KEY[key]
    except KeyError:
        raise LevelError(f"unknown setting {key!r}; settings are {', '.join(SPEC_BY_KEY)}") \
            from None


def changed_settings(old: Level, new: Level) -> list[str]:
    """Keys whose values differ between two levels, in panel order."""
    return [spec.key for spec in SPECS if get_setting(old, spec.key) != get_setting(new, spec.key)]


def resized_level(level: Level, nrows: int, ncols: int, fill: str = ".") -> tuple[Level, list[str]]:
    """``level`` cropped or padded, with the settings that no longer fit adjusted, and a sentence
    for each one that changed.

    ``max_steps`` follows the size when it was the old size's default (the user never chose it),
    and is raised to the new default when it is now shorter than twice the longest way from the
    start; cell rewards outside the new grid are dropped.
    """
    new = level.resized(nrows, ncols, fill)
    notes = []
    if level.start is not None and new.start is not None and not new.problems():
        wanted = default_max_steps(new)
        longest = int(new.distances_from_start().max())
        was_default = level.max_steps == default_max_steps(level)
        if level.max_steps != wanted and (was_default or level.max_steps < 2 * longest):
            new = dataclasses.replace(new, max_steps=wanted)
            notes.append(f"max_steps {level.max_steps} \u2192 {wanted} (4x the open cells)")
    dropped = len(level.cell_rewards) - len(new.cell_rewards)
    if dropped:
        notes.append(f"{dropped} cell reward{'s' if dropped > 1 else ''} outside the new size "
                     "removed")
    return new, notes


def name_for_save_as(level: Level, old_path: str | os.PathLike[str] | None,
                     new_path: str | os.PathLike[str]) -> str:
    """The name a level gets when saved as ``new_path``: the file's name, unless the user gave
    the level a name of its own (anything but "untitled" or the old file's name)."""
    derived = {UNTITLED, ""}
    if old_path is not None:
        derived.add(Path(os.fspath(old_path)).stem)
    if level.name in derived or level.name.startswith("maze "):
        stem = Path(os.fspath(new_path)).stem.strip()
        if stem:
            return stem[:NAME_MAX_CHARS]
    return level.name


__all__ = ["REWARD_RANGE", "SPECS", "SPEC_BY_KEY", "SettingSpec", "changed_settings",
           "default_max_steps", "get_setting", "name_for_save_as", "parse_cell_reward",
           "resized_level", "with_setting"]
