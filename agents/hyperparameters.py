"""Live hyperparameter changes for a running session: validate everything, then apply.

A slider or a flag may change alpha, gamma or any epsilon knob between two steps. The knobs that
shape the session's exploration (schedule, epsilon, epsilon_min, epsilon_decay) rebuild its
schedule; the rest are agent attributes. An agent that brings its own schedule (a DQN: epsilon
start, end and exploration fraction are its attributes) has no session schedule knobs. Every
value is checked against the range its config dataclass declares, all before anything changes,
so a refused change leaves the session as it was.
"""

from __future__ import annotations

from typing import Any

from agents import config
from agents.schedules import ExponentialSchedule, LinearSchedule, make_schedule


def schedule_knobs(schedule: Any) -> dict[str, Any]:
    """The TabularConfig knobs (schedule, epsilon, epsilon_min, epsilon_decay) of a schedule."""
    defaults = config.TabularConfig()
    if isinstance(schedule, ExponentialSchedule):
        return {"schedule": "exponential", "epsilon": schedule.eps_max,
                "epsilon_min": schedule.eps_min, "epsilon_decay": schedule.decay}
    if isinstance(schedule, LinearSchedule):
        return {"schedule": "linear", "epsilon": schedule.start, "epsilon_min": schedule.end,
                "epsilon_decay": abs(schedule.start - schedule.end) / schedule.steps}
    return {"schedule": "constant", "epsilon": schedule.epsilon,
            "epsilon_min": defaults.epsilon_min, "epsilon_decay": defaults.epsilon_decay}


def plan_change(agent: Any, schedule: Any, kw: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Validate the changes ``kw`` (name -> value).

    ``schedule`` None means the agent owns its exploration: every name is then an agent
    attribute (a DQN's ``epsilon`` pins its own schedule). Returns the schedule to use next
    (None again in that case) and the agent attributes to set.

    Raises:
        ConfigError: an unknown name or a value outside its range.
    """
    knobs = {} if schedule is None else schedule_knobs(schedule)
    agent_values: dict[str, Any] = {}
    classes = [c for c in (config.TabularConfig, getattr(config, "DQNConfig", None)) if c]
    for name, value in kw.items():
        cls = next((c for c in classes if name in c.__dataclass_fields__), None)
        if cls is None or (name not in knobs and not hasattr(agent, name)):
            raise config.ConfigError(f"unknown hyperparameter {name!r}")
        config.check_range(cls, name, value)
        if name in knobs:
            knobs[name] = value
        else:
            agent_values[name] = value
    if any(name in knobs for name in kw):
        schedule = make_schedule(knobs["schedule"], knobs["epsilon"], knobs["epsilon_min"],
                                 knobs["epsilon_decay"])
    return schedule, agent_values


def current(agent: Any, schedule: Any) -> dict[str, Any]:
    """The live hyperparameters of ``agent`` and ``schedule``, as stored in agent files."""
    out = schedule_knobs(schedule)
    for name in ("alpha", "gamma", "initial_q", "lam", "trace", "planning_steps"):
        if hasattr(agent, name):
            out[name] = getattr(agent, name)
    return out
