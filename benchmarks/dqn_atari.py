"""DQN on Space Invaders from pixels: our training throughput against Stable-Baselines3's.

Run ``python -m benchmarks.dqn_atari`` (a few minutes; keep the CPU as quiet as you can).  Both
agents play ``SpaceInvadersNoFrameskip-v4`` through the same preprocessing (``levels.atari``:
84x84 grayscale, frame skip 4, 4 stacked frames), in one process, one torch thread each, with the
same settings: the Zoo's Atari DQN (batch 32, one gradient step every 4 env steps, Adam 1e-4,
Huber loss, gradient clip 10, plain -- not Double -- targets as SB3 computes them, target sync
every 1,000 steps).  Each first acts for ``--learning-starts`` steps (epsilon-greedy, no learning),
then trains for ``--train-steps`` more.  Printed for each: env steps/s while only acting, env
steps/s and gradient steps/s while training, and the CPU time behind them (on a shared machine
the wall clock depends on what else runs, so CPU seconds are printed too, with the load average);
then our/SB3 ratios (target: ours >= 1.5x SB3's training throughput).  Last, the replay memory
for 100,000 transitions: our frame-once ring against a buffer that stores obs and next_obs.

SB3 is optional (``pip install -r requirements-bench.txt``); without it only ours runs.

Each of ``--repeats`` rounds runs ours, SB3 and ours in bf16 one after another, so drift in the
machine's speed (a shared VM's varies by ~10% from minute to minute) touches all three alike; the
summary gives medians.  ``--precision bf16`` (mixed precision: bfloat16 convolutions and matrix
products, float32 weights, loss and Adam) is printed beside the equal-settings figure, not as it.

"Acting" is not like for like: before ``learning_starts`` SB3 samples uniformly random actions
without its network, while ours follows its epsilon schedule (down to 0.01 within the first 10%
of the steps) and so runs its network for most of that phase.  Training is like for like.

Last, ``measure_floor`` times the parts of a round alone in tight loops (a gradient step, a greedy
pass, an env step; caches warm, nothing in between) and prints the fastest a round of ours could
go: the bound the interleaved figure is compared with.

Measured here (AMD EPYC, Zen 4 with AVX512-BF16, 2 cores, quiet, load 0.2-1.0, 3 rounds): SB3
75.4 env steps/s; ours 101.6 = **1.35x** (rounds 1.27x, 1.31x, 1.41x); ours in bf16 140.5 =
**1.86x** (1.97x, 1.72x, 1.82x); 0.72 GB of replay for 100,000 transitions.  The floor, 4 runs: a
gradient step is 2.18 GFLOP (counted by torch) and takes 32.9-34.3 ms alone in fp32, 64-66
GFLOP/s, where a 1024x1024 sgemm reaches 84-98 GFLOP/s on this core; with 4 greedy passes
(0.56-0.69 ms) and 4 env steps (0.45-0.54 ms) a round takes at least 37-39 ms, so at most
102-108 env steps/s, 1.36-1.43x SB3's median.  Ours runs at 94-99% of that floor: 1.5x in fp32
would need faster convolutions than oneDNN's fp32 kernels give on this CPU.
What ours saves over SB3 is layout (channels-last convolutions: conv1's backward 2.8 ms against
8.2 ms in NCHW), one gather of each frame into the network's float channels-last input, and
little Python.  In bf16 the gradient step is 20.3 ms (108 GFLOP/s, oneDNN's AVX512-BF16 kernels)
and the floor 2.19x SB3; greedy passes stay float32.  A CPU without bf16 arithmetic runs bf16
slower than fp32, so it stays a choice.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass

import torch

from agents.torchdevice import has_native_bf16
from levels.envs import make_env

ENV_ID = "SpaceInvadersNoFrameskip-v4"
SETTINGS = dict(learning_rate=1e-4, batch_size=32, train_freq=4, gradient_steps=1, gamma=0.99,
                target_update_interval=1000, exploration_fraction=0.1, max_grad_norm=10.0)


@dataclass
class Phase:
    """Steps and clocks of one phase (acting only, or training)."""

    env_steps: int = 0
    gradient_steps: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    def rate(self, what: str, clock: str = "wall") -> float:
        seconds = self.wall if clock == "wall" else self.cpu
        count = self.env_steps if what == "env" else self.gradient_steps
        return count / seconds if seconds > 0 else float("nan")


class Clock:
    """Wall and process CPU time since construction."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self, phase: Phase) -> None:
        phase.wall = time.perf_counter() - self.wall
        phase.cpu = time.process_time() - self.cpu


