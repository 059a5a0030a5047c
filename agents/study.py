"""Parameter studies: how a tabular agent's performance depends on one hyperparameter.

A study trains every (agent kind, parameter value, run) combination for the same number of
episodes on one env and scores each run by its mean return over the measured episodes (all of
them, or the last ``last``). Sutton & Barto's Figure 6.3 is the study
``agents=sarsa,expected-sarsa,q-learning, param=alpha 0.1..1.0, episodes=100`` ("interim") on
the cliff, and the same with a long run measured at its end ("asymptotic").

Run ``i`` of every point uses seed ``seed + i``: agents and values meet the same random numbers
run for run (common random numbers), so differences between points are differences between
settings, not luck. The runs are stepped by :mod:`agents.lockstep`, in batches that interleave
the points, so a partial result already has runs at every point.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.config import ConfigError, TabularConfig, check_range
from agents.tabular import AGENT_KINDS

# Where a study departs from TabularConfig's defaults: Sutton & Barto's studies hold epsilon
# fixed at 0.1 (a decaying 1.0 -> 0.05 would measure the schedule, not the swept parameter).
STUDY_DEFAULTS: dict[str, Any] = {"schedule": "constant", "epsilon": 0.1}
# Other names a user may type for a TabularConfig field.
ALIASES = {"decay": "epsilon_decay", "q0": "initial_q", "initial": "initial_q",
           "lr": "alpha", "learning_rate": "alpha", "lambda": "lam", "planning": "planning_steps"}
NUMERIC = tuple(f.name for f in dataclasses.fields(TabularConfig)
                if "choices" not in f.metadata)
# Episode step cap for envs with no time limit of their own (CliffWalking-v1 has none).
DEFAULT_CAP = 10_000
# Memory a batch of runs may take (Q-tables, random numbers, per-episode outputs).
BATCH_BYTES = 96 << 20
Z95 = 1.959963984540054  # two-sided 95% quantile of the normal distribution


def field_name(text: str) -> str:
    """The TabularConfig field a user's name means (``initial-q``, ``decay``, ``alpha``...)."""
    name = text.strip().lower().replace("-", "_")
    name = ALIASES.get(name, name)
    if name not in TabularConfig.__dataclass_fields__:
        known = ", ".join(f.name for f in dataclasses.fields(TabularConfig))
        raise ConfigError(f"unknown hyperparameter {text.strip()!r}; known ones are {known}")
    return name


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} needs a number, got {text.strip()!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} needs a finite number, got {text.strip()!r}")
    return value


def parse_param(text: str) -> tuple[str, list[float]]:
    """``"alpha=0.1:1.0:10"`` (10 evenly spaced values, ends included), ``"epsilon_decay=
    1e-4:1e-1:4:log"`` (log-spaced) or ``"alpha=0.1,0.5,1"`` -> ``(field name, values)``."""
    name, eq, rest = text.partition("=")
    if not eq or not rest.strip():
        raise ConfigError(f"--param is written name=lo:hi:count or name=v1,v2,..., got {text!r}")
    name = field_name(name)
    if name not in NUMERIC:
        raise ConfigError(f"{name} is not numeric; a study sweeps one of {', '.join(NUMERIC)}")
    parts = rest.split(":")
    if len(parts) == 1:
        values = [_number(name, v) for v in rest.split(",") if v.strip()]
    elif len(parts) in (3, 4):
        lo, hi = _number(name, parts[0]), _number(name, parts[1])
        check_range(TabularConfig, name, lo)  # name the end the user typed, not a value between
        check_range(TabularConfig, name, hi)
        try:
            count = int(parts[2])
        except ValueError:
            raise ConfigError(f"the count in --param {text!r} must be a whole number") from None
        if count < 1:
            raise ConfigError(f"the count in --param {text!r} must be at least 1")
        if len(parts) == 4 and parts[3].strip().lower() != "log":
            raise ConfigError(f"--param {text!r}: the only spacing option is :log")
        if len(parts) == 4:
            if lo <= 0 or hi <= 0:
                raise ConfigError(f"--param {text!r}: log spacing needs positive ends")
            values = np.geomspace(lo, hi, count).tolist()
        else:
            values = np.linspace(lo, hi, count).tolist()
    else:
        raise ConfigError(f"--param is written name=lo:hi:count[:log] or name=v1,v2,..., "
                          f"got {text!r}")
    if not values:
        raise ConfigError(f"--param {text!r} gives no values")
    values = [round(v, 12) for v in values]  # 0.30000000000000004 -> 0.3 in files and labels
    for v in values:
        check_range(TabularConfig, name, v)
    return name, values


