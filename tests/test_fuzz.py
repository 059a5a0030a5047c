"""Fuzzing the inputs a user (or a stranger's file) controls: level text, CLI flags, agent files,
the recovery file.

Every input must give a result or one sentence of refusal: exit 0 or 2, never another code,
never a traceback, never a changed ``--out`` on failure, and (run in a subprocess under
``RLIMIT_AS`` and ``RLIMIT_CPU``) never more memory than :data:`MEMORY_CAP` or more CPU time
than :data:`CPU_CAP_S`. Time is CPU time throughout, so a busy machine cannot fail a test.

The budget is small so CI runs it in seconds. For a nightly run raise it:
``RL_SANDBOX_FUZZ_EXAMPLES=2000 python -m pytest -q -m fuzz`` (hypothesis examples per test,
and that many / 20 capped subprocess runs).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import cli
from agents.storage import AgentFileError, load_agent, save_agent
from agents.tabular import QLearning
from app.recovery import RecoveryStore, level_to_dict
from levels.level import Level, LevelError
from levels.levelfile import load_level

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
BUDGET = int(os.environ.get("RL_SANDBOX_FUZZ_EXAMPLES", "0"))
EXAMPLES = BUDGET or 25
SUBPROCESS_RUNS = max(2, BUDGET // 20)
MEMORY_CAP = 4 * 2**30
"""Address-space cap of a fuzzed CLI run: torch alone maps ~1.3 GiB, the largest replay buffer
a file may ask for is 2 GiB; a file claiming more must be refused, not allocated."""
CPU_CAP_S = 30
"""CPU-time cap of one fuzzed CLI run, torch's import included (the kernel kills it beyond)."""
HANG_GUARD_S = 900.0
"""Wall-clock limit of one fuzzed CLI run: only so that nothing hangs, far above any busy run."""

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not BUDGET,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])


def one_sentence(err: str) -> bool:
    """stderr is one line (progress-bar redraws aside) and no traceback."""
    lines = [line for line in err.replace("\r", "\n").split("\n") if line.strip()
             and "episode/s" not in line and "step/s" not in line and "it/s" not in line]
    return len(lines) == 1 and "Traceback" not in err and len(lines[0]) < 500


# ---- level text ---------------------------------------------------------------------------------
SETTING_LINES = st.sampled_from(
    ["name", "max_steps", "slippery", "reward.goal", "reward.step", "reward.cheese", "reward at",
     "reward at 0,0", "reward at 99,1", "nmae", "max_step", "root", ";", "#"])
VALUES = st.one_of(st.integers(-10**30, 10**30).map(str), st.floats().map(repr),
                   st.sampled_from(["true", "no", "nan", "inf", "-1e39", "1.7e308", "", "x"]),
                   st.text(max_size=30))
ROWS = st.text(alphabet="S.F#HGCcP x\t", min_size=0, max_size=70)


@st.composite
def level_texts(draw) -> str:
    lines = [f"{draw(SETTING_LINES)}: {draw(VALUES)}" for _ in range(draw(st.integers(0, 5)))]
    lines += draw(st.lists(ROWS, max_size=70))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=200)))
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


@FUZZ
@given(st.one_of(level_texts(), st.text(max_size=2000), st.binary(max_size=500).map(
    lambda b: b.decode("latin-1"))))
def test_level_text_gives_a_level_or_one_sentence(text):
    started = time.process_time()
    try:
        level = Level.from_text(text)
    except LevelError as err:
        message = str(err)
        assert "\n" not in message and len(message) < 400, message
    else:
        assert level.problems() == []
        assert Level.from_text(level.to_text()) == level
    assert time.process_time() - started < 5.0


# ---- CLI flags ----------------------------------------------------------------------------------
NUMBERS = st.one_of(
    st.floats().map(repr), st.integers(-10**40, 10**40).map(str),
    st.sampled_from(["-inf", "inf", "nan", "-nan", "1e-320", "1.0000001", "0", "-0", "1e309",
                     "0x10", "1_000", " 1", "", "9" * 5000, "½"]))
