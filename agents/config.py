"""Hyperparameters as dataclasses: one place that states each knob, its default and its valid range.

The CLI builds its flags and the app its sliders from these fields, so a range is written once and
every front end refuses the same bad values with the same sentence.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A hyperparameter outside its valid range; the message is one sentence a user can act on."""


AUTO = "auto"  #: the setting of a knob the agent works out from its world (``initial_q``)


def knob(default: Any, lo: float | None, hi: float | None, help: str, **extra: Any) -> Any:
    """A dataclass field carrying its valid closed range ``[lo, hi]`` and a one-line help text."""
    return field(default=default, metadata={"range": (lo, hi), "help": help, **extra})


def _metadata(cls: type, name: str) -> Any:
    """What ``knob`` declared for ``cls.name`` (KeyError naming the class when there is none)."""
    fields = getattr(cls, "__dataclass_fields__", {})
    if name not in fields:
        raise KeyError(f"{cls.__name__} has no hyperparameter {name!r}")
    return fields[name].metadata


def field_range(cls: type, name: str) -> tuple[float | None, float | None]:
    """The ``(lo, hi)`` range declared for ``cls.name``."""
    return _metadata(cls, name).get("range", (None, None))


def field_help(cls: type, name: str) -> str:
    """The help text declared for ``cls.name``."""
    return str(_metadata(cls, name).get("help", ""))