def parse_fixed(text: str | None) -> dict[str, Any]:
    """``"epsilon=0.1,gamma=1,schedule=constant"`` -> field values (checked later, together)."""
    fixed: dict[str, Any] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise ConfigError(f"--fixed is written name=value,name=value, got {part.strip()!r}")
        name = field_name(key)
        fixed[name] = value.strip() if name == "schedule" else _number(name, value)
    return fixed


def parse_agents(text: str) -> list[str]:
    """``"sarsa,expected-sarsa,q-learning"`` -> agent kinds, in the order given."""
    kinds = []
    for part in text.split(","):
        kind = part.strip().lower().replace("_", "-")
        if not kind:
            continue
        if kind not in AGENT_KINDS:
            raise ConfigError(f"unknown agent {part.strip()!r}; a study runs "
                              f"{', '.join(AGENT_KINDS)}")
        if kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise ConfigError("--agents names no agent; give e.g. sarsa,q-learning")
    return kinds


@dataclass(frozen=True)
class StudySpec:
    """What to run. ``last`` None scores a run by all its episodes, else by its last ``last``."""

    env: Any  # an env spec (str), or a levels.level.Level
    agents: list[str]
    param: str
    values: list[float]
    runs: int
    episodes: int
    fixed: dict[str, Any] = field(default_factory=dict)
    last: int | None = None
    seed: int = 0
    max_steps: int | None = None

    def __post_init__(self) -> None:
        if self.runs < 1 or self.episodes < 1:
            raise ConfigError("a study needs at least 1 run and 1 episode")
        if self.last is not None and not 1 <= self.last <= self.episodes:
            raise ConfigError(f"--last must be between 1 and --episodes ({self.episodes}), "
                              f"got {self.last}")
        if self.param in self.fixed:
            raise ConfigError(f"{self.param} is swept by --param; do not also fix it")
        self.settings(self.values[0])  # every problem with the fixed values, before any run

    def settings(self, value: float) -> dict[str, Any]:
        """The full, validated TabularConfig values of the point where ``param == value``."""
        values = {**dataclasses.asdict(TabularConfig()), **STUDY_DEFAULTS, **self.fixed,
                  self.param: value}
        return dataclasses.asdict(TabularConfig(**values))

    @property
    def window(self) -> slice:
        """The measured episodes."""
        return slice(0 if self.last is None else self.episodes - self.last, self.episodes)


