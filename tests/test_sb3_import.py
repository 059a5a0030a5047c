"""Stable-Baselines3 DQN .zip files: read without unpickling, mapped onto our networks."""

from __future__ import annotations

import base64
import io
import json
import pickle
import zipfile

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import cli
from agents.agentfile import AgentFileError
from agents.storage import load_agent


class Tripwire:
    """Unpickling this writes a file: the tests prove nothing ever unpickles it."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def space_entry(space: gym.Space, tripwire: str) -> dict:
    """What SB3's ``data_to_json`` writes for a space: a cloudpickle blob and plain fields."""
    blob = base64.b64encode(pickle.dumps(Tripwire(tripwire))).decode()
    if isinstance(space, gym.spaces.Discrete):
        return {":type:": "<class 'gymnasium.spaces.discrete.Discrete'>", ":serialized:": blob,
                "n": str(space.n), "start": "0", "_shape": [], "dtype": "int64"}
    return {":type:": "<class 'gymnasium.spaces.box.Box'>", ":serialized:": blob,
            "dtype": str(space.dtype), "_shape": list(space.shape),
            "low": "[[[0 0 0 ... 0 0 0]", "high": "[[[255 255 ... 255]"}


def nature_state(n_actions: int, channels: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    """A random policy state dict with SB3's CnnPolicy key names and shapes."""
    g = torch.Generator().manual_seed(seed)
    shapes = {"features_extractor.cnn.0": (32, channels, 8, 8),
              "features_extractor.cnn.2": (64, 32, 4, 4),
              "features_extractor.cnn.4": (64, 64, 3, 3),
              "features_extractor.linear.0": (512, 3136), "q_net.0": (n_actions, 512)}
    state = {}
    for prefix in ("q_net.", "q_net_target."):
        for name, shape in shapes.items():
            state[f"{prefix}{name}.weight"] = torch.randn(shape, generator=g) * 0.05
            state[f"{prefix}{name}.bias"] = torch.randn(shape[0], generator=g) * 0.05
    return state


def write_zip(path, state, obs_space, act_space, tripwire, policy_bytes=None, **data) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = {"policy_class": {":type:": "<class 'abc.ABCMeta'>",
                                ":serialized:": space_entry(act_space, tripwire)[":serialized:"]},
               "observation_space": space_entry(obs_space, tripwire),
               "action_space": space_entry(act_space, tripwire),
               "gamma": 0.99, "batch_size": 32, "buffer_size": 1000, "learning_starts": 100,
               "exploration_final_eps": 0.01, "num_timesteps": 12345, **data}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data", json.dumps(payload))
        archive.writestr("policy.pth", policy_bytes if policy_bytes is not None
                         else buffer.getvalue())
        archive.writestr("policy.optimizer.pth", pickle.dumps(Tripwire(tripwire)))
        archive.writestr("pytorch_variables.pth", pickle.dumps(Tripwire(tripwire)))
        archive.writestr("_stable_baselines3_version", "2.9.2")


FRAMES = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)


def sb3_q(state: dict, obs: np.ndarray, prefix: str = "q_net.") -> torch.Tensor:
    """SB3's CnnPolicy forward pass written out: obs/255 -> NatureCNN -> linear -> q_net."""
    w = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    x = torch.from_numpy(obs).float() / 255.0
    x = torch.relu(torch.conv2d(x, w["features_extractor.cnn.0.weight"],
                                w["features_extractor.cnn.0.bias"], stride=4))
    x = torch.relu(torch.conv2d(x, w["features_extractor.cnn.2.weight"],
                                w["features_extractor.cnn.2.bias"], stride=2))
    x = torch.relu(torch.conv2d(x, w["features_extractor.cnn.4.weight"],
                                w["features_extractor.cnn.4.bias"])).flatten(1)
    x = torch.relu(x @ w["features_extractor.linear.0.weight"].T
                   + w["features_extractor.linear.0.bias"])
    return x @ w["q_net.0.weight"].T + w["q_net.0.bias"]


def test_a_zoo_style_cnn_zip_loads_with_the_same_q_values_and_nothing_unpickled(tmp_path):
    tripwire = tmp_path / "unpickled"
    state = nature_state(6)
    path = tmp_path / "dqn-SpaceInvadersNoFrameskip-v4.zip"
    write_zip(path, state, FRAMES, gym.spaces.Discrete(6), str(tripwire))
    agent, meta = load_agent(path, device="cpu")
    assert not tripwire.exists()
    assert agent.network_kind == "nature_cnn" and agent.config.hidden == (512,)
    assert agent.config.double is False and agent.config.gamma == 0.99
    assert meta["source"] == "stable-baselines3" and meta["sb3_version"] == "2.9.2"
    obs = np.random.default_rng(0).integers(0, 256, (3, 4, 84, 84), dtype=np.uint8)
    np.testing.assert_allclose(agent.q_values(obs), sb3_q(state, obs).double().numpy(),
                               rtol=1e-4, atol=1e-5)
    target = agent.target_net(torch.from_numpy(obs))
    assert torch.allclose(target, sb3_q(state, obs, "q_net_target."), atol=1e-5)


