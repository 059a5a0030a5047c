"""The JIT turbo kernel loads from numba's cache without numba's target refresh, and computes the
same Q-table as when it was just compiled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Modules only numba's target refresh imports (loading a cached kernel never needs them).
REFRESH_ONLY = ("numba.np.linalg", "numba.np.random.generator_methods", "numba.cpython.unicode")

SCRIPT = """
import json, sys
from agents.config import TabularConfig
from agents.factory import build
from agents.session import TrainingSession
from agents.turbokernel import run_steps
from levels.envs import make_env
env, _ = make_env("FrozenLake-v1:map_name=8x8")
agent = build("q-learning", env, TabularConfig(), seed=3)
session = TrainingSession(env, agent, seed=3, turbo=True)
session.advance(10**9, max_episodes=3000)
print(json.dumps({"q": agent.q.tolist(), "turbo": session.turbo_available,
                  "hits": sum(run_steps.stats.cache_hits.values()),
                  "misses": sum(run_steps.stats.cache_misses.values()),
                  "refreshed": [m for m in REFRESH_ONLY if m in sys.modules]}))
""".replace("REFRESH_ONLY", repr(REFRESH_ONLY))


@pytest.mark.slow
def test_cached_kernel_loads_without_refresh_and_learns_the_same(tmp_path):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    compiled, loaded = (
        json.loads(subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                                  check=True, timeout=600, cwd=root, env=env).stdout)
        for _ in range(2))
    assert compiled["turbo"] and compiled["misses"] == 1
    assert compiled["refreshed"] == list(REFRESH_ONLY)
    assert loaded["hits"] == 1 and loaded["misses"] == 0 and loaded["refreshed"] == []
    assert loaded["q"] == compiled["q"] and any(any(row) for row in loaded["q"])