ENVS = st.sampled_from(["mouse", "cliff", "FrozenLake-v1", "FrozenLake-v1:is_slippery=False",
                        "mouse:foo=1", "Taxy-v3", "Pendulum-v1", "Blackjack-v1",
                        "FrozenLake-v1:map_name='9x9'", "GridMaze-v0:level=None", "",
                        "/dev/zero", "/etc/passwd", "nowhere/x.txt", "x" * 5000])
TAB_FLAGS = ["--alpha", "--gamma", "--epsilon", "--epsilon-min", "--epsilon-decay",
             "--initial-q", "--max-steps", "--seed", "--lambda", "--planning-steps"]


@st.composite
def train_argvs(draw) -> list[str]:
    argv = ["train", "--env", draw(ENVS), "--agent",
            draw(st.sampled_from(["q-learning", "sarsa", "expected-sarsa"]))]
    argv += ["--episodes", str(draw(st.integers(1, 3)))]
    for flag in draw(st.lists(st.sampled_from(TAB_FLAGS), max_size=4, unique=True)):
        argv += [flag, draw(NUMBERS)]
    if draw(st.booleans()):
        argv += ["--schedule", draw(st.sampled_from(["constant", "linear", "exponential", "x"]))]
    return argv


@FUZZ
@given(argv=train_argvs(), out_name=st.sampled_from(["a.npz", "a.pt", "a.txt", "x" * 300,
                                                     "missing/a.npz", "."]))
def test_train_flags_exit_0_or_2_and_never_touch_out_on_failure(tmp_path, capsys, monkeypatch,
                                                                argv, out_name):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "a.npz"
    out.write_bytes(b"the user's file")
    before = out.read_bytes()
    rc = cli.main([*argv, "--out", out_name])
    _, err = capsys.readouterr()
    assert rc in (0, 2), (argv, err)
    if rc == 2:
        assert one_sentence(err), (argv, err)
        assert out.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


@FUZZ
@given(flags=st.lists(st.tuples(st.sampled_from(["--episodes", "--seed", "--env", "--max-steps",
                                                 "--device", "--json"]),
                                NUMBERS | ENVS), max_size=3))
def test_eval_flags_exit_0_or_2(tmp_path, capsys, monkeypatch, flags):
    monkeypatch.chdir(tmp_path)
    save_agent("a.npz", QLearning(6, 4, seed=0), {"env": "mouse"})
    argv = ["eval", "--agent-file", "a.npz"]
    for flag, value in flags:
        argv += [flag] if flag == "--json" else [flag, value]
    if "--episodes" not in argv:
        argv += ["--episodes", "2"]
    elif len(argv[argv.index("--episodes") + 1]) > 3:
        return  # a valid huge episode count is a long run, not bad input
    rc = cli.main(argv)
    _, err = capsys.readouterr()
    assert rc in (0, 2), (argv, err)
    if rc == 2:
        assert one_sentence(err), (argv, err)


# ---- agent files --------------------------------------------------------------------------------
def _valid_npz() -> bytes:
    buffer = io.BytesIO()
    agent = QLearning(6, 4, seed=0)
    agent.q[:] = np.arange(24).reshape(6, 4)
    meta = {"format": "rl-sandbox-agent", "version": 1, "kind": "q-learning", "env": "mouse",
            "hyperparameters": {"alpha": 0.1}, "seed": 0, "episodes": 3, "steps": 9}
    np.savez(buffer, q=agent.q, meta=np.array(json.dumps(meta)))
    return buffer.getvalue()


def _valid_pt() -> bytes:
    import gymnasium as gym

    from agents.dqn import DQN
    from agents.dqn_storage import save_dqn

    env = gym.make("FrozenLake-v1")
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"rl-sandbox-fuzz-{os.getpid()}.pt"
    save_dqn(path, DQN(env.observation_space, env.action_space, device="cpu", seed=0,
                       hidden=(8,)), {"env": "FrozenLake-v1"})
    data = path.read_bytes()
    path.unlink()
    return data