def run_ours(args: argparse.Namespace, precision: str = "fp32") -> tuple[Phase, Phase]:
    from agents.dqn import DQN
    from agents.session import TrainingSession

    env, _ = make_env(ENV_ID)
    total = args.learning_starts + args.train_steps
    agent = DQN(env.observation_space, env.action_space, device=args.device, seed=args.seed,
                buffer_size=args.buffer_size, learning_starts=args.learning_starts,
                total_steps=total, double=False, hidden=(512,), clip_rewards=True, threads=1,
                epsilon_end=0.01, precision=precision, **SETTINGS)
    session = TrainingSession(env, agent, seed=args.seed)
    acting, training = Phase(), Phase()
    clock = Clock()
    while session.total_steps < args.learning_starts:
        acting.env_steps += session.advance(args.learning_starts - session.total_steps).steps
    clock.stop(acting)
    clock = Clock()
    while session.total_steps < total:
        training.env_steps += session.advance(total - session.total_steps).steps
    clock.stop(training)
    training.gradient_steps = agent.num_updates
    return acting, training


@dataclass
class Floor:
    """The fastest a training round of ours could go: its parts timed alone, caches warm."""

    gradient_ms: float
    gflop: float
    act_ms: float
    env_ms: float
    sgemm_gflops: float

    @property
    def round_ms(self) -> float:
        """One gradient step plus ``train_freq`` (4) greedy passes and env steps."""
        train_freq = SETTINGS["train_freq"]
        return self.gradient_ms + train_freq * (self.act_ms + self.env_ms)

    @property
    def env_steps_per_s(self) -> float:
        return SETTINGS["train_freq"] * 1000.0 / self.round_ms


def measure_floor(args: argparse.Namespace, precision: str = "fp32") -> Floor:
    """Time a gradient step, a greedy pass and an env step each in a tight loop of its own.

    In a real round they interleave and evict each other's data from the caches, so a round
    takes longer than their sum; the sum bounds how fast ours could be on this machine.  The
    gradient step's floating-point operations are counted by torch's ``FlopCounterMode``.
    """
    from torch.utils.flop_counter import FlopCounterMode

    from agents.dqn import DQN
    from agents.session import TrainingSession

    env, _ = make_env(ENV_ID)
    agent = DQN(env.observation_space, env.action_space, device=args.device, seed=args.seed,
                buffer_size=args.buffer_size, learning_starts=args.learning_starts,
                total_steps=10**9, double=False, hidden=(512,), clip_rewards=True, threads=1,
                epsilon_end=0.01, precision=precision, **SETTINGS)
    session = TrainingSession(env, agent, seed=args.seed)
    session.advance(args.learning_starts + 8)
    gradient_ms = _per_call_ms(lambda: agent.train(1), 60)
    with FlopCounterMode(display=False) as counter:
        agent.train(1)
    obs, _ = env.reset(seed=args.seed)
    act_ms = _per_call_ms(lambda: agent.greedy(obs), 200)
    rng = torch.Generator().manual_seed(args.seed)

    def env_step() -> None:
        action = int(torch.randint(env.action_space.n, (1,), generator=rng))
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()

    env_ms = _per_call_ms(env_step, 400)
    a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
    sgemm_ms = _per_call_ms(lambda: a @ b, 20)
    return Floor(gradient_ms, counter.get_total_flops() / 1e9, act_ms, env_ms,
                 2 * 1024**3 / sgemm_ms / 1e6)


def _per_call_ms(call, repeats: int) -> float:
    """Mean milliseconds of ``call()`` over ``repeats`` calls after three warm-up calls."""
    for _ in range(3):
        call()
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) / repeats * 1000.0


def run_sb3(args: argparse.Namespace) -> tuple[Phase, Phase] | None:
    try:
        from stable_baselines3 import DQN as SB3DQN
        from stable_baselines3.common.callbacks import BaseCallback
    except ImportError:
        return None
    env, _ = make_env(ENV_ID)
    total = args.learning_starts + args.train_steps
    acting, training = Phase(), Phase()

    class Split(BaseCallback):
        """Stops the acting clock and starts the training one when learning starts."""

        def _on_training_start(self) -> None:
            self.clock = Clock()

        def _on_step(self) -> bool:
            if self.num_timesteps == args.learning_starts:
                self.clock.stop(acting)
                acting.env_steps = self.num_timesteps
                self.clock = Clock()
            return True

        def _on_training_end(self) -> None:
            self.clock.stop(training)
            training.env_steps = self.num_timesteps - args.learning_starts

    model = SB3DQN("CnnPolicy", env, buffer_size=args.buffer_size,
                   learning_starts=args.learning_starts, exploration_final_eps=0.01,
                   optimize_memory_usage=False, seed=args.seed, device=args.device,
                   **SETTINGS)
    model.learn(total_timesteps=total, callback=Split())
    training.gradient_steps = model._n_updates
    return acting, training


