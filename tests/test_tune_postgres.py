"""Two ``main.py tune`` workers share one study on a real PostgreSQL server; killing one
mid-trial loses nothing (Optuna's heartbeat marks its trial failed, the retry callback re-runs it).

The server is Debian's ``postgresql`` package (``.ci/run`` installs it), started here in a
temporary folder on a free port and removed afterwards. As root, the server runs as the
``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 6


def _server_binaries() -> tuple[str, str] | None:
    for folder in [os.path.dirname(shutil.which("initdb") or ""),
                   *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        initdb, pg_ctl = os.path.join(folder, "initdb"), os.path.join(folder, "pg_ctl")
        if folder and os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed; "
                    "`apt-get install postgresql` (as .ci/run does) to run this test")
    initdb, pg_ctl = binaries
    base = tempfile.mkdtemp(prefix="rlsandbox-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = os.path.join(base, "data"), _free_port()
    run = dict(check=True, capture_output=True, timeout=120)
    try:
        subprocess.run([*as_user, initdb, "-D", data, "-A", "trust", "-U", "rl", "-E", "UTF8",
                        "--no-sync"], **run)
        subprocess.run([*as_user, pg_ctl, "-D", data, "-l", os.path.join(base, "log"), "-w",
                        "-t", "60", "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off", "start"], **run)
        yield f"postgresql://rl@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _worker(url: str, out: Path) -> subprocess.Popen:
    """A tune worker whose trials take a second or two (no pruning: one checkpoint)."""
    log = out.with_suffix(".log").open("w")
    return subprocess.Popen(
        [sys.executable, "main.py", "tune", "--env", "FrozenLake-v1:map_name=8x8", "--trials",
         str(TRIALS), "--episodes", "30000", "--seeds", "2", "--checkpoints", "1",
         "--heartbeat", "1", "--storage", url, "--study-name", "shared", "--out", str(out)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


class _Study:
    """The shared study as the test sees it (one connection, reused while polling)."""

    def __init__(self, url: str) -> None:
        import optuna

        from agents.tuning import database_url

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.url, self.study = database_url(url), None

    def trials(self) -> list:
        import optuna

        if self.study is None:
            try:
                self.study = optuna.load_study(study_name="shared", storage=self.url)
            except KeyError:  # the first worker has not created the study yet
                return []
        return self.study.get_trials(deepcopy=False)


def test_two_workers_share_a_study_and_a_killed_worker_loses_nothing(postgres_url: str,
                                                                     tmp_path: Path) -> None:
    from optuna.trial import TrialState

    a, b = _worker(postgres_url, tmp_path / "a.json"), _worker(postgres_url, tmp_path / "b.json")
    shared = _Study(postgres_url)
    killed: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not killed:
            mine = [t for t in shared.trials()
                    if t.user_attrs.get("worker", "").endswith(f":{a.pid}")]
            done = [t for t in mine if t.state == TrialState.COMPLETE]
            running = [t for t in mine if t.state == TrialState.RUNNING]
            if done and running:
                a.send_signal(signal.SIGSTOP)  # frozen, so "still running" stays true
                numbers = {t.number for t in running}
                still = [t.number for t in shared.trials()
                         if t.number in numbers and t.state == TrialState.RUNNING]
                if still:
                    a.send_signal(signal.SIGKILL)  # mid-trial: no chance to tidy up
                    a.wait(timeout=30)
                    killed = still
                else:  # the trial finished just before the stop: try the next one
                    a.send_signal(signal.SIGCONT)
            time.sleep(0.05)
        assert killed, "worker A never finished a trial and started another"
        assert b.wait(timeout=300) == 0, (tmp_path / "b.log").read_text()
    finally:
        for w in (a, b):
            if w.poll() is None:
                w.kill()
                w.wait(timeout=30)
    trials = {t.number: t for t in _Study(postgres_url).trials()}
    finished = [t for t in trials.values() if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) >= TRIALS
    workers = {t.user_attrs["worker"] for t in finished}
    assert len(workers) == 2, workers  # both workers' trials are in the one study
    for number in killed:
        assert trials[number].state == TrialState.FAIL  # B found it stale
        retries = [t for t in trials.values() if t.system_attrs.get("failed_trial") == number]
        assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
        assert retries[0].params == trials[number].params
        assert retries[0].user_attrs["seeds"] == trials[number].user_attrs["seeds"]
    assert not [t for t in trials.values() if t.state in (TrialState.RUNNING,
                                                          TrialState.WAITING)]
    assert (tmp_path / "b.json").exists() and not (tmp_path / "a.json").exists()