VALID = {".npz": _valid_npz}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4), max_leaves=10)
META_KEYS = st.sampled_from(["format", "version", "kind", "env", "max_steps", "seed",
                             "hyperparameters", "episodes", "n_states", "level"])


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """Truncate, flip bits, overwrite runs, insert or delete bytes of a valid file."""
    raw = bytearray(data)
    kind = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert", "delete"]))
    at = draw(st.integers(0, len(raw) - 1))
    if kind == "truncate":
        return bytes(raw[:at])
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            spot = draw(st.integers(0, len(raw) - 1))
            raw[spot] ^= 1 << draw(st.integers(0, 7))
    elif kind == "overwrite":
        chunk = draw(st.binary(min_size=1, max_size=16))
        raw[at:at + len(chunk)] = chunk
    elif kind == "insert":
        raw[at:at] = draw(st.binary(min_size=1, max_size=16))
    else:
        del raw[at:at + draw(st.integers(1, 16))]
    return bytes(raw)


def npy(shape: tuple[int, ...], dtype: str, body: bytes) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False,
                                                  "shape": shape})
    return buffer.getvalue() + body


@st.composite
def crafted_npz(draw) -> bytes:
    """Archives built member by member: size claims, odd dtypes, bombs, wrong meta types."""
    meta = {"format": "rl-sandbox-agent", "version": 1, "kind": "q-learning"}
    for _ in range(draw(st.integers(0, 3))):
        meta[draw(META_KEYS)] = draw(JSON_VALUES)
    try:
        meta_text = json.dumps(meta)
    except (ValueError, TypeError):
        meta_text = "{}"
    shape = tuple(draw(st.lists(st.integers(0, 2**45), min_size=0, max_size=3)))
    dtype = draw(st.sampled_from(["<f8", "<f4", "|O", "<U4", "|V8", "<c16", ">f8", "|b1"]))
    body = draw(st.sampled_from([b"", b"\0" * 64, b"\0" * 8 * 24]))
    members = {"q.npy": npy(shape, dtype, body)}
    if draw(st.booleans()):
        members["meta.npy"] = npy((), f"<U{len(meta_text)}", meta_text.encode("utf-32-le"))
    if draw(st.booleans()):  # the largest table allowed, claimed but not carried
        members["q.npy"] = npy((2**24, 1), "<f8", b"\0" * 64)
    buffer = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _check_load(path: Path) -> None:
    try:
        load_agent(path)
    except AgentFileError as err:
        assert "\n" not in str(err) and len(str(err)) < 400, str(err)


@FUZZ
@given(st.data())
def test_mutated_npz_files_load_or_are_refused_in_one_sentence(tmp_path, data):
    raw = data.draw(st.one_of(mutated(_valid_npz()), crafted_npz(), st.binary(max_size=300)))
    path = tmp_path / "agent.npz"
    path.write_bytes(raw)
    started = time.process_time()
    _check_load(path)
    assert time.process_time() - started < 10.0


@pytest.fixture(scope="module")
def valid_pt() -> bytes:
    return _valid_pt()


@st.composite
def crafted_pt_meta(draw) -> dict:
    changes = {}
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(["num_steps", "num_updates", "seed", "epsilon", "env",
                                    "hyperparameters", "observation_space", "action_space",
                                    "max_steps"]))
        changes[key] = draw(st.one_of(
            JSON_VALUES,
            st.fixed_dictionaries({"type": st.sampled_from(["Discrete", "Box", "Tuple"]),
                                   "n": st.integers(-5, 2**40),
                                   "shape": st.lists(st.integers(-1, 10**6), max_size=3),
                                   "dtype": st.sampled_from(["float32", "object", "V9", "x"])}),
            st.fixed_dictionaries({"hidden": st.lists(st.integers(-1, 2**17), max_size=4),
                                   "buffer_size": st.integers(-1, 10**12),
                                   "batch_size": st.integers(-1, 10**9)})))
    return changes


@FUZZ
@given(st.data())
def test_mutated_pt_files_load_or_are_refused_in_one_sentence(tmp_path, valid_pt, data):
    import torch

    if data.draw(st.booleans()):
        raw = data.draw(mutated(valid_pt))
    else:
        payload = torch.load(io.BytesIO(valid_pt), weights_only=True)
        payload["meta"].update(data.draw(crafted_pt_meta()))
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        raw = buffer.getvalue()
    path = tmp_path / "agent.pt"
    path.write_bytes(raw)
    started = time.process_time()
    _check_load(path)
    assert time.process_time() - started < 10.0


# ---- the recovery file -------------------------------------------------------------------------
def _valid_recovery() -> dict:
    return {"version": 1, "source": "mouse", "saved_at": 1.7e9,
            "level": level_to_dict(load_level("mouse"))}