def check_range(cls: type, name: str, value: Any) -> Any:
    """Return ``value`` if it lies in the range (or is one of the choices) declared for
    ``cls.name``, else raise ConfigError."""
    lo, hi = field_range(cls, name)
    label = _metadata(cls, name).get("label") or name.replace("_", " ")
    choices = _metadata(cls, name).get("choices")
    if _metadata(cls, name).get("auto") and value == AUTO:
        return value
    if choices is not None:
        if value not in choices:
            raise ConfigError(f"{label} must be one of {', '.join(choices)}, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if lo is None and hi is None:
            return value
        also = f" or {AUTO}" if _metadata(cls, name).get("auto") else ""
        raise ConfigError(f"{label} must be a number{also}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{label} must be a finite number, got {value}")
    shown = number_text(value)
    if lo is not None and hi is not None and not lo <= value <= hi:
        raise ConfigError(f"{label} must be between {lo:g} and {hi:g}, got {shown}")
    if lo is not None and value < lo:
        raise ConfigError(f"{label} must be at least {lo:g}, got {shown}")
    if hi is not None and value > hi:
        raise ConfigError(f"{label} must be at most {hi:g}, got {shown}")
    return value


def number_text(value: float) -> str:
    """``value`` with every digit needed to tell it from a bound (1.0000001 is not "1"), and
    short (at most ~24 characters, however many digits an integer has)."""
    text = repr(float(value)) if isinstance(value, float) else str(value)
    return text if len(text) <= 24 else f"{float(value):.6g}"


DEVICE_NAMES = "auto, cpu, cuda or cuda:N"


def check_device_name(requested: str) -> str:
    """The lower-cased device name if it is one of :data:`DEVICE_NAMES`, else ConfigError.

    Only the spelling is checked (no torch import): whether CUDA is there is asked later.
    """
    name = str(requested).strip().lower()
    if not re.fullmatch(r"auto|cpu|cuda(?::\d{1,3})?", name):
        raise ConfigError(f"device must be {DEVICE_NAMES}, got {shorten(str(requested))}")
    return name


def shorten(text: str, limit: int = 60) -> str:
    """``text`` quoted like ``repr`` and cut to about ``limit`` characters, so a message quoting
    input stays one short sentence."""
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def validate(config: Any) -> Any:
    """Check every ranged field of a config instance; return it unchanged when all are valid."""
    for f in dataclasses.fields(config):
        check_range(type(config), f.name, getattr(config, f.name))
    return config


def whole_number(name: str, value: Any) -> int:
    """``value`` as an int when it is a whole number (``3.0`` from a float flag included)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name.replace('_', ' ')} must be a whole number, got {value!r}")
    return int(value)


SCHEDULES = ("constant", "linear", "exponential")
TRACE_KINDS = ("replacing", "accumulating")


@dataclass
class TabularConfig:
    """Hyperparameters of the tabular agents (Q-learning, SARSA, Expected SARSA)."""

    alpha: float = knob(
        0.1, 0.0, 1.0, "learning rate: how far each update moves Q toward the TD target"
    )
    gamma: float = knob(0.99, 0.0, 1.0, "discount: how much a reward one step later is worth")
    epsilon: float = knob(
        1.0, 0.0, 1.0, "exploration rate at the start (probability of a random action)"
    )
    epsilon_min: float = knob(0.05, 0.0, 1.0, "exploration rate the schedule decays toward")
    epsilon_decay: float = knob(
        0.0005, 0.0, 1.0, "exponential decay per episode (0 keeps epsilon constant)"
    )
    schedule: str = knob("exponential", None, None, "epsilon schedule", choices=SCHEDULES)
    initial_q: float | str = knob(
        AUTO, -1e6, 1e6,
        "initial value of every Q-table entry; auto: on a maze level the largest reward one move "
        "can earn there (never below 0), so every untried move looks worth trying; 0 on a "
        "Gymnasium env", auto=True,
    )
    lam: float = knob(
        0.0, 0.0, 1.0,
        "eligibility-trace decay lambda: 0 updates only the last step, near 1 credits the "
        "whole path so far (SARSA(lambda), Watkins's Q(lambda))", flag="--lambda", label="lambda",
    )
    trace: str = knob(
        "replacing", None, None,
        "eligibility traces: replacing (reset to 1 on a revisit) or accumulating (add 1)",
        choices=TRACE_KINDS,
    )
    planning_steps: int = knob(
        0, 0, 10_000,
        "Dyna: simulated updates from the learnt model after every real step (0: none)",
    )

    def __post_init__(self) -> None:
        validate(self)
        self.planning_steps = whole_number("planning_steps", self.planning_steps)


DQN_LOSSES = ("huber", "mse")
DQN_NETWORKS = ("auto", "mlp", "nature_cnn", "grid_cnn")  # agents.qnetwork.NETWORKS, torch-free
DQN_PRECISIONS = ("fp32", "bf16")
NATURE_MIN_SIZE = 36  # the Nature CNN's strides need at least 36x36 pixels


def choose_network(obs_shape: tuple[int, ...], requested: str = "auto") -> str:
    """The network for observations of ``obs_shape``: ``requested``, or the natural one.

    ``auto`` picks the Nature DQN CNN for channels-first images of at least 36x36 pixels (84x84
    Atari frame stacks), the small grid CNN for smaller ones (a maze in image mode, one pixel per
    cell), and the MLP for everything else.

    Raises:
        ValueError: a CNN asked for observations that are not ``(channels, height, width)``
            images big enough for it (one sentence).
    """
    image = len(obs_shape) == 3 and obs_shape[0] <= 64
    if requested == "auto":
        if not image:
            return "mlp"
        return "nature_cnn" if min(obs_shape[1:]) >= NATURE_MIN_SIZE else "grid_cnn"
    if requested in ("nature_cnn", "grid_cnn") and not image:
        raise ValueError(f"network {requested} needs image observations (channels, height, "
                         f"width), got shape {tuple(obs_shape)}")
    if requested == "nature_cnn" and min(obs_shape[1:]) < NATURE_MIN_SIZE:
        raise ValueError(f"network nature_cnn needs images of at least {NATURE_MIN_SIZE}x"
                         f"{NATURE_MIN_SIZE} pixels, got {obs_shape[1]}x{obs_shape[2]}; use "
                         f"grid_cnn")
    return requested



@dataclass
class DQNConfig:
    """Hyperparameters of the DQN agent (names follow Stable-Baselines3 where it has one).

    Step counts are environment steps, as in Stable-Baselines3 and RL Baselines3 Zoo, so a Zoo
    preset reads across unchanged.  ``hidden`` is the one structural knob: it is fixed when the
    network is built.
    """

    learning_rate: float = knob(
        5e-4, 1e-8, 1e6, "Adam step size (try 1e6 to watch divergence being caught)"
    )
    learning_rate_end: float = knob(
        1.0, 0.0, 1.0,
        "final learning rate as a fraction of the first; it falls linearly over total steps "
        "(1 keeps it constant)",
    )
    gamma: float = knob(0.99, 0.0, 1.0, "discount: how much a reward one step later is worth")
    batch_size: int = knob(64, 1, 65_536, "transitions per gradient step, drawn uniformly")
    buffer_size: int = knob(50_000, 1, 10_000_000, "replay buffer capacity; the oldest go first")
    learning_starts: int = knob(1_000, 0, 1_000_000_000, "env steps before the first gradient step")
    train_freq: int = knob(4, 1, 1_000_000, "env steps between training rounds")
    gradient_steps: int = knob(1, 1, 100_000, "gradient steps per training round")
    target_update_interval: int = knob(
        1_000, 1, 1_000_000_000, "env steps between target-network updates"
    )
    tau: float = knob(
        1.0, 1e-6, 1.0,
        "target update weight: 1 copies the online network (hard), below 1 blends it in (Polyak)",
    )
    double: bool = knob(True, None, None, "Double DQN: the online net picks the next action")
    dueling: bool = knob(False, None, None, "dueling head: Q = V + A - mean(A)")
    n_step: int = knob(1, 1, 100, "steps summed into each return before bootstrapping")
    loss: str = knob("huber", None, None, "TD loss: huber or mse", choices=DQN_LOSSES)
    max_grad_norm: float = knob(10.0, 0.0, 1e6, "gradient-norm clip (0 turns clipping off)")
    adam_eps: float = knob(
        1e-8, 1e-12, 1.0, "Adam's epsilon; larger values damp the steps once gradients get small"
    )
    hidden: tuple[int, ...] = knob(
        (64, 64), None, None, "hidden layer widths of the MLP (after the convolutions for a CNN)"
    )
    network: str = knob(
        "auto", None, None,
        "Q-network: auto (Nature CNN for frame stacks, grid CNN for small images, else MLP), "
        "mlp, nature_cnn or grid_cnn", choices=DQN_NETWORKS,
    )
    precision: str = knob(
        "fp32", None, None,
        "arithmetic of training: fp32, or bf16 mixed precision (bfloat16 convolutions and "
        "matrix products; float32 weights, loss, Adam and acting); bf16 trains about 1.4x "
        "faster on CPUs with AVX512-BF16 or AMX and on GPUs, slower elsewhere",
        choices=DQN_PRECISIONS,
    )
    clip_rewards: bool = knob(
        False, None, None,
        "learn from the sign of each reward (Atari); episode returns stay on the raw score",
    )
    epsilon_start: float = knob(1.0, 0.0, 1.0, "exploration rate at step 0")
    epsilon_end: float = knob(0.05, 0.0, 1.0, "exploration rate after the linear decay")
    exploration_fraction: float = knob(
        0.1, 0.0, 1.0, "fraction of total steps over which epsilon falls to its end value"
    )
    total_steps: int = knob(
        100_000, 1, 10_000_000_000,
        "planned run length; the epsilon and learning-rate schedules span it",
    )
    threads: int = knob(
        1, 0, 256, "torch CPU threads for the whole process (0 keeps torch's default)"
    )

    def __post_init__(self) -> None:
        validate(self)
        for name in ("double", "dueling", "clip_rewards"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name in ("batch_size", "buffer_size", "learning_starts", "train_freq",
                     "gradient_steps", "target_update_interval", "n_step", "total_steps",
                     "threads"):
            value = getattr(self, name)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ConfigError(f"{name.replace('_', ' ')} must be a whole number, got {value!r}")
            setattr(self, name, int(value))
        hidden = self.hidden
        if isinstance(hidden, int) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if (not isinstance(hidden, (tuple, list)) or not hidden
                or not all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 65_536
                           for h in hidden)):
            raise ConfigError(
                f"hidden must list one or more layer widths between 1 and 65536, got {hidden!r}"
            )
        self.hidden = tuple(hidden)
