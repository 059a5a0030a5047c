"""The ahead-of-time turbo kernel: the JIT kernel's numbers bit for bit, a CLI that never imports
numba with it, and the JIT kernel whenever it cannot be built."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents import turbo_aot
from agents.config import TabularConfig
from agents.factory import build
from agents.session import TrainingSession
from agents.turbokernel import run_steps
from levels.envs import make_env

ROOT = Path(__file__).resolve().parent.parent
CASES = [  # env spec, agent kind, settings: every rule, traces, Dyna planning, a level
    ("Taxi-v4", "q-learning", dict(alpha=0.7, gamma=0.95, epsilon_decay=0.005)),
    ("FrozenLake-v1:is_slippery=False", "sarsa", dict(lam=0.9, trace="accumulating")),
    ("maze_small", "expected-sarsa", dict(planning_steps=5, lam=0.5)),
    ("dyna_maze", "q-learning", dict(planning_steps=10, lam=0.8, trace="replacing")),
]


@pytest.fixture(scope="module")
def aot_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not turbo_aot.can_build():
        pytest.skip("no C compiler to build the ahead-of-time kernel with")
    folder = tmp_path_factory.mktemp("aot")
    suffix = turbo_aot.module_path().name.split(".", 1)[1]
    stale = [folder / f"_turbo_aot_0123456789abcdef.{suffix}",
             folder / f"_turbo_aot_0.{suffix}.failed"]
    for path in stale:
        path.write_bytes(b"an earlier version")
    built = turbo_aot.build_kernel(folder / turbo_aot.module_path().name)
    assert not any(path.exists() for path in stale)  # earlier versions are cleared away
    return built


def _train(spec: str, kind: str, settings: dict, kernel, episodes: int = 400) -> tuple:
    env, _ = make_env(spec)
    agent = build(kind, env, TabularConfig(**settings), seed=11)
    session = TrainingSession(env, agent, seed=11, turbo=True, turbo_kernel=lambda: kernel)
    report = session.advance(10**9, max_episodes=episodes)
    assert session.turbo_available and len(report.episodes) == episodes
    return agent.q.copy(), [(e.ret, e.length) for e in report.episodes], session.total_steps


@pytest.mark.slow
@pytest.mark.parametrize("spec,kind,settings", CASES)
def test_ahead_of_time_kernel_equals_the_jit_kernel(aot_module, spec, kind, settings):
    aot = turbo_aot.load_kernel(aot_module)
    assert aot is not None and aot is not run_steps
    q_aot, returns_aot, steps_aot = _train(spec, kind, settings, aot)
    q_jit, returns_jit, steps_jit = _train(spec, kind, settings, run_steps)
    assert steps_aot == steps_jit and returns_aot == returns_jit
    assert np.array_equal(q_aot, q_jit) and np.any(q_jit != 0.0)


CLI = """
import json, sys
from main import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "numba": [m for m in sys.modules if m.startswith("numba")]}))
"""


@pytest.mark.slow
def test_cli_trains_with_it_without_importing_numba(aot_module, tmp_path):
    out = tmp_path / "taxi.npz"
    argv = ["train", "--env", "Taxi-v4", "--episodes", "2000", "--alpha", "0.7", "--gamma",
            "0.95", "--epsilon-decay", "0.005", "--max-steps", "99", "--seed", "5",
            "--out", str(out)]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(aot_module.parent)}
    done = subprocess.run([sys.executable, "-c", CLI, *argv], capture_output=True, text=True,
                          check=True, timeout=300, cwd=ROOT, env=env)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"status": 0, "numba": []}
    env_, _ = make_env("Taxi-v4", max_steps=99)
    agent = build("q-learning", env_, TabularConfig(alpha=0.7, gamma=0.95, epsilon_decay=0.005),
                  seed=5)
    TrainingSession(env_, agent, seed=5, turbo=True).advance(10**9, max_episodes=2000)
    assert np.array_equal(np.load(out, allow_pickle=False)["q"], agent.q)


def test_without_a_compiler_the_jit_kernel_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(turbo_aot, "can_build", lambda: False)
    monkeypatch.setattr(turbo_aot, "build_kernel", lambda path=None: pytest.fail("built"))
    assert turbo_aot.ahead_of_time_kernel() is run_steps


def test_a_failed_build_is_reported_once_and_not_retried(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(turbo_aot, "can_build", lambda: True)
    calls = []

    def broken(path=None):
        calls.append(path)
        raise OSError("no Python.h")

    monkeypatch.setattr(turbo_aot, "build_kernel", broken)
    assert turbo_aot.ahead_of_time_kernel() is run_steps
    assert turbo_aot.ahead_of_time_kernel() is run_steps
    assert len(calls) == 1 and "using numba's JIT kernel" in capsys.readouterr().err
    marker = turbo_aot.module_path().with_name(turbo_aot.module_path().name + ".failed")
    assert "no Python.h" in marker.read_text(encoding="utf-8")


def test_a_module_that_does_not_import_counts_as_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    turbo_aot.module_path().write_bytes(b"not an extension module")
    assert turbo_aot.load_kernel() is None


def test_the_module_name_follows_the_kernel_sources(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    first = turbo_aot.module_path()
    monkeypatch.setattr(turbo_aot, "SIGNATURE", turbo_aot.SIGNATURE.replace("i8(", "i4(", 1))
    assert first.parent == tmp_path and turbo_aot.module_path() != first
    assert json.dumps(str(first)).count("_turbo_aot_") == 1


def test_a_folder_that_takes_no_note_still_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "missing"))
    monkeypatch.setattr(turbo_aot, "can_build", lambda: True)

    def broken(path=None):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(turbo_aot, "build_kernel", broken)
    assert turbo_aot.ahead_of_time_kernel() is run_steps
    assert not (tmp_path / "missing").exists()
