"""start_numba: numba starts without importing scipy.linalg, and SciPy still imports afterwards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
import agents.fast as fast
fast.start_numba()
print("scipy.linalg" in sys.modules)
import numpy as np
q = np.zeros((2, 2)); print(fast._greedy(q[0], 0.0))
try:
    import scipy.linalg  # noqa: F401
    print("importable")
except ImportError:
    print("not installed")
"""


@pytest.mark.slow
def test_numba_starts_without_scipy_linalg_which_still_imports_later():
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, timeout=300, cwd=root).stdout.split()
    assert out[0] == "False" and out[1] == "0" and out[2] in ("importable", "not installed")
