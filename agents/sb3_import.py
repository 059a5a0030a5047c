"""Import a Stable-Baselines3 / RL Baselines3 Zoo DQN ``.zip`` without unpickling anything.

An SB3 model file is a zip holding ``data`` (JSON: spaces, hyperparameters; entries SB3 could not
write as JSON carry a ``:serialized:`` cloudpickle blob, which we never touch), ``policy.pth`` (the
policy's ``state_dict``, a plain dict of tensors) and a few other entries we ignore.  We read
``data`` with ``json`` and ``policy.pth`` with ``torch.load(weights_only=True)``, so a file that
carries code is refused by torch before any of it runs.  The Hugging Face Deep RL course pushes
exactly such a file (``dqn-SpaceInvadersNoFrameskip-v4.zip``).

The q-network maps onto ours key by key: SB3's ``NatureCNN`` (``features_extractor.cnn.0/2/4``
and ``features_extractor.linear.0``) onto :class:`agents.qnetwork.ConvQNetwork` (``cnn.0/2/4``,
``layers.0``), and the ``q_net`` layers after it (an ``MlpPolicy``'s whole network) onto our
hidden layers and head.  SB3's DQN computes plain (not Double) targets, so an imported agent
that goes on learning does the same; image observations are scaled by 1/255 in both.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.agentfile import AgentFileError
from agents.config import ConfigError, DQNConfig
from agents.dqn import DQN, resolve_device

SB3_PREFIXES = ("q_net.", "q_net_target.")
_NATURE_SHAPES = ((32, 8, 8), (64, 4, 4), (64, 3, 3))  # out channels and kernel of cnn.0/2/4
# SB3 names -> ours, for the hyperparameters that mean the same thing in both.
_HYPERPARAMETERS = {
    "gamma": "gamma", "batch_size": "batch_size", "buffer_size": "buffer_size",
    "learning_starts": "learning_starts", "target_update_interval": "target_update_interval",
    "exploration_fraction": "exploration_fraction", "exploration_initial_eps": "epsilon_start",
    "exploration_final_eps": "epsilon_end", "max_grad_norm": "max_grad_norm",
    "gradient_steps": "gradient_steps",
}


def is_sb3_zip(path: str | Path) -> bool:
    """Whether ``path`` is a zip with SB3's ``data`` and ``policy.pth`` entries."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {"data", "policy.pth"} <= set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def load_sb3_dqn(path: str | Path, device: str = "auto") -> tuple[DQN, dict[str, Any]]:
    """A :class:`DQN` with the q-network of an SB3 DQN model file; ``(agent, meta)``.

    Raises:
        AgentFileError: the file is missing, not an SB3 model, not a DQN we can map (another
            features extractor, another action space), or its weights carry pickled objects.
    """
    name = Path(path).name
    device = resolve_device(device)
    data, state = _read(Path(path), name)
    observation_space = _space(data.get("observation_space"), name, "observation")
    action_space = _space(data.get("action_space"), name, "action")
    if not isinstance(action_space, gym.spaces.Discrete):
        raise AgentFileError(f"{name} is not a DQN: its actions are {action_space}, not Discrete")
    try:
        network, hidden, ours = _map_weights(state, name)
    except ValueError as err:  # a weight without its bias
        raise AgentFileError(f"{name} is damaged: {err}") from None
    hp = _hyperparameters(data)
    hp.update(network=network, hidden=hidden, double=False,
              clip_rewards=network == "nature_cnn")
    try:
        agent = DQN(observation_space, action_space, device=device, **hp)
    except (ConfigError, ValueError) as err:
        raise AgentFileError(f"{name} describes a network this sandbox cannot build: {err}") \
            from None
    target = {k: v for k, v in ours.items() if k.startswith("target.")}
    online = {k: v for k, v in ours.items() if not k.startswith("target.")}
    try:
        agent.q_net.load_state_dict(online)
        agent.target_net.load_state_dict({k[len("target."):]: v for k, v in target.items()}
                                         or online)
    except RuntimeError:
        raise AgentFileError(f"{name}: its q-network weights do not fit its own observation "
                             f"and action spaces") from None
    agent._pristine = False  # a session's reseed must not redraw imported weights
    agent.epsilon = 0.0
    meta = {"kind": "dqn", "source": "stable-baselines3", "env": None,
            "sb3_version": data.get("_stable_baselines3_version"),
            "steps": data.get("num_timesteps") if isinstance(data.get("num_timesteps"), int)
            else None, "hyperparameters": {**hp, "hidden": list(hidden)}}
    return agent, meta


def _read(path: Path, name: str) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The ``data`` JSON and the policy's state dict, read without unpickling."""
    if not path.exists():
        raise AgentFileError(f"agent file {path} does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {"data", "policy.pth"} <= names:
                raise AgentFileError(f"{name} is a zip file but not a Stable-Baselines3 model "
                                     f"(it has no data and policy.pth entries)")
            raw_data = archive.read("data")
            raw_policy = archive.read("policy.pth")
            version = (archive.read("_stable_baselines3_version").decode("utf-8", "replace")
                       .strip() if "_stable_baselines3_version" in names else None)
    except zipfile.BadZipFile:
        raise AgentFileError(f"{name} is truncated or damaged and cannot be loaded") from None
    try:
        data = json.loads(raw_data)
    except ValueError:
        raise AgentFileError(f"{name} is damaged: its data entry is not JSON") from None
    if not isinstance(data, dict):
        raise AgentFileError(f"{name} is damaged: its data entry is not a JSON object")
    data["_stable_baselines3_version"] = version
    try:
        state = torch.load(io.BytesIO(raw_policy), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise AgentFileError(f"{name} carries pickled Python objects in policy.pth, not just "
                             f"weights, so it was refused unopened") from None
    except (RuntimeError, EOFError, ValueError, zipfile.BadZipFile, KeyError):
        raise AgentFileError(f"{name} is damaged: policy.pth cannot be read") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor)
                                              for v in state.values()):
        raise AgentFileError(f"{name} is damaged: policy.pth is not a dict of tensors")
    return data, state


