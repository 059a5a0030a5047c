"""What the side panel asks the app to do: one small frozen dataclass per command.

The panel (:class:`app.controls.Controls`) turns widget events into these and hands them to one
callback; the app dispatches on the command's type (a ``{type: handler}`` table), so a typo is
an ``AttributeError`` at import time, not a silently ignored string, and a handler's argument
says what it carries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

HyperValue = float | int | str | bool  # a number, or a DQN switch's setting ("huber", True)


@dataclass(frozen=True)
class Play:
    """Start (``on``) or pause training."""

    on: bool


@dataclass(frozen=True)
class Step:
    """One recorded step, shown as arithmetic."""


@dataclass(frozen=True)
class ResetLearning:
    """Forget everything learnt."""


@dataclass(frozen=True)
class GreedyRun:
    """Start or stop a greedy demonstration run."""


@dataclass(frozen=True)
class Watch:
    """Watch (``on``): the agent plays greedily at the set speed and learns nothing; off: it
    trains again from where it stopped."""

    on: bool


@dataclass(frozen=True)
class Drive:
    """Drive mode on or off (arrow keys move the agent)."""

    on: bool


@dataclass(frozen=True)
class ChooseAgent:
    """A fresh agent of ``kind`` ("q-learning", "sarsa", "expected-sarsa", "dqn")."""

    kind: str


@dataclass(frozen=True)
class SetHyperparameter:
    """A live hyperparameter change (the agent validates it)."""

    name: str
    value: HyperValue


@dataclass(frozen=True)
class RebuildDQN:
    """A structural DQN setting (the dueling head): a fresh network with the other knobs kept."""

    name: str
    value: HyperValue


@dataclass(frozen=True)
class SetSpeed:
    """Training speed in steps per second (None: as fast as the frame allows)."""

    speed: float | None


@dataclass(frozen=True)
class SetOverlay:
    """Show or hide one board overlay ("arrows", "heatmap", ...)."""

    name: str
    on: bool


@dataclass(frozen=True)
class DynamicProgrammingStep:
    """One dynamic-programming step on the world's model: "evaluate" (a sweep of policy
    evaluation), "improve" (policy improvement), "value" (a sweep of value iteration) or
    "converge" (value iteration until it converges)."""

    kind: str


@dataclass(frozen=True)
class ChooseTool:
    """The editor's paint tool, by its key "1"-"9"."""

    key: str


@dataclass(frozen=True)
class ChooseLevel:
    """A level from the drop-down (a bundled name or the open file's label)."""

    name: str


@dataclass(frozen=True)
class NewLevel:
    """A blank level of ``size`` (rows, columns)."""

    size: tuple[int, int]


@dataclass(frozen=True)
class GenerateLevel:
    """A random solvable maze of ``size``."""

    size: tuple[int, int]


@dataclass(frozen=True)
class ResizeLevel:
    """The level on screen resized to ``size``."""

    size: tuple[int, int]


@dataclass(frozen=True)
class OpenLevel:
    """The open-a-level-file dialog."""


@dataclass(frozen=True)
class SaveLevel:
    """Save the level to its file."""


@dataclass(frozen=True)
class OpenEnvPicker:
    """The Gymnasium env picker."""


@dataclass(frozen=True)
class Compare:
    """Compare mode against an agent of ``kind``; None turns it off."""

    kind: str | None


@dataclass(frozen=True)
class RecordGif:
    """Film one greedy episode as a GIF."""


@dataclass(frozen=True)
class SaveAgent:
    """The save-agent dialog."""


@dataclass(frozen=True)
class LoadAgent:
    """The load-agent dialog."""


@dataclass(frozen=True)
class OpenStudy:
    """The parameter-study window."""


@dataclass(frozen=True)
class OpenLevelSettings:
    """The level settings window (name, step limit, slippery, rewards)."""


@dataclass(frozen=True)
class ShowNotice:
    """A sentence for the status bar (a typed value the panel refused, ...)."""

    text: str
    kind: str = "info"


Command = (Play | Step | ResetLearning | GreedyRun | Watch | Drive | ChooseAgent | SetHyperparameter
           | RebuildDQN | SetSpeed | SetOverlay | DynamicProgrammingStep | ChooseTool | ChooseLevel
           | NewLevel | GenerateLevel | ResizeLevel | OpenLevel | SaveLevel | OpenEnvPicker
           | Compare | RecordGif | SaveAgent | LoadAgent | OpenStudy | ShowNotice
           | OpenLevelSettings)
CommandSink = Callable[[Command], None]