def replay_memory(capacity: int = 100_000) -> tuple[int, int]:
    """Bytes our frame-once ring allocates for ``capacity`` transitions, and a naive buffer's."""
    from agents.frame_replay import FrameReplay

    ours = FrameReplay(capacity, (4, 84, 84), "cpu", torch.Generator()).nbytes
    naive = capacity * (2 * 4 * 84 * 84 + 8 + 4 + 4)  # obs, next_obs, action, reward, done
    return ours, naive


def report(name: str, acting: Phase, training: Phase) -> None:
    print(f"{name:>5}: acting {acting.rate('env'):7.1f} env steps/s ({acting.env_steps} steps, "
          f"{acting.cpu:.1f} s CPU); training {training.rate('env'):6.1f} env steps/s = "
          f"{training.rate('grad'):5.1f} gradient steps/s ({training.env_steps} steps, "
          f"{training.gradient_steps} gradient steps, {training.wall:.1f} s wall, "
          f"{training.cpu:.1f} s CPU = {training.rate('env', 'cpu'):.1f} env steps per CPU s)")


def summary(label: str, runs: list[tuple[Phase, Phase]], base: list[tuple[Phase, Phase]] | None,
            note: str = "") -> None:
    """Median training throughput over the repeats, and its ratio to ``base``'s median."""
    line = f"{label:>9}: training, median of {len(runs)}:"
    for clock in ("wall", "cpu"):
        mine = statistics.median(train.rate("env", clock) for _, train in runs)
        line += f" {mine:6.1f} env steps/{clock} s"
        if base:
            theirs = statistics.median(train.rate("env", clock) for _, train in base)
            line += f" = {mine / theirs:.2f}x SB3"
    print(line + note)


def report_floor(args: argparse.Namespace, sb3: list[tuple[Phase, Phase]]) -> None:
    """Print the floor of a round (see :func:`measure_floor`) in fp32 and bf16."""
    theirs = statistics.median(train.rate("env") for _, train in sb3) if sb3 else None
    for precision in ("fp32",) if args.skip_bf16 else ("fp32", "bf16"):
        f = measure_floor(args, precision)
        best = f.env_steps_per_s
        print(f"floor {precision}: gradient step {f.gradient_ms:.1f} ms for {f.gflop:.2f} GFLOP "
              f"= {f.gflop / f.gradient_ms * 1000:.0f} GFLOP/s (a 1024^3 sgemm here: "
              f"{f.sgemm_gflops:.0f}); greedy pass {f.act_ms:.2f} ms; env step {f.env_ms:.2f} ms;"
              f" best round {f.round_ms:.1f} ms = at most {best:.1f} env steps/s"
              + (f" = {best / theirs:.2f}x SB3's median" if theirs else ""))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learning-starts", type=int, default=1000)
    parser.add_argument("--train-steps", type=int, default=2000)
    parser.add_argument("--buffer-size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds of ours, SB3 and ours in bf16, one after another")
    parser.add_argument("--skip-sb3", action="store_true")
    parser.add_argument("--skip-bf16", action="store_true")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip timing the parts of a round alone (the best case)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    native = has_native_bf16(args.device)
    print(f"{ENV_ID}, device {args.device}, 1 torch thread, native bf16: "
          f"{'yes' if native else 'no'}, load average before {os.getloadavg()[0]:.1f}")
    if args.device.startswith("cuda") and torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(args.device)}")
    runs: dict[str, list[tuple[Phase, Phase]]] = {"ours": [], "sb3": [], "ours bf16": []}
    for _ in range(args.repeats):
        runs["ours"].append(run_ours(args))
        report("ours", *runs["ours"][-1])
        theirs = None if args.skip_sb3 else run_sb3(args)
        if theirs is not None:
            runs["sb3"].append(theirs)
            report("sb3", *theirs)
        if not args.skip_bf16:
            runs["ours bf16"].append(run_ours(args, "bf16"))
            report("bf16", *runs["ours bf16"][-1])
    if not runs["sb3"]:
        print("  sb3: not run (pip install -r requirements-bench.txt)")
    else:
        acting = [statistics.median(act.rate("env") for act, _ in runs[k]) for k in ("ours", "sb3")]
        print(f"acting, median: ours/SB3 {acting[0] / acting[1]:.2f}x (not like for like, see "
              f"above)")
        summary("sb3", runs["sb3"], None)
    summary("ours", runs["ours"], runs["sb3"], "  (fp32, equal settings: target >= 1.5x)")
    if runs["ours bf16"]:
        summary("ours bf16", runs["ours bf16"], runs["sb3"],
                "  (bf16 mixed precision: --precision bf16)")
    if args.floor:
        report_floor(args, runs["sb3"])
    print(f"load average after {os.getloadavg()[0]:.1f}")
    mine, naive = replay_memory()
    print(f"replay for 100,000 transitions: ours {mine / 1e9:.2f} GB (each frame once), "
          f"obs + next_obs {naive / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