@dataclass
class StudyResult:
    """Scores ``[agent, value, run]`` (NaN for runs not finished yet or diverged), the mean
    learning curve per point ``[agent, value, episode]`` over the finished runs, and totals."""

    spec: StudySpec
    scores: np.ndarray
    curves: np.ndarray
    finished: np.ndarray  # [agent, value] runs finished so far
    diverged: np.ndarray  # [agent, value] runs stopped by a non-finite Q-value
    steps: int = 0
    seconds: float = 0.0
    env_spec: str = ""
    step_cap: int | None = None  # the episode step limit the runs had

    def point(self, a: int, v: int) -> dict[str, Any]:
        """Mean score, 95% confidence half-width (normal approximation) and run count."""
        s = self.scores[a, v]
        s = s[np.isfinite(s)]
        n = len(s)
        mean = float(s.mean()) if n else math.nan
        half = float(Z95 * s.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        return {"agent": self.spec.agents[a], "value": self.spec.values[v], "mean": mean,
                "ci95": half, "runs": n, "diverged": int(self.diverged[a, v])}

    def points(self) -> list[dict[str, Any]]:
        """:meth:`point` for every (agent, value), agent-major."""
        return [self.point(a, v) for a in range(len(self.spec.agents))
                for v in range(len(self.spec.values))]


Progress = Callable[[StudyResult, int], None]  # (partial result, episodes finished in all)


def run_study(spec: StudySpec, on_progress: Progress | None = None,
              should_stop: Callable[[], bool] | None = None,
              batch_runs: int | None = None) -> StudyResult:
    """Run every (agent, value, run) of ``spec``; ``on_progress`` sees the partial result after
    every compiled call, ``should_stop`` may end the study early (unfinished runs stay NaN).

    Raises:
        ConfigError: the env has no tabular model the compiled kernel can step.
    """
    from agents.fast import time_limit
    from agents.lockstep import LockstepBatch, RunSpec

    env, name, model = _study_env(spec)
    n_agents, n_values, episodes = len(spec.agents), len(spec.values), spec.episodes
    shape = (n_agents, n_values)
    result = StudyResult(spec, np.full((*shape, spec.runs), np.nan), np.zeros((*shape, episodes)),
                         np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64),
                         env_spec=name, step_cap=time_limit(env))
    settings = [spec.settings(v) for v in spec.values]
    # Q-table, uniforms, outputs, and each run's traces (3 arrays) and Dyna model (~5 arrays)
    per_run = model.n_states * model.n_actions * 8 * 9 + 8 * 4096 + episodes * 17
    per_batch = max(1, BATCH_BYTES // (per_run * n_agents * n_values))
    if batch_runs is not None:  # smaller batches: results reach a live figure sooner
        per_batch = max(1, min(per_batch, int(batch_runs)))
    window = spec.window
    sums = np.zeros((*shape, episodes))
    start, done_episodes = time.perf_counter(), 0
    for first in range(0, spec.runs, per_batch):
        index = [(a, v, i) for a in range(n_agents) for v in range(n_values)
                 for i in range(first, min(spec.runs, first + per_batch))]
        runs = [RunSpec(spec.agents[a], settings[v], spec.seed + i) for a, v, i in index]
        batch = LockstepBatch(env, model, runs, episodes)
        before = 0
        while not batch.done:
            if should_stop is not None and should_stop():
                return _finish(result, start)
            result.steps += batch.advance(1 << 20)
            finished = int(batch.finished.sum())
            done_episodes += finished - before
            before = finished
            if on_progress is not None:
                on_progress(result, done_episodes)
        _collect(batch, index, window, result, sums)
        result.curves = sums / np.maximum(result.finished, 1)[..., None]
        if on_progress is not None:
            on_progress(result, done_episodes)
    return _finish(result, start)


def _study_env(spec: StudySpec) -> tuple[Any, str, Any]:
    """The env (capped when it has no time limit), its name and its tabular model. ``spec.env``
    is an env spec or a ``Level`` (the app's level as edited, which may exist in no file).

    Raises:
        ConfigError: the env has no tabular model the compiled kernel can step.
    """
    from agents.fast import TabularModel, TurboUnavailable, time_limit

    env, name = _make_study_env(spec.env, spec.max_steps)
    if time_limit(env) is None:
        env, name = _make_study_env(spec.env, DEFAULT_CAP)
    try:
        return env, name, TabularModel.from_env(env)
    except TurboUnavailable as exc:
        raise ConfigError(f"{name} cannot be studied: {exc}") from None


def _make_study_env(what: Any, max_steps: int | None) -> tuple[Any, str]:
    from levels.envs import make_env
    from levels.level import Level

    if isinstance(what, Level):
        from levels.gridmaze import GridMazeEnv

        level = what if max_steps is None else dataclasses.replace(what, max_steps=max_steps)
        return GridMazeEnv(level), level.name or "level"
    env, resolved = make_env(what, max_steps=max_steps)
    return env, resolved.spec


def _collect(batch: Any, index: list[tuple[int, int, int]], window: Any, result: StudyResult,
             sums: np.ndarray) -> None:
    """A finished batch's runs into ``result``: a score per run, summed curves, divergences."""
    for r, (a, v, i) in enumerate(index):
        if batch.diverged[r]:
            result.diverged[a, v] += 1
            continue
        result.scores[a, v, i] = batch.out_return[r, window].mean()
        sums[a, v] += batch.out_return[r]
        result.finished[a, v] += 1


def _finish(result: StudyResult, start: float) -> StudyResult:
    result.seconds = time.perf_counter() - start
    return result


def summary_line(point: dict[str, Any], param: str) -> str:
    """One line per point: ``sarsa  alpha=0.5  mean -26.41 +- 0.38 (95% CI, 500 runs)``."""
    extra = f", {point['diverged']} diverged" if point["diverged"] else ""
    return (f"{point['agent']:<15} {param}={point['value']:<8g} mean {point['mean']:10.3f} "
            f"+- {point['ci95']:.3f} (95% CI, {point['runs']} runs{extra})")
