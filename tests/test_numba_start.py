"""The turbo kernel loads from numba's cache without numba's target refresh, and computes the
same Q-table as when it was just compiled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# Modules only numba's target refresh imports (the CLI itself never needs them).
REFRESH_ONLY = ("numba.np.linalg", "numba.np.random.generator_methods", "numba.cpython.unicode")

SCRIPT = """
import json, sys
from main import main
status = main(sys.argv[1:])
from agents.turbokernel import run_steps
print(json.dumps({"status": status, "hits": sum(run_steps.stats.cache_hits.values()),
                  "misses": sum(run_steps.stats.cache_misses.values()),
                  "refreshed": [m for m in REFRESH_ONLY if m in sys.modules]}))
""".replace("REFRESH_ONLY", repr(REFRESH_ONLY))


@pytest.mark.slow
def test_cli_loads_the_cached_kernel_without_refresh_and_learns_the_same(tmp_path):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    runs = []
    for name in ("compiled", "loaded"):
        out = tmp_path / f"{name}.npz"
        argv = ["train", "--env", "FrozenLake-v1:map_name=8x8", "--episodes", "3000",
                "--seed", "3", "--out", str(out)]
        done = subprocess.run([sys.executable, "-c", SCRIPT, *argv], capture_output=True,
                              text=True, check=True, timeout=600, cwd=root, env=env)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        runs[-1]["q"] = np.load(out, allow_pickle=False)["q"]
    compiled, loaded = runs
    assert compiled["status"] == loaded["status"] == 0
    assert compiled["misses"] == 1 and compiled["refreshed"] == list(REFRESH_ONLY)
    assert loaded["hits"] == 1 and loaded["misses"] == 0 and loaded["refreshed"] == []
    assert np.array_equal(compiled["q"], loaded["q"]) and np.any(loaded["q"] != 0.0)
