"""A DQN training inside the app: throughput against the headless session, frame times, memory.

Run headless: ``python benchmarks/app_dqn.py`` (sets SDL's dummy drivers itself). Prints:

* DQN on CartPole-v1 (its preset) training at maximum speed inside the app, driven like
  ``App.run`` (``clock.tick(60)`` between frames): UI frame time p50 / p95 / max (target p95
  <= 33 ms) and env steps per second;
* the same session, at the same stage of learning, driven headless right afterwards in
  back-to-back ``advance`` calls (target: app >= 80 % of headless);
* both twice: as the machine is, and with one busy process beside the app (started and killed
  by the script);
* with ``--minutes N``: the process's resident memory (RSS) after warm-up and at the end of an
  N-minute run in the app, sampled every minute (the issue asks for 30 minutes of flat memory).

Figures only: nothing here asserts, since wall-clock numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.appbench import (  # noqa: E402  (SDL set-up)
    busy_neighbour,
    drive,
    headless_rate,
    load_note,
    percentile,
)


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def open_app(env_id: str):  # noqa: ANN201 - the App, imported lazily after the SDL set-up
    from app.app import App

    app = App(env_id, offer_recovery=False)
    app.state.speed = None  # "max": as many steps as the frame budget allows
    app.controls.sync()
    app.run_frames(2)
    app.training.play(True)
    return app


def throughput(env_id: str, seconds: float, warmup_s: float, loaded: bool) -> None:
    beside = "one busy process beside it" if loaded else "as the machine is"
    app = open_app(env_id)
    drive(app, warmup_s)  # past learning_starts: every step now trains too
    app.frame_times.clear()
    session = app.session
    steps0 = session.total_steps
    elapsed = drive(app, seconds)
    steps = session.total_steps - steps0
    frames = [t * 1000 for t in app.frame_times]
    app.training.play(False)
    rate_app = steps / elapsed
    agent = session.agent
    print(f"{env_id}, {beside} ({load_note()}): DQN on {agent.device} ({agent.config.hidden} "
          f"net, batch "
          f"{agent.config.batch_size}, 1 gradient step per {agent.config.train_freq} env steps), "
          f"max speed in the app: frame p50 {percentile(frames, 50):.1f} ms, p95 "
          f"{percentile(frames, 95):.1f} ms (target <= 33 ms), max {max(frames):.1f} ms over "
          f"{len(frames)} frames ({len(frames) / elapsed:.0f} fps)")
    rate_headless = headless_rate(session, seconds)
    print(f"{env_id}, {beside} throughput: app {rate_app:,.0f} steps/s, headless "
          f"{rate_headless:,.0f} steps/s, ratio {rate_app / rate_headless:.0%} (target >= 80%); "
          f"error: {session.error}", flush=True)
    app.close()


def memory(env_id: str, minutes: float, warmup_s: float) -> None:
    app = open_app(env_id)
    drive(app, warmup_s)
    start = rss_mb()
    steps0 = app.session.total_steps
    print(f"memory: RSS after {warmup_s:.0f} s warm-up {start:.1f} MB "
          f"({app.session.total_steps:,} steps)", flush=True)
    samples = [start]
    t_end = time.perf_counter() + minutes * 60.0
    while time.perf_counter() < t_end:
        drive(app, min(60.0, t_end - time.perf_counter()))
        samples.append(rss_mb())
        if app.session.error:  # keep the loop honest: a stopped run would not grow anything
            print(f"  training stopped: {app.session.error}; resetting", flush=True)
            app.training.reset_learning()
            app.training.play(True)
        print(f"  {len(samples) - 1:>3} min: RSS {samples[-1]:.1f} MB, "
              f"{app.session.total_steps:,} steps, episode {app.session.episode:,}", flush=True)
    frames = [t * 1000 for t in app.frame_times]
    print(f"memory: RSS start {start:.1f} MB, end {samples[-1]:.1f} MB (max {max(samples):.1f} "
          f"MB, change {samples[-1] - start:+.1f} MB) over {minutes:g} min, "
          f"{app.session.total_steps - steps0:,} steps; last frames p95 "
          f"{percentile(frames, 95):.1f} ms")
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds before measuring")
    parser.add_argument("--minutes", type=float, default=0.0,
                        help="also run a memory check of this many minutes (the issue: 30)")
    args = parser.parse_args()
    os.environ["RL_SANDBOX_STATE_DIR"] = tempfile.mkdtemp(prefix="rl-sandbox-bench-")
    for loaded in (False, True):
        with busy_neighbour(loaded):
            throughput(args.env, args.seconds, args.warmup, loaded)
    if args.minutes > 0:
        memory(args.env, args.minutes, args.warmup)


if __name__ == "__main__":
    main()
