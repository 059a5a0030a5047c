"""Agent files: save and load trained agents without ever unpickling anything.

A tabular agent is a ``.npz`` archive (read with ``allow_pickle=False``) holding ``q`` and ``meta``,
a JSON string: format marker and version, agent kind, table shape, hyperparameters, the env spec
it was trained on (``ResolvedEnv.spec``), seed, episodes and steps. Loading checks, in order: the
file exists, it is an intact ``.npz``, it is ours, its version is known, and its table fits the
env it is loaded for; each failure is an ``AgentFileError`` with one sentence.

A DQN is a ``.pt`` file (:mod:`agents.dqn_storage`), imported only when such a file is saved or
loaded, so torch stays out of tabular runs. A Stable-Baselines3 / RL Zoo DQN ``.zip`` is read
(never written) by :mod:`agents.sb3_import`. ``FORMATS`` lists all three.

``export_hf`` writes the Hugging Face Deep RL course's model folder (``q-learning.pkl``, a model
card with the evaluation, ``results.json``) so a learner can publish with the course's tools. The
pickle is only ever written here, never read.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.agentfile import AgentFileError as AgentFileError
from agents.config import AUTO, TabularConfig
from agents.filechecks import (
    MAPPING,
    MAX_NPZ_BYTES,
    NPZ_MEMBER_BYTES,
    TEXT,
    WHOLE,
    FileCheckError,
    check_fields,
    check_hyperparameters,
    check_version,
    read_npz_members,
)
from agents.protocol import Agent
from agents.tabular import AGENT_KINDS, make_tabular
from levels.atomic import atomic_write_bytes
from levels.fileread import FileRefused, read_regular_file

FORMAT = "rl-sandbox-agent"
VERSION = 1
_TABULAR_FIELDS = frozenset(f.name for f in dataclasses.fields(TabularConfig)) | {
    "auto_initial_q"}


@dataclass(frozen=True)
class AgentFormat:
    """How one family of agents is stored.

    ``save(path, agent, meta)`` writes atomically; ``load(path, device) -> (agent, meta)`` and
    ``check(path, agent, meta, env)`` (does the agent fit ``env``?) raise AgentFileError (or a
    subclass) with one sentence.  ``device`` is the torch device a network agent is loaded onto
    (``"auto"``, ``"cpu"``, ``"cuda:N"``); tables ignore it.
    """

    suffix: str
    kinds: tuple[str, ...]
    save: Callable[[Path, Any, dict], None]
    load: Callable[[Path, str], tuple[Any, dict]]
    check: Callable[[str | os.PathLike[str], Any, dict, Any], None]


def _format_for_kind(kind: str) -> AgentFormat | None:
    return next((f for f in FORMATS if kind in f.kinds), None)


def suffix_for_kind(kind: str) -> str | None:
    """The file suffix agents of ``kind`` are saved with (None if no format knows the kind)."""
    fmt = _format_for_kind(kind)
    return fmt.suffix if fmt else None


def _format_for_suffix(path: Path) -> AgentFormat | None:
    return next((f for f in FORMATS if f.suffix == path.suffix.lower()), None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in agent metadata")


def agent_meta(agent: Agent, meta: dict | None = None) -> dict:
    """The metadata stored with ``agent``: ours (format, kind, shape) plus the caller's ``meta``."""
    out = {"format": FORMAT, "version": VERSION, "kind": agent.kind}
    out.update(meta or {})
    out["hyperparameters"] = {**agent.hyperparameters(),
                              **(meta or {}).get("hyperparameters", {})}
    q = agent.q_table
    if q is not None:
        out["n_states"], out["n_actions"] = int(q.shape[0]), int(q.shape[1])
    out["saved_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return out


def save_agent(path: str | os.PathLike[str], agent: Agent, meta: dict | None = None) -> None:
    """Write ``agent`` and ``meta`` (env spec, seed, episodes, steps, ...) to ``path`` atomically.

    Raises:
        AgentFileError: the suffix does not fit the agent kind, or the file cannot be written.
    """
    path = Path(path)
    kind = agent.kind
    fmt = _format_for_kind(kind)
    if fmt is None:
        raise AgentFileError(f"there is no file format for {kind!r} agents")
    if path.suffix.lower() != fmt.suffix:
        raise AgentFileError(
            f"{path}: {kind} agents are saved as {fmt.suffix} files; use a name ending in "
            f"{fmt.suffix}"
        )
    try:
        fmt.save(path, agent, agent_meta(agent, meta))
    except OSError as exc:
        raise AgentFileError(f"cannot write {path}: {exc.strerror or exc}") from None


def load_agent(path: str | os.PathLike[str], expect_env: Any = None,
               device: str = "auto") -> tuple[Any, dict]:
    """Read an agent file; with ``expect_env`` (an env or ``(n_states, n_actions)``) check it fits.

    ``device`` places a network agent (a DQN) on that torch device; tabular agents ignore it.

    Raises:
        AgentFileError: missing, unreadable, truncated or foreign file, unknown version or kind,
            or a table of another shape than ``expect_env``.
    """
    path = Path(path)
    if not path.exists():
        raise AgentFileError(f"agent file {path} does not exist")
    if path.is_dir():
        raise AgentFileError(f"{path} is a folder, not an agent file")
    fmt = _format_for_suffix(path)
    if fmt is None:
        known = ", ".join(sorted(f.suffix for f in FORMATS))
        raise AgentFileError(f"{path} is not an agent file: expected a name ending in {known}")
    agent, meta = fmt.load(path, device)
    if expect_env is not None:
        check_fits(path, agent, meta, expect_env)
    return agent, meta


def _env_shape(env: Any) -> tuple[int | None, int | None]:
    if isinstance(env, tuple):
        return env
    obs, act = env.observation_space, env.action_space
    return getattr(obs, "n", None), getattr(act, "n", None)


def check_fits(path: str | os.PathLike[str], agent: Agent, meta: dict, env: Any) -> None:
    """Raise AgentFileError unless ``agent`` (read from ``path``) fits ``env``'s spaces."""
    fmt = _format_for_kind(agent.kind)
    if fmt is None:
        raise AgentFileError(f"there is no file format for {agent.kind!r} agents")
    fmt.check(path, agent, meta, env)


# ---- tabular: .npz ---------------------------------------------------------------------------
def _check_npz(path: str | os.PathLike[str], agent: Any, meta: dict, env: Any) -> None:
    q = agent.q_table
    n_states, n_actions = _env_shape(env)
    if (n_states, n_actions) != q.shape:
        where = meta.get("env") or "another env"
        raise AgentFileError(
            f"{path} was trained on {where} ({q.shape[0]} states, {q.shape[1]} actions) and "
            f"does not fit this env ({n_states} states, {n_actions} actions)"
        )


def _save_npz(path: Path, agent: Any, meta: dict) -> None:
    if agent.initial_q_setting == AUTO:
        # what "auto" meant on the agent's world, so a reset after loading starts from it too
        hyper = {**meta.get("hyperparameters", {}), "auto_initial_q": agent.auto_initial_q}
        meta = {**meta, "hyperparameters": hyper}
    buffer = io.BytesIO()
    text = json.dumps(meta, default=_jsonable, sort_keys=True)
    np.savez_compressed(buffer, q=np.asarray(agent.q, dtype=np.float64), meta=np.array(text))
    atomic_write_bytes(path, buffer.getvalue())


def _load_npz(path: Path, device: str = "auto") -> tuple[Any, dict]:
    foreign = f"{path} is an .npz archive but not an RL Sandbox agent file"
    data = read_agent_bytes(path, MAX_NPZ_BYTES)
    if data.startswith(b"\x93NUMPY"):
        raise AgentFileError(f"{path} is a numpy array, not an RL Sandbox agent file")
    try:
        arrays = read_npz_members(data, NPZ_MEMBER_BYTES)
    except FileCheckError as err:
        raise AgentFileError(f"{path} {err}") from None
    q, raw = arrays["q"], arrays["meta"]
    try:
        meta = json.loads(str(raw[()])) if raw.shape == () and raw.dtype.kind == "U" else None
    except (ValueError, RecursionError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise AgentFileError(foreign)
    try:
        check_version(meta, VERSION)
        check_fields(meta, NPZ_FIELDS, required=("kind",))
        check_hyperparameters(meta.get("hyperparameters") or {})
    except FileCheckError as err:
        raise AgentFileError(f"{path} {err}") from None
    kind = meta["kind"]
    if kind not in AGENT_KINDS:
        raise AgentFileError(f"{path} holds an unknown agent kind {kind[:40]!r}")
    if q.ndim != 2 or q.dtype.kind != "f" or 0 in q.shape:
        raise AgentFileError(f"{path} has a damaged Q-table of shape {q.shape[:4]}")
    if not np.isfinite(q).all():
        raise AgentFileError(f"{path} has a damaged Q-table: it holds NaN or infinite values")
    hp = {k: v for k, v in (meta.get("hyperparameters") or {}).items()
          if k in _TABULAR_FIELDS}
    try:
        agent = make_tabular(kind, q.shape[0], q.shape[1], **hp)
    except (ValueError, TypeError) as exc:
        raise AgentFileError(f"{path} has invalid hyperparameters: {exc}") from None
    agent.q[...] = q
    return agent, meta


# ---- DQN: .pt (torch imported only here) -----------------------------------------------------
def _save_pt(path: Path, agent: Any, meta: dict) -> None:
    from agents.dqn_storage import save_dqn

    save_dqn(path, agent, meta)


def _load_pt(path: Path, device: str = "auto") -> tuple[Any, dict]:
    from agents.dqn_storage import load_dqn

    return load_dqn(path, device=device)


def _check_pt(path: str | os.PathLike[str], agent: Any, meta: dict, env: Any) -> None:
    from agents.dqn_storage import check_spaces

    check_spaces("this DQN", agent.observation_space, agent.action_space, env)


# ---- Stable-Baselines3 DQN: .zip, read only ----------------------------------------------------
def _save_zip(path: Path, agent: Any, meta: dict) -> None:
    raise AgentFileError(f"{path}: RL Sandbox reads Stable-Baselines3 .zip models but saves "
                         f"DQNs as .pt files")


def _load_zip(path: Path, device: str = "auto") -> tuple[Any, dict]:
    from agents.sb3_import import load_sb3_dqn

    return load_sb3_dqn(path, device=device)


FORMATS: tuple[AgentFormat, ...] = (
    AgentFormat(".npz", ("q-learning", "sarsa", "expected-sarsa"), _save_npz, _load_npz,
                _check_npz),
    AgentFormat(".pt", ("dqn",), _save_pt, _load_pt, _check_pt),
    AgentFormat(".zip", (), _save_zip, _load_zip, _check_pt),
)


NPZ_FIELDS = {"kind": TEXT, "env": TEXT, "env_id": TEXT, "max_steps": WHOLE, "seed": WHOLE,
              "episodes": WHOLE, "steps": WHOLE, "hyperparameters": MAPPING,
              "n_states": WHOLE, "n_actions": WHOLE, "level": TEXT}
"""Types of the metadata an ``.npz`` agent file may carry (absent or null is fine)."""


def read_agent_bytes(path: Path, limit: int) -> bytes:
    """The bytes of an agent file: a regular file of at most ``limit`` bytes, else one sentence."""
    try:
        return read_regular_file(path, limit)
    except FileRefused as err:
        raise AgentFileError(f"{path} is not an agent file: {err}") from None
    except FileNotFoundError:
        raise AgentFileError(f"agent file {path} does not exist") from None
    except OSError as err:
        raise AgentFileError(f"cannot read {path}: {err.strerror or err}") from None



# ---- the Hugging Face Deep RL course's format ---------------------------------------------------
def export_hf(
    directory: str | os.PathLike[str], *, qtable: np.ndarray, env_id: str, env_kwargs: dict,
    max_steps: int, n_training_episodes: int, n_eval_episodes: int, eval_seed: list[int],
    learning_rate: float, gamma: float, max_epsilon: float, min_epsilon: float,
    decay_rate: float, mean_reward: float, std_reward: float, algorithm: str = "q-learning",
) -> list[Path]:
    """Write the course's model folder: ``q-learning.pkl``, ``README.md``, ``results.json``.

    The pickle holds the course's dict (plus ``map_name`` / ``slippery`` for FrozenLake, as its
    ``push_to_hub`` adds), so the course's ``load_from_hub`` and ``evaluate_agent`` read it.
    ``env_kwargs`` are laid over the id's registered ones, as ``env.spec.kwargs`` are in the
    course: a plain ``FrozenLake-v1`` is exported with ``map_name='4x4'``. Returns the written
    paths.

    Raises:
        AgentFileError: ``directory`` cannot be created or written.
    """
    folder = Path(directory)
    env_kwargs = {**_registered_kwargs(env_id), **env_kwargs}
    model = {
        "env_id": env_id, "max_steps": int(max_steps),
        "n_training_episodes": int(n_training_episodes), "n_eval_episodes": int(n_eval_episodes),
        "eval_seed": [int(s) for s in eval_seed], "learning_rate": float(learning_rate),
        "gamma": float(gamma), "max_epsilon": float(max_epsilon),
        "min_epsilon": float(min_epsilon), "decay_rate": float(decay_rate),
        "qtable": np.array(qtable, dtype=np.float64),
    }
    env_name = env_id
    if env_kwargs.get("map_name"):
        model["map_name"] = env_kwargs["map_name"]
        env_name += "-" + str(env_kwargs["map_name"])
    if env_kwargs.get("is_slippery", True) is False:
        model["slippery"] = False
        env_name += "-no_slippery"
    results = {"env_id": env_id, "mean_reward": float(mean_reward),
               "n_eval_episodes": int(n_eval_episodes),
               "eval_datetime": datetime.datetime.now().isoformat()}
    files = {
        "q-learning.pkl": pickle.dumps(model),
        "README.md": _model_card(env_name, env_id, env_kwargs, algorithm, mean_reward, std_reward,
                                 n_eval_episodes).encode("utf-8"),
        "results.json": json.dumps(results, indent=2).encode("utf-8"),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            atomic_write_bytes(folder / name, data)
    except OSError as exc:
        raise AgentFileError(f"cannot write the Hugging Face export to {folder}: "
                             f"{exc.strerror or exc}") from None
    return [folder / name for name in files]


def _registered_kwargs(env_id: str) -> dict[str, Any]:
    """The keyword arguments Gymnasium registered ``env_id`` with (``{}`` for unknown ids)."""
    import gymnasium

    try:
        return dict(gymnasium.spec(env_id).kwargs)
    except gymnasium.error.Error:
        return {}


def _model_card(env_name: str, env_id: str, env_kwargs: dict, algorithm: str, mean: float,
                std: float, n_eval: int) -> str:
    """The course's model card: YAML metadata (tags, model-index with mean_reward) and usage."""
    pretty = {"q-learning": "Q-Learning", "sarsa": "SARSA", "expected-sarsa": "Expected SARSA"}
    name = pretty.get(algorithm, algorithm)
    repo = f"q-{env_name}"
    kwargs = "".join(f", {k}={v!r}" for k, v in env_kwargs.items())
    return f"""---
tags:
- {env_name}
- q-learning
- reinforcement-learning
- custom-implementation
model-index:
- name: {repo}
  results:
  - task:
      type: reinforcement-learning
      name: reinforcement-learning
    dataset:
      name: {env_name}
      type: {env_name}
    metrics:
    - type: mean_reward
      value: {mean:.2f} +/- {std:.2f}
      name: mean_reward
      verified: false
---

# **{name}** Agent playing **{env_id}**
This is a trained model of a **{name}** agent playing **{env_id}**, trained with RL Sandbox.

Evaluation: mean reward {mean:.2f} +/- {std:.2f} over {n_eval} greedy episodes.

## Usage

```python
model = load_from_hub(repo_id="<username>/{repo}", filename="q-learning.pkl")

# Don't forget to check if you need to add additional attributes (is_slippery=False etc)
env = gym.make(model["env_id"]{kwargs})

evaluate_agent(env, model["max_steps"], model["n_eval_episodes"], model["qtable"],
               model["eval_seed"])
```
"""

