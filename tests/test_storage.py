"""Agent files: round trip, every refusal as AgentFileError, never unpickling, the HF export."""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from agents.storage import FORMAT, AgentFileError, export_hf, load_agent, save_agent
from agents.tabular import make_tabular


def _trained(kind: str = "sarsa") -> object:
    agent = make_tabular(kind, 16, 4, alpha=0.3, gamma=0.9, epsilon=0.2, initial_q=0.5)
    agent.q[:] = np.random.default_rng(0).normal(size=(16, 4))
    return agent


@pytest.mark.parametrize("kind", ["q-learning", "sarsa", "expected-sarsa"])
def test_round_trip_keeps_table_kind_and_metadata(tmp_path: Path, kind: str) -> None:
    agent = _trained(kind)
    path = tmp_path / "a.npz"
    save_agent(path, agent, {"env": "FrozenLake-v1", "seed": 7, "episodes": 12, "steps": 345,
                             "hyperparameters": {"schedule": "exponential"}})
    loaded, meta = load_agent(path, expect_env=gym.make("FrozenLake-v1"))
    assert type(loaded) is type(agent) and loaded.q.tobytes() == agent.q.tobytes()
    assert (loaded.alpha, loaded.gamma, loaded.epsilon, loaded.initial_q) == (0.3, 0.9, 0.2, 0.5)
    assert meta["format"] == FORMAT and meta["kind"] == kind and meta["version"] == 1
    assert (meta["env"], meta["seed"], meta["episodes"], meta["steps"]) == ("FrozenLake-v1", 7,
                                                                            12, 345)
    assert meta["hyperparameters"]["schedule"] == "exponential"
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]  # no temp file left behind


def test_file_is_a_plain_npz_without_pickles(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    save_agent(path, _trained(), {})
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == {"q", "meta"} and data["q"].dtype == np.float64
        assert json.loads(str(data["meta"]))["kind"] == "sarsa"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AgentFileError, match="does not exist"):
        load_agent(tmp_path / "nope.npz")


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    save_agent(path, _trained(), {})
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        path.write_bytes(data[:cut])
        with pytest.raises(AgentFileError, match="truncated, corrupt"):
            load_agent(path)


def test_foreign_npz_and_npy(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, q=np.zeros((16, 4)))
    with pytest.raises(AgentFileError, match="not an RL Sandbox agent file"):
        load_agent(path)
    np.savez(path, q=np.zeros((16, 4)), meta=np.array('{"format": "someone-else"}'))
    with pytest.raises(AgentFileError, match="not an RL Sandbox agent file"):
        load_agent(path)
    npy = tmp_path / "x.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    npy.write_bytes(buffer.getvalue())
    with pytest.raises(AgentFileError, match="not an RL Sandbox agent file"):
        load_agent(npy)


class _Booby:
    """Unpickling this would create a file: proof that loading never unpickles."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_pickle_is_refused_without_being_unpickled(tmp_path: Path) -> None:
    trap = tmp_path / "unpickled.txt"
    for name in ("agent.npz", "q-learning.pkl"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps({"qtable": _Booby(str(trap))}))
        with pytest.raises(AgentFileError):
            load_agent(path)
    assert not trap.exists()


def test_newer_version_and_unknown_kind(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    for meta, message in (({"format": FORMAT, "version": 99, "kind": "sarsa"}, "newer"),
                          ({"format": FORMAT, "version": 1, "kind": "ppo"}, "unknown agent kind")):
        np.savez(path, q=np.zeros((2, 2)), meta=np.array(json.dumps(meta)))
        with pytest.raises(AgentFileError, match=message):
            load_agent(path)


def test_agent_for_another_env(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    save_agent(path, _trained(), {"env": "FrozenLake-v1"})
    with pytest.raises(AgentFileError, match=r"trained on FrozenLake-v1 \(16 states, 4 actions\)"):
        load_agent(path, expect_env=gym.make("Taxi-v4"))
    with pytest.raises(AgentFileError, match="does not fit"):
        load_agent(path, expect_env=(16, 5))


def test_save_refusals_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(AgentFileError, match="ending in .npz"):
        save_agent(tmp_path / "a.bin", _trained(), {})
    with pytest.raises(AgentFileError, match="cannot write"):
        save_agent(tmp_path / "missing" / "a.npz", _trained(), {})
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(AgentFileError, match="cannot write"):
            save_agent(locked / "a.npz", _trained(), {})
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []


def test_export_hf_writes_the_course_format(tmp_path: Path) -> None:
    q = np.random.default_rng(1).normal(size=(64, 4))
    seeds = list(range(100))
    files = export_hf(
        tmp_path / "hf", qtable=q, env_id="FrozenLake-v1",
        env_kwargs={"map_name": "8x8", "is_slippery": False}, max_steps=99,
        n_training_episodes=10_000, n_eval_episodes=100, eval_seed=seeds, learning_rate=0.7,
        gamma=0.95, max_epsilon=1.0, min_epsilon=0.05, decay_rate=0.0005, mean_reward=1.0,
        std_reward=0.0,
    )
    assert sorted(p.name for p in files) == ["README.md", "q-learning.pkl", "results.json"]
    # Inspect the pickle's opcodes instead of loading it: nothing here ever unpickles.
    strings = [arg for op, arg, _ in pickletools.genops((tmp_path / "hf" / "q-learning.pkl")
                                                        .read_bytes()) if isinstance(arg, str)]
    for key in ("env_id", "max_steps", "n_training_episodes", "n_eval_episodes", "eval_seed",
                "learning_rate", "gamma", "max_epsilon", "min_epsilon", "decay_rate", "qtable",
                "map_name", "slippery", "FrozenLake-v1", "8x8"):
        assert key in strings
    raw = (tmp_path / "hf" / "q-learning.pkl").read_bytes()
    assert q.tobytes() in raw  # the table's float64 bytes, verbatim
    readme = (tmp_path / "hf" / "README.md").read_text()
    assert readme.startswith("---\ntags:\n- FrozenLake-v1-8x8-no_slippery\n- q-learning\n")
    assert "value: 1.00 +/- 0.00" in readme and "map_name='8x8'" in readme
    results = json.loads((tmp_path / "hf" / "results.json").read_text())
    assert results["mean_reward"] == 1.0 and results["n_eval_episodes"] == 100


def test_export_hf_into_a_file_path_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AgentFileError, match="cannot write the Hugging Face export"):
        export_hf(blocker, qtable=np.zeros((2, 2)), env_id="Taxi-v4", env_kwargs={},
                  max_steps=99, n_training_episodes=1, n_eval_episodes=1, eval_seed=[1],
                  learning_rate=0.7, gamma=0.95, max_epsilon=1.0, min_epsilon=0.05,
                  decay_rate=0.005, mean_reward=0.0, std_reward=0.0)


def test_a_q_table_of_nan_is_refused(tmp_path):
    import numpy as np

    from agents.storage import AgentFileError, load_agent, save_agent
    from agents.tabular import QLearning

    agent = QLearning(6, 4, seed=0)
    path = tmp_path / "a.npz"
    save_agent(path, agent, {"env": "mouse", "seed": 0})
    data = dict(np.load(path, allow_pickle=False))
    data["q"] = np.full_like(data["q"], np.nan)
    np.savez(path, **data)
    with pytest.raises(AgentFileError, match="NaN"):
        load_agent(path)
