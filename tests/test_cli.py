"""main.py train / eval / levels: outputs, exit codes, one-sentence errors, no partial files."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from agents import cli

ROOT = Path(__file__).resolve().parents[1]
COURSE_FROZENLAKE = ["--env", "FrozenLake-v1:is_slippery=False,map_name=4x4", "--alpha", "0.7",
                     "--gamma", "0.95", "--epsilon-decay", "0.0005", "--max-steps", "99"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture()
def trained(tmp_path: Path, capsys) -> Path:
    """The course's FrozenLake run. Margin, measured on seeds 0-9: every seed solves the lake (all
    100 course seeds, 6 steps) from 250 episodes on; this trains 10,000."""
    out = tmp_path / "lake.npz"
    rc, _, _ = run(capsys, "train", *COURSE_FROZENLAKE, "--episodes", "10000", "--out", str(out))
    assert rc == 0
    return out


def test_train_json_summary(tmp_path: Path, capsys) -> None:
    out = tmp_path / "taxi.npz"
    rc, stdout, _ = run(capsys, "train", "--env", "Taxi-v4", "--episodes", "300", "--seed", "5",
                        "--out", str(out), "--json")
    assert rc == 0 and out.exists()
    summary = json.loads(stdout)
    assert {"agent", "env", "episodes", "steps", "seconds", "steps_per_second",
            "mean_return_last_100", "out"} <= set(summary)
    assert summary["agent"] == "q-learning" and summary["env"] == "Taxi-v4"
    assert summary["episodes"] == 300 and summary["steps"] > 300 and summary["out"] == str(out)
    assert summary["steps_per_second"] == pytest.approx(summary["steps"] / summary["seconds"],
                                                        rel=0.01)
    assert isinstance(summary["mean_return_last_100"], float) and summary["turbo"] is True


def test_train_by_steps_without_turbo(tmp_path: Path, capsys) -> None:
    out = tmp_path / "s.npz"
    rc, stdout, _ = run(capsys, "train", "--env", "mouse", "--agent", "sarsa", "--steps", "400",
                        "--schedule", "linear", "--no-turbo", "--out", str(out), "--json")
    summary = json.loads(stdout)
    assert rc == 0 and summary["steps"] == 400 and summary["turbo"] is False
    assert summary["agent"] == "sarsa" and summary["env"] == "mouse"


def test_train_with_traces_and_planning_stores_the_knobs(tmp_path: Path, capsys) -> None:
    out = tmp_path / "dyna.npz"
    rc, stdout, _ = run(capsys, "train", "--env", "maze_small", "--agent", "sarsa", "--lambda",
                        "0.8", "--trace", "accumulating", "--planning-steps", "5", "--episodes",
                        "50", "--out", str(out), "--json")
    assert rc == 0 and json.loads(stdout)["turbo"] is True
    from agents.storage import load_agent

    agent, meta = load_agent(out)
    assert (agent.lam, agent.trace, agent.planning_steps) == (0.8, "accumulating", 5)
    assert meta["hyperparameters"]["planning_steps"] == 5


def test_train_then_eval_round_trip(trained: Path, capsys) -> None:
    rc, stdout, _ = run(capsys, "eval", "--agent-file", str(trained), "--json")
    result = json.loads(stdout)
    assert rc == 0 and result["greedy"] is True
    assert (result["mean_reward"], result["std_reward"], result["success_rate"]) == (1.0, 0.0, 1.0)
    assert result["mean_length"] == 6.0 and result["episodes"] == 100
    rc, stdout, _ = run(capsys, "eval", "--agent-file", str(trained), "--episodes", "7",
                        "--seed", "3", "--json")
    assert rc == 0 and json.loads(stdout)["episodes"] == 7
    rc, stdout, _ = run(capsys, "eval", "--agent-file", str(trained))
    assert rc == 0 and "mean_reward: 1" in stdout


def test_eval_on_another_env_of_the_same_shape_says_so(trained: Path, capsys) -> None:
    rc, _, err = run(capsys, "eval", "--agent-file", str(trained), "--env", "FrozenLake-v1",
                     "--episodes", "5")
    assert rc == 0
    assert ("note: lake.npz was trained on FrozenLake-v1:is_slippery=False,map_name='4x4'; it "
            "is evaluated on FrozenLake-v1, whose observations and actions have the same shape"
            ) in err
    rc, _, err = run(capsys, "eval", "--agent-file", str(trained), "--env",
                     "FrozenLake-v1:is_slippery=False,map_name=4x4", "--episodes", "5")
    assert rc == 0 and "note:" not in err  # its own env, named again


def test_eval_is_reproducible(tmp_path: Path, capsys) -> None:
    out = tmp_path / "slip.npz"
    assert run(capsys, "train", "--env", "FrozenLake-v1", "--episodes", "2000",
               "--out", str(out))[0] == 0
    first = run(capsys, "eval", "--agent-file", str(out), "--episodes", "50", "--json")[1]
    second = run(capsys, "eval", "--agent-file", str(out), "--episodes", "50", "--json")[1]
    assert json.loads(first) == json.loads(second)


def test_renamed_env_runs_with_a_notice(tmp_path: Path, capsys) -> None:
    rc, stdout, err = run(capsys, "train", "--env", "CliffWalking-v0", "--episodes", "20",
                          "--out", str(tmp_path / "c.npz"), "--json")
    assert rc == 0 and json.loads(stdout)["env"] == "CliffWalking-v1"
    assert "CliffWalking-v0 was renamed; running CliffWalking-v1" in err


def test_levels_lists_mouse(capsys) -> None:
    rc, stdout, _ = run(capsys, "levels")
    mouse = next(line for line in stdout.splitlines() if line.startswith("mouse "))
    assert rc == 0 and "2x3" in mouse and "worked example" in mouse
    rows = json.loads(run(capsys, "levels", "--json")[1])
    assert {"name": "mouse", "size": "2x3"}.items() <= next(
        r for r in rows if r["name"] == "mouse").items()


def test_levels_json_keeps_whole_descriptions(capsys) -> None:
    rows = json.loads(run(capsys, "levels", "--json")[1])
    cliff = next(r for r in rows if r["name"] == "cliff")["description"]
    assert "..." not in cliff and cliff.endswith("returns -13.")
    text = run(capsys, "levels")[1]
    assert all(len(line) <= 100 for line in text.splitlines())  # the table stays one line each


def test_export_hf(tmp_path: Path, capsys) -> None:
    rc, stdout, _ = run(capsys, "train", *COURSE_FROZENLAKE, "--episodes", "10000",
                        "--out", str(tmp_path / "a.npz"), "--export-hf", str(tmp_path / "hf"),
                        "--json")
    assert rc == 0 and json.loads(stdout)["hf_mean_reward"] == 1.0
    assert files_in(tmp_path / "hf") == ["README.md", "q-learning.pkl", "results.json"]
    assert "value: 1.00 +/- 0.00" in (tmp_path / "hf" / "README.md").read_text()


BAD_TRAIN = {
    "unknown env": (["--env", "Taxy-v3"], "did you mean Taxi"),
    "not discrete": (["--env", "CartPole-v1"],
                     "tabular agents need a Discrete observation space; try --agent dqn"),
    "alpha": (["--env", "mouse", "--alpha", "1.5"], "alpha must be between 0 and 1, got 1.5"),
    "gamma": (["--env", "mouse", "--gamma", "-0.1"], "gamma must be between 0 and 1"),
    "epsilon": (["--env", "mouse", "--epsilon", "2"], "epsilon must be between 0 and 1"),
    "lambda": (["--env", "mouse", "--lambda", "1.2"], "lambda must be between 0 and 1, got 1.2"),
    "trace": (["--env", "mouse", "--trace", "dutch"], "invalid choice: 'dutch'"),
    "planning steps": (["--env", "mouse", "--planning-steps", "2.5"],
                       "planning steps must be a whole number, got 2.5"),
    "zero episodes": (["--env", "mouse", "--episodes", "0"], "must be a positive whole number"),
    "negative episodes": (["--env", "mouse", "--episodes", "-3"], "must be a positive"),
    "bad level file": (["--env", "nowhere/maze.txt"], "maze.txt"),
    "export of a level": (["--env", "mouse", "--export-hf", "hf"], "--export-hf needs a Gymnasium"),
}


@pytest.mark.parametrize("case", list(BAD_TRAIN))
def test_bad_train_input_exits_2_with_one_line(tmp_path: Path, capsys, monkeypatch,
                                               case: str) -> None:
    monkeypatch.chdir(tmp_path)
    extra, message = BAD_TRAIN[case]
    argv = ["train", *extra, "--out", "a.npz"]
    if "--episodes" not in extra:
        argv += ["--episodes", "10"]
    rc, stdout, err = run(capsys, *argv)
    assert rc == 2 and stdout == ""
    assert err.count("\n") == 1 and message in err
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("out, message", [
    ("missing/a.npz", "folder missing does not exist"),
    (".", "is a folder"),
    ("a.txt", "saved as .npz files"),
])
def test_unwritable_out_exits_2(tmp_path: Path, capsys, monkeypatch, out: str,
                                message: str) -> None:
    monkeypatch.chdir(tmp_path)
    rc, stdout, err = run(capsys, "train", "--env", "mouse", "--episodes", "5", "--out", out)
    assert rc == 2 and stdout == "" and err.count("\n") == 1 and message in err
    assert files_in(tmp_path) == []


def test_bad_agent_files_exit_2(trained: Path, tmp_path: Path, capsys) -> None:
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(trained.read_bytes()[:200])
    foreign = tmp_path / "foreign.npz"
    foreign.write_bytes(pickle.dumps({"qtable": [0.0]}))
    cases = [
        (["--agent-file", str(tmp_path / "none.npz")], "does not exist"),
        (["--agent-file", str(truncated)], "truncated, corrupt"),
        (["--agent-file", str(foreign)], "not a readable agent file"),
        (["--agent-file", str(trained), "--env", "Taxi-v4"], "does not fit this env"),
        (["--agent-file", str(trained), "--episodes", "0"], "must be a positive"),
    ]
    before = files_in(tmp_path)
    for argv, message in cases:
        rc, stdout, err = run(capsys, "eval", *argv)
        assert rc == 2 and stdout == "" and err.count("\n") == 1 and message in err, argv
    assert files_in(tmp_path) == before


def test_unexpected_failure_exits_1_without_a_file(tmp_path: Path, capsys, monkeypatch) -> None:
    from agents import session

    def broken(self, *args, **kwargs):
        raise RuntimeError("the simulated disk fell off")

    monkeypatch.setattr(session.TrainingSession, "advance", broken)
    rc, stdout, err = run(capsys, "train", "--env", "mouse", "--episodes", "5",
                          "--out", str(tmp_path / "a.npz"))
    assert rc == 1 and stdout == "" and "the simulated disk fell off" in err
    assert err.strip().count("\n") == 0 and files_in(tmp_path) == []


@pytest.mark.slow
def test_main_py_as_a_program(tmp_path: Path) -> None:
    """The real entry point: exit codes, and ``--help`` imports neither torch nor pygame."""
    def main_py(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    bad = main_py("train", "--env", "Nope-v9", "--episodes", "3", "--out", "a.npz")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.count("\n") == 1
    ok = main_py("levels")
    assert ok.returncode == 0 and "mouse" in ok.stdout
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, runpy; sys.argv = ['main.py', '--help']\n"
         "try:\n runpy.run_path('main.py', run_name='__main__')\nexcept SystemExit:\n pass\n"
         "print(sorted(m for m in ('torch', 'pygame', 'numba') if m in sys.modules))"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip().endswith("[]")
    assert files_in(tmp_path) == []


def test_an_unwritable_out_is_refused_before_training(tmp_path: Path, capsys, monkeypatch) -> None:
    """/proc passes access() checks as root but refuses files: found out up front, not after."""
    from agents import session

    def never(self, *args, **kwargs):
        raise AssertionError("training started although --out cannot be written")

    monkeypatch.setattr(session.TrainingSession, "advance", never)
    rc, stdout, err = run(capsys, "train", "--env", "mouse", "--episodes", "5",
                          "--out", "/proc/rl-sandbox-test.npz")
    assert rc == 2 and stdout == "" and "cannot write" in err and err.strip().count("\n") == 0


def test_initial_q_is_auto_by_default_and_takes_a_number(tmp_path: Path, capsys) -> None:
    """auto: the level's largest reward on a maze (the mouse's big cheese, 10), 0 on a
    Gymnasium env; the file records the setting and what it meant, so a reset after loading
    starts from the same table."""
    from agents.storage import load_agent

    out = tmp_path / "m.npz"
    rc, stdout, _ = run(capsys, "train", "--env", "mouse", "--steps", "50", "--out", str(out),
                        "--json")
    assert rc == 0 and json.loads(stdout)["initial_q"] == 10.0
    agent, meta = load_agent(out)
    assert meta["hyperparameters"]["initial_q"] == "auto" and agent.initial_q == 10.0
    agent.reset_q()
    assert (agent.q == 10.0).all()
    rc, stdout, _ = run(capsys, "train", "--env", "Taxi-v4", "--steps", "50", "--out",
                        str(tmp_path / "t.npz"), "--json", "--initial-q", "auto")
    assert rc == 0 and json.loads(stdout)["initial_q"] == 0.0
    rc, stdout, _ = run(capsys, "train", "--env", "mouse", "--steps", "50", "--out", str(out),
                        "--json", "--initial-q", "2.5")
    assert rc == 0 and json.loads(stdout)["initial_q"] == 2.5
    assert load_agent(out)[0].hyperparameters()["initial_q"] == 2.5
    rc, _, err = run(capsys, "train", "--env", "mouse", "--out", str(out), "--initial-q", "lots")
    assert rc == 2 and "--initial-q: must be a number or auto, got 'lots'" in err


def test_figures_print_as_a_person_reads_them() -> None:
    assert [cli._number(v) for v in (10000.0, 126.29999, 0.000123, 12345.67, -3.0)] == [
        "10000", "126.3", "0.000123", "12345.7", "-3"]


def test_a_dqn_run_says_when_learning_starts(tmp_path: Path, capsys) -> None:
    rc, _, err = run(capsys, "train", "--env", "CartPole-v1", "--agent", "dqn", "--steps", "50",
                     "--learning-starts", "40", "--device", "cpu", "--out",
                     str(tmp_path / "c.pt"))
    assert rc == 0 and "the first 40 steps fill the replay buffer; learning" in err
