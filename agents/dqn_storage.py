"""Save and load DQN agents: one torch file of weights and plain metadata, never a pickle.

File layout (``torch.save`` of a dict, read back with ``torch.load(weights_only=True)``)::

    {"format": "rl-sandbox-dqn", "version": 1,
     "state_dict": online network, "target_state_dict": target network,
     "optimizer_state_dict": Adam moments (so training can resume),
     "meta": {JSON-able: hyperparameters, observation/action spaces, counters, caller's meta}}

``weights_only=True`` means a file carrying any pickled Python object is refused by torch before
anything in it runs; we turn that, a foreign or damaged file, and a model made for other
observation or action shapes into one sentence each.  Saving goes through an in-memory buffer and
``atomic_write_bytes``, and a diverged agent is never saved, so a good file on disk survives a
crash or a NaN.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.agentfile import AgentFileError
from agents.config import ConfigError
from agents.dqn import (
    DQN,
    MAX_NETWORK_PARAMETERS,
    SpaceError,
    planned_parameters,
    resolve_device,
)
from agents.filechecks import (
    MAPPING,
    NUMBER,
    TEXT,
    WHOLE,
    FileCheckError,
    check_fields,
    check_finite,
    check_hyperparameters,
    check_space_meta,
    check_version,
    check_zip_integrity,
    iter_tensors,
)
from levels.atomic import atomic_write_bytes
from levels.fileread import FileRefused, read_regular_file

FORMAT = "rl-sandbox-dqn"
VERSION = 1

class DQNFileError(AgentFileError):
    """A DQN file that cannot be saved or loaded; the message names the file and the reason."""


def space_meta(space: gym.Space) -> dict[str, Any]:
    """The JSON-able facts about a space that decide whether a network fits it."""
    if isinstance(space, gym.spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, gym.spaces.Box):  # the bounds' extremes set a CNN's input scale
        return {"type": "Box", "shape": list(space.shape), "dtype": str(space.dtype),
                "low": _finite_or_none(np.min(space.low)), "high": _finite_or_none(
                    np.max(space.high))}
    raise DQNFileError(f"DQN files describe Box or Discrete spaces only, not {space}")


def space_from_meta(meta: dict[str, Any]) -> gym.Space:
    """Rebuild a space with the saved shape (Box bounds are not needed by the network)."""
    if meta.get("type") == "Discrete":
        return gym.spaces.Discrete(int(meta["n"]), start=int(meta.get("start", 0)))
    if meta.get("type") == "Box":
        dtype = np.dtype(meta["dtype"])
        low, high = meta.get("low"), meta.get("high")
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            low = info.min if low is None else low
            high = info.max if high is None else high
        return gym.spaces.Box(-np.inf if low is None else low, np.inf if high is None else high,
                              shape=tuple(int(d) for d in meta["shape"]), dtype=dtype)
    raise ValueError(f"unknown space type {meta.get('type')!r}")


def _finite_or_none(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def describe(obs: dict[str, Any], act: dict[str, Any]) -> str:
    """'observations of shape (4,) and 2 actions' / '16 discrete observations and 4 actions'."""
    if obs.get("type") == "Discrete":
        what = f"{obs.get('n')} discrete observations"
    else:
        what = f"observations of shape {tuple(obs.get('shape', ()))}"
    return f"{what} and {act.get('n')} actions"


def is_dqn_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a torch zip archive (what ``save_dqn`` writes) rather than, say, a .npz.

    Both are zip files; torch's holds a ``data.pkl`` record.  Nothing is unpickled here.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return _has_torch_record(archive)
    except (OSError, zipfile.BadZipFile):
        return False


def _has_torch_record(archive: zipfile.ZipFile) -> bool:
    return any(name == "data.pkl" or name.endswith("/data.pkl") for name in archive.namelist())


def save_dqn(path: str | os.PathLike[str], agent: DQN, meta: dict[str, Any] | None = None) -> None:
    """Write ``agent`` and ``meta`` (plain JSON data: env spec, notes, ...) to ``path`` atomically.

    Raises:
        DQNFileError: the agent diverged (its weights are NaN or overflowing) or ``meta`` is not
            plain JSON data; the file on disk is left untouched.
    """
    name = Path(path).name
    if agent.diverged is not None or not all(
            bool(torch.isfinite(p).all()) for p in agent.q_net.parameters()):
        raise DQNFileError(f"{name} was not written: this agent's training diverged, so its "
                           f"weights are not worth keeping (the file on disk is unchanged)")
    try:
        user_meta = json.loads(json.dumps(meta or {}, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise DQNFileError(f"{name} was not written: its metadata must be plain JSON data "
                           f"({err})") from None
    hyperparameters = dataclasses.asdict(agent.config)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "state_dict": _cpu(agent.q_net.state_dict()),
        "target_state_dict": _cpu(agent.target_net.state_dict()),
        "optimizer_state_dict": _cpu(agent.optimizer.state_dict()),
        "meta": json.loads(json.dumps({  # plain types only: weights_only refuses anything else
            **user_meta,
            "agent": "dqn",
            "hyperparameters": hyperparameters,
            "observation_space": space_meta(agent.observation_space),
            "action_space": space_meta(agent.action_space),
            "num_steps": agent.num_steps,
            "num_updates": agent.num_updates,
            "epsilon": float(agent.epsilon),
            "seed": agent.seed,
            "torch_version": str(torch.__version__),
        })),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _cpu(tree: Any) -> Any:
    """A copy of a (nested) state dict with every tensor on the CPU, so any machine can load it."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu()
    if isinstance(tree, dict):
        return {key: _cpu(value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_cpu(value) for value in tree)
    return tree


MAX_SPACE_VALUES = 2**21
"""Most values a saved observation space may claim: the largest level has 2**20 states, an Atari
observation 28,224 pixels. Rebuilding a Box allocates its bounds, so this is checked first."""
MAX_PT_BYTES = 4 * 4 * MAX_NETWORK_PARAMETERS + 2**24
"""The largest ``.pt`` file read: four float32 copies of the largest network (online, target,
Adam's two moments) and room for metadata."""
META_FIELDS = {"num_steps": WHOLE, "num_updates": WHOLE, "seed": WHOLE, "epsilon": NUMBER,
               "env": TEXT, "env_id": TEXT, "max_steps": WHOLE, "hyperparameters": MAPPING,
               "observation_space": MAPPING, "action_space": MAPPING, "level": TEXT}
"""Types of the metadata a DQN file may carry (absent or null is fine for all but the three
mappings)."""


def read_payload(path: str | os.PathLike[str], device: str = "cpu") -> dict[str, Any]:
    """The checked payload of a DQN file (weights only), or DQNFileError in one sentence.

    Checked before torch reads it: a regular file under :data:`MAX_PT_BYTES`, a zip whose CRCs
    hold; after: the format marker, the version, the metadata's types and finite weights.
    """
    name = Path(path).name
    try:
        data = read_regular_file(path, MAX_PT_BYTES)
    except FileNotFoundError:
        raise DQNFileError(f"{name}: no such file") from None
    except FileRefused as err:
        raise DQNFileError(f"{name} is not an agent file: {err}") from None
    except OSError as err:
        raise DQNFileError(f"{name} cannot be read: {err.strerror or err}") from None
    foreign = DQNFileError(f"{name} is not an RL Sandbox DQN file (it is not a torch archive)")
    if not data.startswith(b"PK\x03\x04"):
        raise foreign
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            torch_record = _has_torch_record(archive)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise DQNFileError(f"{name} is truncated or damaged and cannot be loaded") from None
    if not torch_record:
        raise foreign
    try:
        check_zip_integrity(data, MAX_PT_BYTES)
    except FileCheckError as err:
        raise DQNFileError(f"{name} {err}") from None
    try:
        payload = torch.load(io.BytesIO(data), map_location=device, weights_only=True)
    except pickle.UnpicklingError:
        raise DQNFileError(f"{name} carries pickled Python objects, not just weights, so it "
                           f"was refused unopened") from None
    except (RuntimeError, EOFError, ValueError, zipfile.BadZipFile, KeyError, TypeError,
            AttributeError, IndexError, OverflowError, MemoryError, RecursionError,
            NotImplementedError, OSError):
        raise DQNFileError(f"{name} is truncated or damaged and cannot be loaded") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DQNFileError(f"{name} is a torch file but not an RL Sandbox DQN file")
    meta = payload.get("meta")
    try:
        check_version(payload, VERSION)
        if not isinstance(meta, dict) or not isinstance(payload.get("state_dict"), dict):
            raise FileCheckError("is damaged: its weights or metadata are missing")
        check_fields(meta, META_FIELDS,
                     required=("hyperparameters", "observation_space", "action_space"))
        check_hyperparameters(meta["hyperparameters"])
        for key in ("state_dict", "target_state_dict", "optimizer_state_dict"):
            check_finite(payload.get(key))
    except FileCheckError as err:
        raise DQNFileError(f"{name} {err}") from None
    return payload


def load_dqn(path: str | os.PathLike[str], expect_env: Any = None,
             device: str = "auto") -> tuple[DQN, dict[str, Any]]:
    """Load a DQN saved by :func:`save_dqn`; ``(agent, meta)``.

    Args:
        path: the file.
        expect_env: an env (anything with ``observation_space`` and ``action_space``) the agent
            must fit; a model for other observation or action shapes is refused.
        device: where to put the network (``"auto"``, ``"cpu"``, ``"cuda"``, ...).

    Raises:
        DQNFileError: the file is missing, foreign, pickled, damaged or made for other shapes.
    """
    name = Path(path).name
    device = resolve_device(device)  # a bad device is the caller's error, not the file's
    payload = read_payload(path)
    meta = payload["meta"]
    obs_meta, act_meta = meta["observation_space"], meta["action_space"]
    if expect_env is not None:
        _check_meta(f"{name} holds a DQN that", obs_meta, act_meta, expect_env)
    hp = dict(meta["hyperparameters"])
    if isinstance(hp.get("hidden"), list):
        hp["hidden"] = tuple(hp["hidden"])
    _check_network_claims(name, obs_meta, act_meta, hp, payload["state_dict"])
    try:
        agent = DQN(space_from_meta(obs_meta), space_from_meta(act_meta), device=device,
                    seed=meta.get("seed"), **hp)
    except ConfigError as err:
        raise DQNFileError(f"{name} has invalid hyperparameters: {err}") from None
    except (ValueError, KeyError, TypeError):
        raise DQNFileError(f"{name} is damaged: its spaces or hyperparameters are unreadable") \
            from None
    try:
        agent.q_net.load_state_dict(payload["state_dict"])
        agent.target_net.load_state_dict(payload.get("target_state_dict", payload["state_dict"]))
        if isinstance(payload.get("optimizer_state_dict"), dict):
            agent.optimizer.load_state_dict(payload["optimizer_state_dict"])
    except (RuntimeError, KeyError, ValueError, TypeError):
        raise DQNFileError(f"{name} is damaged: its weights do not fit the network its own "
                           f"metadata describes") from None
    agent._pristine = False  # a session's reseed must not redraw loaded weights
    agent.num_steps = int(meta.get("num_steps") or 0)
    agent.num_updates = int(meta.get("num_updates") or 0)
    epsilon = meta.get("epsilon")
    if isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and 0 <= epsilon <= 1:
        agent.epsilon = float(epsilon)
    return agent, meta


def _check_network_claims(name: str, obs_meta: dict[str, Any], act_meta: dict[str, Any],
                          hp: dict[str, Any], state_dict: dict[str, Any]) -> None:
    """Before anything is allocated: the spaces and hidden widths the metadata claims must be
    within the project's limits and describe exactly as many weights as the file holds (so a
    small file cannot make us build a huge network)."""
    try:
        check_space_meta(obs_meta, "observation", MAX_SPACE_VALUES)
        check_space_meta(act_meta, "action", MAX_SPACE_VALUES)
        if act_meta.get("type") != "Discrete":
            raise FileCheckError("is damaged: its action space is not Discrete")
    except FileCheckError as err:
        raise DQNFileError(f"{name} {err}") from None
    try:
        claimed = planned_parameters(space_from_meta(obs_meta), space_from_meta(act_meta), **hp)
    except (ConfigError, SpaceError) as err:
        raise DQNFileError(f"{name} has invalid hyperparameters: {err}") from None
    except (ValueError, TypeError, KeyError, RuntimeError):
        raise DQNFileError(f"{name} is damaged: its spaces or hyperparameters are unreadable") \
            from None
    held = sum(int(t.numel()) for _, t in iter_tensors(state_dict))
    if claimed > MAX_NETWORK_PARAMETERS:
        raise DQNFileError(f"{name} is refused: its metadata describes a network of "
                           f"{claimed:,} weights; the most is {MAX_NETWORK_PARAMETERS:,}")
    if claimed != held:
        raise DQNFileError(f"{name} is damaged: its metadata describes a network of "
                           f"{claimed:,} weights, but it holds {held:,}")


def check_spaces(who: str, observation_space: gym.Space, action_space: gym.Space,
                 env: Any) -> None:
    """Raise DQNFileError unless ``env`` has the observation and action shapes of ``who``."""
    _check_meta(who, space_meta(observation_space), space_meta(action_space), env)


def _check_meta(who: str, obs_meta: dict[str, Any], act_meta: dict[str, Any], env: Any) -> None:
    want_obs, want_act = _env_meta(env)
    if not _same_shape(obs_meta, want_obs) or not _same_shape(act_meta, want_act):
        raise DQNFileError(f"{who} was made for {describe(obs_meta, act_meta)}, but this env "
                           f"has {describe(want_obs, want_act)}")


def _env_meta(env: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return space_meta(env.observation_space), space_meta(env.action_space)
    except DQNFileError:
        raise DQNFileError(f"a DQN cannot run on this env: it has {env.observation_space} "
                           f"observations and {env.action_space} actions") from None


def _same_shape(saved: dict[str, Any], current: dict[str, Any]) -> bool:
    """Same space type and size (Box dtype may differ: the network casts to float32)."""
    if saved.get("type") != current["type"]:
        return False
    if current["type"] == "Discrete":
        return saved.get("n") == current["n"] and saved.get("start", 0) == current["start"]
    return list(saved.get("shape", [])) == current["shape"]

