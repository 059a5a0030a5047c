"""Hostile and mistaken input: exit 2 with one sentence, bounded time and memory, no partial file.

Each case here once crashed (exit 1), hung, allocated gigabytes or said something misleading.
"""

from __future__ import annotations

import io
import json
import os
import pickletools
import signal
import zipfile
from contextlib import contextmanager
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from agents import cli
from agents.evaluation import DEFAULT_MAX_STEPS, evaluate
from agents.storage import AgentFileError, load_agent, save_agent
from agents.tabular import QLearning


@contextmanager
def deadline(seconds: float):
    """Fail (rather than hang the suite) if the block runs longer than ``seconds``."""
    def expire(*_):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def one_sentence(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err and len(err) < 400


# ---- every loop over an env has a step cap ----------------------------------------------------
def looping_cliff_agent() -> QLearning:
    """A table whose greedy action everywhere is 'up': on CliffWalking's start cell that is a
    wall, so the episode never ends (the env has no time limit)."""
    agent = QLearning(48, 4, seed=0)
    agent.q[:, 0] = 1.0
    return agent


def test_evaluation_of_a_looping_policy_stops_at_the_step_cap():
    env = gym.make("CliffWalking-v1")
    with deadline(30):
        result = evaluate(env, looping_cliff_agent(), [0, 1])
    assert result.capped == 2 and result.max_steps == DEFAULT_MAX_STEPS
    assert result.mean_length == DEFAULT_MAX_STEPS and result.success_rate == 0.0
    limited_env = gym.make("CliffWalking-v1", max_episode_steps=50)
    limited = evaluate(limited_env, looping_cliff_agent(), [0])
    assert limited.max_steps == 50 and limited.capped == 0  # the env's own limit ended it


@pytest.mark.slow
def test_eval_and_export_of_a_looping_agent_finish_with_a_notice(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_agent("cw.npz", looping_cliff_agent(), {"env": "CliffWalking-v1"})
    with deadline(60):
        rc, out, err = run(capsys, "eval", "--agent-file", "cw.npz", "--episodes", "3", "--json")
    assert rc == 0 and json.loads(out)["success_rate"] == 0.0
    assert f"3 of 3 greedy episodes did not end within {DEFAULT_MAX_STEPS} steps" in err
    with deadline(60):
        rc, out, err = run(capsys, "train", "--env", "CliffWalking-v1", "--episodes", "1",
                           "--alpha", "0", "--epsilon", "0", "--schedule", "constant",
                           "--initial-q", "0", "--out", "a.npz", "--export-hf", "hf", "--json")
    assert rc == 0, err
    raw = (tmp_path / "hf" / "q-learning.pkl").read_bytes()
    ints = [arg for op, arg, _ in pickletools.genops(raw) if isinstance(arg, int)]
    assert DEFAULT_MAX_STEPS in ints  # the course's max_steps is the cap used, not 0


# ---- exit 2, not 1 -----------------------------------------------------------------------------
BAD_TRAIN = {
    "negative seed": (["--env", "mouse", "--seed", "-1"], "--seed: must be a whole number from 0"),
    "dqn, continuous actions": (["--env", "Pendulum-v1", "--agent", "dqn"],
                                "DQN needs a Discrete action space"),
    "dqn, tuple observations": (["--env", "Blackjack-v1", "--agent", "dqn"],
                                "DQN needs a Box or Discrete observation space"),
    "long --out name": (["--env", "mouse", "--out", "x" * 300 + ".npz"], "name is too long"),
    "gamma just above 1": (["--env", "mouse", "--gamma", "1.0000001"], "got 1.0000001"),
    "max steps of a level": (["--env", "mouse", "--max-steps", "9" * 20],
                             "max_steps of a level must be from 1 to 100000"),
    "level with arguments": (["--env", "mouse:foo=1"], "mouse is a level, and a level takes no "
                                                       "arguments"),
    "alpha -inf": (["--env", "mouse", "--alpha", "-inf"], "alpha must be a finite number"),
    "alpha -1e-3": (["--env", "mouse", "--alpha", "-1e-3"], "alpha must be between 0 and 1"),
    "huge network": (["--env", "mouse", "--agent", "dqn", "--hidden", "65536,65536,65536"],
                     "would have 8,591,"),
    "huge seed text": (["--env", "mouse", "--seed", "1" * 5000], "must be a whole number"),
}


@pytest.mark.parametrize("case", list(BAD_TRAIN))
def test_bad_train_input_exits_2_in_one_sentence(tmp_path, capsys, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    extra, message = BAD_TRAIN[case]
    argv = ["train", *extra, "--steps", "5"]
    if "--out" not in extra:
        argv += ["--out", "a.pt" if "dqn" in extra else "a.npz"]
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == "" and one_sentence(err) and message in err, err
    assert "line 2" not in err and "did you mean mouse" not in err
    assert list(tmp_path.iterdir()) == []


def test_play_with_an_unknown_device_exits_2_before_the_app_opens(capsys, monkeypatch):
    import app.main
    import main

    monkeypatch.setattr(app.main, "run_app", lambda *a, **k: pytest.fail("the app opened"))
    rc = main.main(["play", "mouse", "--device", "tpu"])
    out, err = capsys.readouterr()
    assert rc == 2 and one_sentence(err) and "device must be auto, cpu, cuda or cuda:N" in err


def test_gridmaze_without_a_level_is_a_level_error():
    from levels.level import LevelError

    with pytest.raises(LevelError, match="level must be a Level, a bundled level name"):
        gym.make("GridMaze-v0", level=None)


# ---- agent file metadata of the wrong types -----------------------------------------------------
def npz_with_meta(path: Path, **changes) -> Path:
    save_agent(path, QLearning(6, 4, seed=0), {"env": "mouse"})
    with np.load(path, allow_pickle=False) as data:
        q, meta = data["q"], json.loads(str(data["meta"]))
    meta.update(changes)
    np.savez(path, q=q, meta=np.array(json.dumps(meta)))
    return path


@pytest.mark.parametrize("changes, message", [
    ({"hyperparameters": [1, 2]}, "meta field 'hyperparameters' is a list"),
    ({"kind": ["q-learning"]}, "meta field 'kind' is a list"),
    ({"version": "1"}, "has no valid format version"),
    ({"version": -5}, "has no valid format version"),
    ({"version": 2}, "written by a newer RL Sandbox (format version 2; this one reads up to 1)"),
    ({"env": {"a": 1}}, "meta field 'env' is a mapping"),
    ({"max_steps": 1.5}, "meta field 'max_steps' is a fractional number"),
    ({"hyperparameters": {"alpha": {"x": 1}}}, "hyperparameter 'alpha' is a mapping"),
])
def test_npz_metadata_of_the_wrong_type_exits_2(tmp_path, capsys, changes, message):
    path = npz_with_meta(tmp_path / "a.npz", **changes)
    with pytest.raises(AgentFileError, match="^" + str(path).replace(".", r"\.")):
        load_agent(path)
    rc, out, err = run(capsys, "eval", "--agent-file", str(path), "--episodes", "1")
    assert rc == 2 and one_sentence(err) and message in err, err


# ---- untrusted paths ----------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "/dev/stdin", "folder"])
def test_env_naming_a_device_or_pipe_is_refused_at_once(tmp_path, capsys, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    if target == "fifo":
        os.mkfifo("fifo")  # opening it for reading would wait for a writer forever
    if target == "folder":
        (tmp_path / "folder.txt").mkdir()
        target = "folder.txt"
    save_agent("a.npz", QLearning(6, 4, seed=0), {"env": target})
    with deadline(20):
        rc, out, err = run(capsys, "eval", "--agent-file", "a.npz", "--episodes", "1")
        rc2, _, err2 = run(capsys, "train", "--env", target, "--episodes", "1", "--out", "b.npz")
    assert rc == rc2 == 2 and one_sentence(err) and one_sentence(err2)
    assert "not a level file" in err and "not a level file" in err2
    assert not (tmp_path / "b.npz").exists()


def test_a_file_that_is_no_level_is_not_quoted(tmp_path, capsys):
    passwd = tmp_path / "passwd"
    passwd.write_text("secretuser:x:1000:1000::/home/secretuser:/bin/sh\n")
    rc, out, err = run(capsys, "train", "--env", str(passwd), "--episodes", "1",
                       "--out", str(tmp_path / "a.npz"))
    assert rc == 2 and one_sentence(err) and "secretuser" not in err.replace(str(passwd), "")
    assert "line 1, column 1: this line is neither a setting nor a row of tiles" in err


def test_agent_file_that_is_a_pipe_or_too_big_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe.npz")
    with deadline(20):
        rc, _, err = run(capsys, "eval", "--agent-file", "pipe.npz")
    assert rc == 2 and one_sentence(err) and "not a regular file" in err
    import agents.storage

    save_agent("a.npz", QLearning(6, 4, seed=0), {"env": "mouse"})
    monkeypatch.setattr(agents.storage, "MAX_NPZ_BYTES", 100)
    rc, _, err = run(capsys, "eval", "--agent-file", "a.npz")
    assert rc == 2 and one_sentence(err) and "more than the 100 bytes this reads" in err


# ---- small files claiming huge arrays --------------------------------------------------------
def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def npz_bytes(members: dict[str, bytes], compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def meta_npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps({"format": "rl-sandbox-agent", "version": 1,
                                         "kind": "q-learning", "env": "mouse"})))
    return buffer.getvalue()


def test_npz_header_claiming_32_tib_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    path.write_bytes(npz_bytes({"q.npy": npy_header((2**40, 4)) + b"\0" * 64,
                                "meta.npy": meta_npy()}))
    with pytest.raises(AgentFileError, match=r"claims shape \(1099511627776, 4\)"):
        load_agent(path)


@pytest.mark.slow
def test_npz_zip_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.npz"  # 256 MiB of zeros deflated to a few hundred KiB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("q.npy", "w", force_zip64=True) as member:
            member.write(npy_header((2**25,)))
            for _ in range(256):
                member.write(bytes(2**20))
        archive.writestr("meta.npy", meta_npy())
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 2**20
    with deadline(10), pytest.raises(AgentFileError, match="member claims 268,435,584 bytes"):
        load_agent(path)


def test_npz_header_disagreeing_with_the_member_size_is_damage(tmp_path):
    path = tmp_path / "short.npz"
    path.write_bytes(npz_bytes({"q.npy": npy_header((1000, 4)) + b"\0" * 64,
                                "meta.npy": meta_npy()}))
    with pytest.raises(AgentFileError, match="q.npy member is truncated or corrupt"):
        load_agent(path)


def test_npz_with_a_bad_crc_is_refused(tmp_path):
    path = tmp_path / "a.npz"
    save_agent(path, QLearning(6, 4, seed=0), {"env": "mouse"})
    with np.load(path) as data:
        q, meta = data["q"], data["meta"]
    np.savez(path, q=q + 1.0, meta=meta)  # stored: the table's bytes sit in the file as they are
    raw = bytearray(path.read_bytes())
    at = raw.index(np.float64(1.0).tobytes())
    raw[at] ^= 0x01  # a bit flip inside the table: the header stays valid, the CRC does not
    path.write_bytes(bytes(raw))
    with pytest.raises(AgentFileError, match="q.npy member is truncated or corrupt"):
        load_agent(path)


# ---- the HF export names FrozenLake's map --------------------------------------------------------
def test_export_of_a_plain_frozenlake_carries_map_name(tmp_path):
    from agents.storage import export_hf

    export_hf(tmp_path, qtable=np.zeros((16, 4)), env_id="FrozenLake-v1", env_kwargs={},
              max_steps=99, n_training_episodes=1, n_eval_episodes=1, eval_seed=[0],
              learning_rate=0.7, gamma=0.95, max_epsilon=1.0, min_epsilon=0.05,
              decay_rate=0.0005, mean_reward=1.0, std_reward=0.0)
    strings = [arg for op, arg, _ in pickletools.genops((tmp_path / "q-learning.pkl")
                                                        .read_bytes()) if isinstance(arg, str)]
    assert strings[strings.index("map_name") + 1] == "4x4"
    card = (tmp_path / "README.md").read_text()
    assert "- FrozenLake-v1-4x4\n" in card and "gym.make(model[\"env_id\"], map_name='4x4')" in card


# ---- huge levels and rewards that overflow ----------------------------------------------------
def test_a_100_mb_level_is_refused_before_it_is_read(tmp_path, capsys):
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:  # sparse: costs no disk
        handle.truncate(100 * 2**20)
    with deadline(5):
        rc, _, err = run(capsys, "train", "--env", str(big), "--episodes", "1",
                         "--out", str(tmp_path / "a.npz"))
    assert rc == 2 and one_sentence(err) and "more than the 1 MiB this reads" in err


def test_a_long_key_is_quoted_short_and_huge_text_refused():
    from levels.level import Level, LevelError

    with deadline(5), pytest.raises(LevelError) as info:
        Level.from_text("k" * 500_000 + "x: 1\nSG\n")
    assert len(str(info.value)) < 300
    with deadline(5), pytest.raises(LevelError, match="a level is at most 1,048,576"):
        Level.from_text("k" * 5_000_000 + ": 1\nSG\n")
    with pytest.raises(LevelError) as info:
        Level.from_text("max_steps: " + "9" * 10_000 + "\nSG\n")
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("setting", ["reward.goal: 1.7e308", "reward.step: -1e39",
                                     "reward at 0,1: 2e6"])
def test_rewards_beyond_the_documented_range_are_refused(setting):
    from levels.level import Level, LevelError

    with pytest.raises(LevelError, match="must be a number from -1,000,000 to 1,000,000"):
        Level.from_text(f"{setting}\nSG\n")


@pytest.mark.slow
def test_rewards_at_the_bounds_train_without_overflow(recwarn):
    """Eight cheeses, the goal and the step at +-1e6, gamma 1: every sum stays finite, for the
    tabular agents and the DQN's float32 replay, and numpy warns about nothing."""
    import warnings

    from agents.factory import build
    from agents.session import TrainingSession
    from levels.level import Level

    text = ("reward.cheese: 1000000\nreward.goal: 1000000\nreward.step: 1000000\n"
            "reward.big_cheese: -1000000\nreward at 0,2: 1000000\nmax_steps: 100000\n"
            "Sccccccc\ncG......\n")
    env = gym.make("GridMaze-v0", level=Level.from_text(text))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kind, steps in (("q-learning", 20_000), ("dqn", 300)):
            config = {"alpha": 1.0, "gamma": 1.0} if kind != "dqn" else {
                "gamma": 1.0, "learning_starts": 50, "train_freq": 1, "device": None}
            config.pop("device", None)
            agent = build(kind, env, config, seed=0)
            session = TrainingSession(env, agent, seed=0, turbo=kind != "dqn")
            report = session.advance(steps)
            assert report.steps == steps, (kind, report.error)
            returns = session.snapshot().returns
            assert np.isfinite(returns).all() and np.abs(returns).max() < 3.1e11
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# ---- .pt files: CRCs, finite weights, metadata types, size claims --------------------------------
@pytest.fixture(scope="module")
def dqn_file(tmp_path_factory) -> Path:
    from agents.dqn import DQN
    from agents.dqn_storage import save_dqn

    env = gym.make("FrozenLake-v1")
    path = tmp_path_factory.mktemp("dqn") / "lake.pt"
    save_dqn(path, DQN(env.observation_space, env.action_space, device="cpu", seed=0,
                       hidden=(8,)), {"env": "FrozenLake-v1"})
    return path


def rewritten(dqn_file: Path, target: Path, change) -> Path:
    """``dqn_file``'s payload, changed by ``change(payload)``, saved to ``target``."""
    import torch

    payload = torch.load(dqn_file, weights_only=True)
    change(payload)
    torch.save(payload, target)
    return target


def test_bit_flipped_pt_files_are_refused_or_load_unchanged(dqn_file, tmp_path):
    """A flip the zip's CRCs cover is refused; one they do not (torch's alignment padding) must
    leave the weights exactly as they were."""
    import torch

    from agents.dqn_storage import DQNFileError, load_dqn

    original, _ = load_dqn(dqn_file, device="cpu")
    raw = dqn_file.read_bytes()
    rng = np.random.default_rng(0)
    refused = 0
    for i, at in enumerate(rng.choice(len(raw), size=20, replace=False)):
        flipped = bytearray(raw)
        flipped[at] ^= 1 << int(rng.integers(8))
        path = tmp_path / f"flip{i}.pt"
        path.write_bytes(bytes(flipped))
        try:
            agent, _ = load_dqn(path, device="cpu")
        except DQNFileError:
            refused += 1
            continue
        for a, b in zip(agent.q_net.state_dict().values(), original.q_net.state_dict().values(),
                        strict=True):
            assert torch.equal(a, b), f"flip at byte {at} changed the weights and loaded"
    assert refused >= 10


def test_pt_with_nan_weights_is_refused(dqn_file, tmp_path, capsys):
    def poison(payload):
        next(iter(payload["state_dict"].values())).view(-1)[0] = float("nan")

    path = rewritten(dqn_file, tmp_path / "nan.pt", poison)
    rc, _, err = run(capsys, "eval", "--agent-file", str(path), "--episodes", "1")
    assert rc == 2 and one_sentence(err) and "weights hold NaN or infinite values" in err


@pytest.mark.parametrize("field, value, message", [
    ("num_steps", "abc", "meta field 'num_steps' is text, not a whole number"),
    ("num_steps", float("nan"), "meta field 'num_steps' is the number nan"),
    ("num_steps", [1], "meta field 'num_steps' is a list"),
    ("seed", -3, "meta field 'seed' is a negative number"),
    ("observation_space", [], "meta field 'observation_space' is a list"),
])
def test_pt_metadata_of_the_wrong_type_exits_2(dqn_file, tmp_path, capsys, field, value,
                                               message):
    path = rewritten(dqn_file, tmp_path / "meta.pt",
                     lambda payload: payload["meta"].__setitem__(field, value))
    rc, _, err = run(capsys, "eval", "--agent-file", str(path), "--episodes", "1")
    assert rc == 2 and one_sentence(err) and message in err, err


@pytest.mark.parametrize("change, message", [
    (lambda m: m["observation_space"].update(n=10**9),
     "observation space claims 1,000,000,000 values"),
    (lambda m: m["hyperparameters"].update(hidden=[65536] * 3),
     "its metadata describes a network of"),
    (lambda m: m.__setitem__("observation_space",
                             {"type": "Box", "shape": [10**5, 10**5], "dtype": "float32"}),
     "observation space claims 10,000,000,000 values"),
    (lambda m: m["observation_space"].update(n=2**20),
     "its metadata describes a network of"),
])
def test_pt_claiming_a_huge_network_is_refused_before_allocating(dqn_file, tmp_path, capsys,
                                                                 change, message):
    """A small file cannot make us build what its metadata claims: the claims are checked
    against the project's limits and against the weights the file really holds."""
    path = rewritten(dqn_file, tmp_path / "big.pt", lambda payload: change(payload["meta"]))
    assert path.stat().st_size < 100_000
    with deadline(20):
        rc, _, err = run(capsys, "eval", "--agent-file", str(path), "--env", "FrozenLake-v1")
    assert rc == 2 and one_sentence(err) and message in err, err


# ---- preset files are untrusted too -----------------------------------------------------------
@pytest.mark.parametrize("content, message", [
    ("fifo", "not a regular file"),
    ('{"rl_sandbox_preset": 1, "agent": "q-learning", "env": "mouse", "hyperparameters": {},'
     ' "budget": [1]}', '"budget" an object'),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_bad_preset_files_exit_2(tmp_path, capsys, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    if content == "fifo":
        os.mkfifo("p.json")
    else:
        (tmp_path / "p.json").write_text(content)
    with deadline(20):
        rc, out, err = run(capsys, "train", "--preset", "p.json", "--episodes", "1",
                           "--out", "a.npz")
    assert rc == 2 and one_sentence(err) and message in err, err


def test_unrecognised_huge_arguments_are_quoted_short(capsys):
    rc, out, err = run(capsys, "eval", "--agent-file", "a.npz", "--max-steps", "9" * 5000)
    assert rc == 2 and one_sentence(err) and "unrecognized arguments" in err


def test_npz_header_with_an_empty_but_impossible_shape_is_refused(tmp_path):
    """Found by the fuzzer: (0, 43023542, 26797456719) claims no bytes, yet numpy cannot even
    describe an array of that shape."""
    path = tmp_path / "odd.npz"
    path.write_bytes(npz_bytes({"q.npy": npy_header((0, 43023542, 26797456719)),
                                "meta.npy": meta_npy()}))
    with pytest.raises(AgentFileError, match="claims shape"):
        load_agent(path)