@st.composite
def recovery_bytes(draw) -> bytes:
    payload = _valid_recovery()
    target = payload if draw(st.booleans()) else payload["level"]
    for _ in range(draw(st.integers(1, 3))):
        target[draw(st.sampled_from(sorted(target) + ["x"]))] = draw(JSON_VALUES)
    text = json.dumps(payload)
    if draw(st.booleans()):
        return draw(mutated(text.encode()))
    return text.encode()


@FUZZ
@given(st.one_of(recovery_bytes(), st.binary(max_size=200),
                 st.integers(1, 50_000).map(lambda n: b"[" * n + b"]" * n)))
def test_any_recovery_file_is_restored_or_set_aside(tmp_path_factory, raw):
    folder = tmp_path_factory.mktemp("state")
    store = RecoveryStore(folder)
    store.path.write_bytes(raw)
    found = store.load()
    if found is not None:  # whatever came back, the app can show and restore it
        found.describe()
        found.level.problems()
        found.level.to_text()
        assert store.path.exists()
    elif store.last_error:
        assert "\n" not in store.last_error and "set aside" in store.last_error
        assert not store.path.exists() and len(list(folder.glob("recovery.damaged-*"))) == 1
    store.close()


# ---- the CLI as a program, under a memory cap -------------------------------------------------
CAPPED = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
sys.path.insert(0, {root!r})
sys.argv = ["main.py", *sys.argv[1:]]
runpy.run_path({main!r}, run_name="__main__")
"""


def run_capped(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    code = CAPPED.format(cap=MEMORY_CAP, cpu=CPU_CAP_S, root=str(ROOT),
                         main=str(ROOT / "main.py"))
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=HANG_GUARD_S)


HOSTILE_NPZ = {
    "header claiming 32 TiB": lambda: _zip({"q.npy": npy((2**40, 4), "<f8", b"\0" * 64),
                                            "meta.npy": npy((), "<U2", "{}".encode("utf-32-le"))}),
    "zip bomb of 256 MiB": lambda: _bomb(2**28),
    "a pickle": lambda: b"\x80\x04\x95" + b"cos\nsystem\n(S'touch pwned'\ntR." + b"." * 20,
}


def _bomb(size: int) -> bytes:
    """A deflated ``q.npy`` of ``size`` bytes of zeros (about size / 1000 bytes on disk)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("q.npy", "w", force_zip64=True) as member:
            member.write(npy((size // 8,), "<f8", b""))
            zeros = bytes(2**20)
            for _ in range(size // 2**20):
                member.write(zeros)
    return buffer.getvalue()


def _zip(members: dict[str, bytes], deflate: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED,
                         compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("case", list(HOSTILE_NPZ))
def test_hostile_npz_files_exit_2_under_a_memory_cap(tmp_path, case):
    (tmp_path / "a.npz").write_bytes(HOSTILE_NPZ[case]())
    proc = run_capped(["eval", "--agent-file", "a.npz"], tmp_path)
    assert proc.returncode == 2 and one_sentence(proc.stderr), proc.stderr[-500:]
    assert not (tmp_path / "pwned").exists()


def test_random_mutations_under_a_memory_cap(tmp_path, valid_pt):
    """A few mutated files of both kinds through the real program: exit 0 or 2 within the
    CPU-time cap and under the memory cap (a MemoryError would be exit 1)."""
    rng = np.random.default_rng(BUDGET)
    sources = {".npz": _valid_npz(), ".pt": valid_pt}
    for i in range(SUBPROCESS_RUNS):
        suffix = (".npz", ".pt")[i % 2]
        raw = bytearray(sources[suffix])
        for _ in range(int(rng.integers(1, 4))):
            raw[int(rng.integers(len(raw)))] ^= 1 << int(rng.integers(8))
        path = tmp_path / f"m{i}{suffix}"
        path.write_bytes(bytes(raw))
        proc = run_capped(["eval", "--agent-file", path.name, "--episodes", "2"], tmp_path)
        assert proc.returncode in (0, 2), proc.stderr[-500:]
        if proc.returncode == 2:
            assert one_sentence(proc.stderr), proc.stderr[-500:]