def _space(entry: Any, name: str, what: str) -> gym.Space:
    """A space from the plain fields SB3 writes beside the pickled one (type, shape, dtype, n)."""
    if not isinstance(entry, dict):
        raise AgentFileError(f"{name} does not describe its {what} space")
    kind = str(entry.get(":type:", ""))
    try:
        if "Discrete" in kind:
            return gym.spaces.Discrete(int(entry["n"]), start=int(entry.get("start", 0)))
        if "Box" in kind:
            shape = _json_list(entry["_shape"])
            dtype = np.dtype(str(entry.get("dtype", "float32")))
            if dtype == np.uint8:  # SB3's image spaces are 0..255, which decides the 1/255 scale
                return gym.spaces.Box(0, 255, tuple(shape), np.uint8)
            return gym.spaces.Box(-np.inf, np.inf, tuple(shape), dtype)
    except (KeyError, ValueError, TypeError):
        pass
    raise AgentFileError(f"{name} has a {what} space this sandbox cannot read ({kind or '?'})")


def _json_list(value: Any) -> list[int]:
    if isinstance(value, str):
        value = json.loads(value.replace("(", "[").replace(")", "]").replace(",]", "]"))
    return [int(v) for v in value]


def _map_weights(state: dict[str, torch.Tensor], name: str
                 ) -> tuple[str, tuple[int, ...], dict[str, torch.Tensor]]:
    """``(network kind, hidden widths, our state dict)``; the target net's keys get ``target.``."""
    ours: dict[str, torch.Tensor] = {}
    hidden: tuple[int, ...] = ()
    network = "mlp"
    for prefix, out in (("q_net.", ""), ("q_net_target.", "target.")):
        part = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if not part:
            if prefix == "q_net.":
                raise AgentFileError(f"{name} is not a DQN model: its policy has no q_net")
            continue
        net, widths, mapped = _map_q_net(part, name)
        network, hidden = net, widths
        ours.update({out + k: v for k, v in mapped.items()})
    return network, hidden, ours


def _map_q_net(part: dict[str, torch.Tensor], name: str
               ) -> tuple[str, tuple[int, ...], dict[str, torch.Tensor]]:
    extractor = {k[len("features_extractor."):]: v for k, v in part.items()
                 if k.startswith("features_extractor.")}
    linear = _linear_layers(part, "q_net.")
    out: dict[str, torch.Tensor] = {}
    widths: list[int] = []
    network = "mlp"
    if extractor:
        convs = _linear_layers(extractor, "cnn.")
        shapes = tuple((w.shape[0], *w.shape[2:]) for _, w, _ in convs)
        if [i for i, _, _ in convs] != [0, 2, 4] or shapes != _NATURE_SHAPES:
            raise AgentFileError(f"{name} uses a features extractor other than the Nature CNN, "
                                 f"which this sandbox cannot map")
        network = "nature_cnn"
        for index, weight, bias in convs:
            out[f"cnn.{index}.weight"], out[f"cnn.{index}.bias"] = weight, bias
        linear = _linear_layers(extractor, "linear.") + linear
    if not linear:
        raise AgentFileError(f"{name} is damaged: its q-network has no linear layers")
    for i, (_, weight, bias) in enumerate(linear[:-1]):
        out[f"layers.{i}.weight"], out[f"layers.{i}.bias"] = weight, bias
        widths.append(int(weight.shape[0]))
    out["head.weight"], out["head.bias"] = linear[-1][1], linear[-1][2]
    return network, tuple(widths), out


def _linear_layers(part: dict[str, torch.Tensor], prefix: str
                   ) -> list[tuple[int, torch.Tensor, torch.Tensor]]:
    """``(index, weight, bias)`` of ``<prefix><index>.weight`` entries, in index order."""
    found = []
    for key, weight in part.items():
        match = re.fullmatch(re.escape(prefix) + r"(\d+)\.weight", key)
        if match:
            bias = part.get(f"{prefix}{match.group(1)}.bias")
            if bias is None:
                raise ValueError(f"{key} has no bias")
            found.append((int(match.group(1)), weight, bias))
    return sorted(found, key=lambda row: row[0])


def _hyperparameters(data: dict[str, Any]) -> dict[str, Any]:
    """The SB3 hyperparameters that are plain numbers in ``data`` and valid for us."""
    hp: dict[str, Any] = {}
    for sb3, ours in _HYPERPARAMETERS.items():
        value = data.get(sb3)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        try:
            DQNConfig(**{ours: value})
        except (ConfigError, TypeError):
            continue
        hp[ours] = value
    lr = data.get("learning_rate")
    if isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0:
        hp["learning_rate"] = float(lr)
    return hp
