"""How the app holds up: frame times while training flat out, throughput, and start-up time.

Run headless: ``python benchmarks/ui_frames.py`` (sets SDL's dummy drivers itself). Prints:

* frame time p50 / p95 / max on a 20x20 and a 50x50 maze, training at maximum speed with every
  overlay on and the mouse over a cell (targets: 20x20 p95 <= 16.7 ms, 50x50 p95 <= 33 ms);
* training throughput at maximum speed inside the app (where it runs on the training worker
  thread) against the same session driven headless right before and right afterwards, their
  mean (target: >= 80 %);
* both of the above twice: as the machine is, and with one busy process beside the app (the
  script starts it and kills it);
* time from ``python main.py`` to the first frame on screen (target <= 1.5 s), measured in a
  subprocess that exits after its first frame.

Figures only: nothing here asserts, since wall-clock numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.appbench import (  # noqa: E402  (SDL set-up)
    ROOT,
    busy_neighbour,
    drive,
    headless_rate,
    load_note,
    percentile,
)


def maze_file(folder: Path, n: int, seed: int = 7) -> Path:
    from levels import generate_maze, save_level

    path = folder / f"maze{n}.txt"
    save_level(generate_maze(n, n, seed=seed), path)
    return path


def app_run(level: Path | str, seconds: float, warmup_s: float = 1.5) -> dict:
    """Train at max speed with every overlay on; returns frame times and steps per second."""
    import pygame

    from app.app import App

    app = App(str(level), offer_recovery=False)
    app.state.speed = None
    for key in app.state.overlays:
        app.state.overlays[key] = True
    app.controls.sync()
    app.run_frames(2)
    hover = app.board.cell_rect(1, 1).center
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=hover, rel=(0, 0),
                                          buttons=(0, 0, 0))])
    app.training.play(True)
    drive(app, warmup_s)  # numba kernel load, first layers
    waited = 0.0
    while not app.optimal.ready and waited < 60.0:  # Q* by value iteration, off the frame loop:
        waited += drive(app, 0.25)  # done before measuring, as the headless run has none
    app.training.play(False)
    headless_before = headless_rate(app.session, seconds)  # the stage the app run starts at
    app.training.play(True)
    drive(app, 0.25)
    app.frame_times.clear()
    app.draw_times.clear()
    training_s = [0.0]
    advance = app.session.advance

    def timed(*args, **kwargs):  # how much of the wall clock the session gets inside the app
        report = advance(*args, **kwargs)
        training_s[0] += report.seconds
        return report

    app.session.advance = timed
    steps0 = app.session.total_steps
    elapsed = drive(app, seconds)
    steps = app.session.total_steps - steps0
    frames = [t * 1000 for t in app.frame_times]
    draws = [t * 1000 for t in app.draw_times]
    result = {
        "frames": len(frames), "p50": percentile(frames, 50), "p95": percentile(frames, 95),
        "max": max(frames), "draw_p50": percentile(draws, 50), "draw_p95": percentile(draws, 95),
        "fps": len(frames) / elapsed, "steps_per_s": steps / elapsed,
        "optimal_ready": app.optimal.ready, "training_share": training_s[0] / elapsed,
    }
    app.training.play(False)
    del app.session.advance  # the session's own method again, untimed
    # ... and the stage it ends at: a session slows as its episode history grows, so the mean
    # of the two brackets the stage the app was measured at
    result["headless_steps_per_s"] = (headless_before + headless_rate(app.session, seconds)) / 2
    app.close()
    return result


def startup_times(runs: int) -> list[float]:
    """Seconds from starting ``python main.py`` to its first frame drawn."""
    env = dict(os.environ, RL_SANDBOX_EXIT_AFTER_FIRST_FRAME="1")
    env["RL_SANDBOX_STATE_DIR"] = tempfile.mkdtemp(prefix="rl-sandbox-bench-")
    out = []
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        marks = [line for line in proc.stdout.splitlines() if line.startswith("first_frame_at")]
        if proc.returncode != 0 or not marks:
            raise RuntimeError(f"main.py did not draw a frame: {proc.stderr.strip()[-400:]}")
        out.append(float(marks[-1].split()[1]) - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="measuring time per case")
    parser.add_argument("--startup-runs", type=int, default=5, help="0 skips the start-up check")
    parser.add_argument("--levels", default="20,50",
                        help="comma-separated maze sizes and/or bundled level names, e.g. mouse,20")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rl-sandbox-bench-"))
    os.environ["RL_SANDBOX_STATE_DIR"] = str(folder / "state")

    if args.startup_runs > 0:
        times = startup_times(args.startup_runs)
        print(f"start-up to first frame: median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s over {len(times)} runs (target <= 1.5 s)")

    for item in args.levels.split(","):
        item = item.strip()
        if item.isdigit():
            n, level = f"{item}x{item} maze", maze_file(folder, int(item))
        else:
            n, level = item, item
        target = 33.0 if item.isdigit() and int(item) > 20 else 16.7
        for loaded in (False, True):
            with busy_neighbour(loaded):
                r = app_run(level, args.seconds)
                note = load_note()
            beside = "one busy process beside it" if loaded else "as the machine is"
            print(f"{n}, {beside} ({note}), max speed, all overlays: frame p50 "
                  f"{r['p50']:.1f} ms, p95 {r['p95']:.1f} ms (target <= {target} ms), max "
                  f"{r['max']:.1f} ms; drawing p50 {r['draw_p50']:.1f} / p95 "
                  f"{r['draw_p95']:.1f} ms; {r['fps']:.0f} fps over {r['frames']} frames; "
                  f"Q* ready: {r['optimal_ready']}")
            rate = r["headless_steps_per_s"]
            print(f"{n}, {beside} throughput: app {r['steps_per_s']:,.0f} steps/s, headless "
                  f"{rate:,.0f} steps/s, ratio {r['steps_per_s'] / rate:.0%} (target >= 80%); "
                  f"the session ran {r['training_share']:.0%} of the app's wall-clock time",
                  flush=True)


if __name__ == "__main__":
    main()