def test_an_mlp_policy_zip_maps_every_layer(tmp_path):
    g = torch.Generator().manual_seed(1)
    shapes = {"q_net.0": (64, 4), "q_net.2": (64, 64), "q_net.4": (2, 64)}
    state = {f"q_net.{k}.{p}": torch.randn(s if p == "weight" else s[:1], generator=g)
             for k, s in shapes.items() for p in ("weight", "bias")}
    path = tmp_path / "cartpole.zip"
    box = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
    write_zip(path, state, box, gym.spaces.Discrete(2), str(tmp_path / "x"))
    agent, _ = load_agent(path, device="cpu")
    assert agent.network_kind == "mlp" and agent.config.hidden == (64, 64)
    x = torch.randn(5, 4, generator=g)
    h = torch.relu(x @ state["q_net.q_net.0.weight"].T + state["q_net.q_net.0.bias"])
    h = torch.relu(h @ state["q_net.q_net.2.weight"].T + state["q_net.q_net.2.bias"])
    expected = h @ state["q_net.q_net.4.weight"].T + state["q_net.q_net.4.bias"]
    np.testing.assert_allclose(agent.q_values(x.numpy()), expected.double().numpy(), atol=1e-5)


def test_foreign_pickled_and_mismatched_zips_are_refused_in_one_sentence(tmp_path):
    tripwire = tmp_path / "unpickled"
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(AgentFileError, match="not a Stable-Baselines3 model"):
        load_agent(plain)
    pickled = tmp_path / "pickled.zip"
    evil = io.BytesIO()
    torch.save({"q_net.q_net.0.weight": Tripwire(str(tripwire))}, evil)
    write_zip(pickled, {}, FRAMES, gym.spaces.Discrete(6), str(tripwire),
              policy_bytes=evil.getvalue())
    with pytest.raises(AgentFileError, match="refused unopened"):
        load_agent(pickled)
    assert not tripwire.exists()
    other = tmp_path / "resnet.zip"
    state = nature_state(6)
    state["q_net.features_extractor.cnn.0.weight"] = torch.zeros(16, 4, 3, 3)
    write_zip(other, state, FRAMES, gym.spaces.Discrete(6), str(tripwire))
    with pytest.raises(AgentFileError, match="other than the Nature CNN"):
        load_agent(other)
    truncated = tmp_path / "cut.zip"
    write_zip(truncated, nature_state(6), FRAMES, gym.spaces.Discrete(6), str(tripwire))
    truncated.write_bytes(truncated.read_bytes()[:5000])
    with pytest.raises(AgentFileError, match="truncated or damaged"):
        load_agent(truncated)
    good = tmp_path / "si.zip"
    write_zip(good, nature_state(4), FRAMES, gym.spaces.Discrete(4), str(tripwire))
    with pytest.raises(AgentFileError, match="made for observations of shape"):
        load_agent(good, expect_env=type("E", (), {
            "observation_space": FRAMES, "action_space": gym.spaces.Discrete(6)})())


def test_eval_plays_an_sb3_zip_on_space_invaders(tmp_path, capsys):
    pytest.importorskip("ale_py")
    path = tmp_path / "si.zip"
    write_zip(path, nature_state(6), FRAMES, gym.spaces.Discrete(6), str(tmp_path / "x"))
    assert cli.main(["eval", "--agent-file", str(path), "--episodes", "1", "--json"]) == 2
    assert "pass --env" in capsys.readouterr().err
    assert cli.main(["eval", "--agent-file", str(path), "--env", "SpaceInvadersNoFrameskip-v4",
                     "--episodes", "1", "--seed", "0", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["episodes"] == 1 and summary["mean_length"] > 0


def test_a_model_saved_by_sb3_itself_gives_sb3s_q_values(tmp_path):
    sb3 = pytest.importorskip("stable_baselines3")
    env = gym.make("CartPole-v1")
    model = sb3.DQN("MlpPolicy", env, buffer_size=100, policy_kwargs={"net_arch": [32, 16]},
                    seed=0, device="cpu")
    model.save(tmp_path / "sb3_cartpole.zip")
    agent, _ = load_agent(tmp_path / "sb3_cartpole.zip", device="cpu")
    obs = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    with torch.no_grad():
        theirs = model.q_net(torch.from_numpy(obs)).double().numpy()
    np.testing.assert_allclose(agent.q_values(obs), theirs, rtol=1e-5, atol=1e-6)
    assert agent.config.hidden == (32, 16)


def test_an_atari_cnn_saved_by_sb3_itself_gives_sb3s_q_values(tmp_path):
    sb3 = pytest.importorskip("stable_baselines3")
    pytest.importorskip("ale_py")
    from levels.envs import make_env

    env, _ = make_env("SpaceInvadersNoFrameskip-v4")
    model = sb3.DQN("CnnPolicy", env, buffer_size=100, seed=0, device="cpu")
    model.save(tmp_path / "sb3_si.zip")
    agent, _ = load_agent(tmp_path / "sb3_si.zip", device="cpu", expect_env=env)
    obs, _ = env.reset(seed=0)
    frames = [obs]
    for _ in range(4):
        frames.append(env.step(1)[0])
    batch = np.stack(frames)
    with torch.no_grad():
        theirs = model.q_net(torch.from_numpy(batch)).double().numpy()
    np.testing.assert_allclose(agent.q_values(batch), theirs, rtol=1e-4, atol=1e-5)
    assert agent.greedy(obs) == int(model.predict(obs, deterministic=True)[0])
