"""Deep Q-Network: when the state space is too big for a table, an MLP approximates Q.

Read top to bottom: the device rule, then the agent.  The learning step (TD targets, gradient
steps, target sync, divergence checks) lives in ``agents/dqn_training.py``, the network in
``agents/qnetwork.py``, the replay ring in ``agents/buffers.py``.
The agent satisfies :class:`agents.protocol.Agent`, so ``TrainingSession`` drives it as it drives
a tabular agent; ``update`` stores the transition and, every ``train_freq`` env steps after
``learning_starts``, runs ``gradient_steps`` gradient steps.

Switches a learner can flip, each one flag: Double DQN (on by default), a dueling head, n-step
returns, Huber or MSE loss, hard or Polyak (``tau < 1``) target updates.  Termination stops
bootstrapping; time-limit truncation does not.  Everything (network, replay ring, batches) lives
on one device; values come back with ``.cpu()`` before numpy sees them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.adam import AdamSteps, make_adam
from agents.buffers import NStepAccumulator, ReplayBuffer
from agents.config import ConfigError, DQNConfig
from agents.dqn_training import (
    HISTORY_LEN,
    DQNStats,
    DQNTraining,
    new_history,
    td_targets,
)  # fmt: skip
from agents.frame_replay import FrameReplay
from agents.numpy_policy import numpy_greedy_for
from agents.protocol import TrainingDiverged
from agents.qnetwork import ConvQNetwork, QNetwork, choose_network, init_network
from agents.schedules import ConstantSchedule, LinearSchedule
from agents.torchdevice import check_precision, resolve_device

__all__ = ["DQN", "DQNStats", "HISTORY_LEN", "QNetwork", "SpaceError", "TrainingDiverged",
           "make_config", "resolve_device", "td_targets"]

_STRUCTURAL = ("hidden", "dueling", "buffer_size", "threads", "network")


class SpaceError(ValueError):
    """An observation or action space DQN cannot handle."""


MAX_NETWORK_PARAMETERS = 2**25
"""The most weights one Q-network may have (128 MiB of float32; the agent keeps four copies:
online, target and Adam's two moments). CartPole's 256x256 net has 67,000; a one-hot 64x64 maze
with five small cheeses and 64 hidden units has 8.4 million."""
MAX_REPLAY_BYTES = 2**31
"""The most memory the replay buffer may claim (2 GiB)."""


def planned_parameters(observation_space: gym.Space, action_space: gym.Space,
                       **hyperparameters: Any) -> int:
    """How many weights the Q-network of ``DQN(observation_space, action_space,
    **hyperparameters)`` would have, counted on torch's meta device (nothing is allocated)."""
    probe = DQN.__new__(DQN)
    probe._take_spaces(observation_space, action_space, hyperparameters)
    return sum(p.numel() for p in probe._meta_network().parameters())


def check_size(params: int, replay_bytes: int, n_inputs: int, config: DQNConfig) -> None:
    """Refuse, in one sentence, a network of more than :data:`MAX_NETWORK_PARAMETERS` weights or
    a replay buffer of more than :data:`MAX_REPLAY_BYTES`.

    Called before anything is allocated, so a file or a flag asking for a 17 GB network gets an
    error instead of a MemoryError (or the machine swapping).
    """
    if params > MAX_NETWORK_PARAMETERS:
        raise ConfigError(f"a Q-network for {n_inputs:,} inputs and hidden layers "
                          f"{_widths(config.hidden)} would have {params:,} weights; the most is "
                          f"{MAX_NETWORK_PARAMETERS:,}")
    if replay_bytes > MAX_REPLAY_BYTES:
        raise ConfigError(f"a replay buffer of {config.buffer_size:,} transitions of "
                          f"{n_inputs:,} inputs would take {replay_bytes / 2**30:.3g} GiB; the "
                          f"most is {MAX_REPLAY_BYTES // 2**30} GiB (lower buffer_size)")


def _widths(hidden: tuple[int, ...]) -> str:
    text = ",".join(str(h) for h in hidden[:8])
    return text + (",..." if len(hidden) > 8 else "")


def make_config(hyperparameters: dict[str, Any], base: DQNConfig | None = None) -> DQNConfig:
    """A validated ``DQNConfig``; an unknown name is refused in one sentence."""
    known = {f.name for f in dataclasses.fields(DQNConfig)}
    unknown = sorted(set(hyperparameters) - known)
    if unknown:
        raise ConfigError(
            f"DQN has no hyperparameter {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    return dataclasses.replace(base or DQNConfig(), **hyperparameters)


class DQN(DQNTraining):
    """Deep Q-learning agent with replay, a target network and Double-DQN targets.

    Args:
        observation_space: ``Box`` or ``Discrete`` (one-hot).  A Box of ``(channels, height,
            width)`` images goes to a CNN (see ``agents.qnetwork.choose_network``), stored as
            uint8 and scaled on the device; stacked 84x84 frames use the frame-once replay
            (``agents.frame_replay``); any other Box is flattened into the MLP.
        action_space: must be ``Discrete``.
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (see :func:`resolve_device`).
        seed: seeds the network initialisation, replay sampling and epsilon-greedy draws.
        **hyperparameters: any field of :class:`agents.config.DQNConfig`.
    """

    kind = "dqn"
    needs_next_action = False
    restarts_schedule = True  # epsilon follows num_steps, which a fresh agent counts from 0
    reset_notice = "the network was reset (fresh weights, same settings)"

    def __init__(self, observation_space: gym.Space, action_space: gym.Space, *,
                 device: str = "auto", seed: int | None = None, **hyperparameters: Any) -> None:
        self._take_spaces(observation_space, action_space, hyperparameters)
        self.device = resolve_device(device)
        self._device = torch.device(self.device)
        check_precision(self.config.precision, self._device)
        self._check_size()
        if self.config.threads > 0:
            torch.set_num_threads(self.config.threads)  # process-wide, see STYLE.md
        self._sample_gen = torch.Generator(device=self._device)
        self._set_seed(seed)
        self._build()

    def _take_spaces(self, observation_space: gym.Space, action_space: gym.Space,
                     hyperparameters: dict[str, Any]) -> None:
        """The spaces, config and network kind: everything the network's shape depends on."""
        if not isinstance(action_space, gym.spaces.Discrete):
            raise SpaceError(
                f"DQN needs a Discrete action space (one Q-value per action), got {action_space}"
            )
        if isinstance(observation_space, gym.spaces.Discrete):
            self._obs_shape: tuple[int, ...] = ()
            self._obs_dtype = np.int64
            self._obs_start: int | None = int(observation_space.start)
            n_inputs = int(observation_space.n)
        elif isinstance(observation_space, gym.spaces.Box):
            self._obs_shape = tuple(observation_space.shape)
            integer = np.issubdtype(observation_space.dtype, np.integer)
            self._obs_dtype = observation_space.dtype if integer else np.float32
            self._obs_start = None
            n_inputs = int(np.prod(self._obs_shape))
        else:
            raise SpaceError(
                f"DQN needs a Box or Discrete observation space, got {observation_space}"
            )
        self.config = make_config(hyperparameters)
        try:
            self.network_kind = ("mlp" if self._obs_start is not None
                                 and self.config.network == "auto"
                                 else choose_network(self._obs_shape, self.config.network))
        except ValueError as err:
            raise ConfigError(str(err)) from None
        self._scale = _input_scale(observation_space)
        self.observation_space = observation_space
        self.action_space = action_space
        self.n_actions = int(action_space.n)
        self._action_start = int(action_space.start)
        self.n_inputs = n_inputs

    def _set_seed(self, seed: int | None) -> None:
        """Three streams from one seed: epsilon-greedy, weight initialisation, replay sampling."""
        self.seed = seed
        seeds = np.random.SeedSequence(seed).generate_state(3, dtype=np.uint64)
        self.rng = np.random.default_rng(int(seeds[0]))
        self._init_seed = int(seeds[1]) >> 1
        self._sample_gen.manual_seed(int(seeds[2]) >> 1)

    def reseed(self, seed: int | np.random.SeedSequence | None) -> None:
        """Restart the random streams from ``seed`` (the session calls this with its own seed).

        An agent that has not learned or loaded anything yet also redraws its initial weights,
        so the session's seed alone decides a run, and ``reset`` replays it exactly. A
        SeedSequence becomes one integer, which ``seed`` keeps for ``for_spaces`` and files.
        """
        if isinstance(seed, np.random.SeedSequence):
            seed = int(seed.generate_state(1)[0])
        self._set_seed(seed)
        if self._pristine:
            self._init_weights()

    # -- construction -------------------------------------------------------------------------

    def _build(self) -> None:
        """Fresh networks, optimizer, replay ring and counters (also used by ``reset_q``)."""
        cfg = self.config
        self.q_net = self._new_network(self._device)
        self.target_net = self._new_network(self._device).requires_grad_(False)
        self._init_weights()
        self._params = list(self.q_net.parameters())
        self._target_params = list(self.target_net.parameters())
        self._numpy_greedy = numpy_greedy_for(self.q_net, self._obs_shape)
        self.optimizer = make_adam(self._params, cfg.learning_rate, cfg.adam_eps)
        self._adam = AdamSteps(self.optimizer, self._params)
        self.buffer: ReplayBuffer | FrameReplay | None = None  # see _replay
        self._replay_start = 0  # num_steps when the ring was allocated
        self.nstep = NStepAccumulator(cfg.n_step, cfg.gamma)
        self.num_steps = 0
        self.num_updates = 0
        self.diverged: str | None = None
        self._max_abs_reward = 0.0
        self._schedule_key: tuple | None = None
        self.epsilon = cfg.epsilon_start
        self.history = new_history()

    @property
    def steps_learnt(self) -> int:
        """``num_steps``: a session continues a loaded agent's schedules from here."""
        return self.num_steps

    def _replay(self) -> ReplayBuffer | FrameReplay:
        """The replay ring, allocated by the first transition stored.

        An agent loaded to be evaluated or watched never learns, and an Atari-sized ring is
        about a gigabyte (on a GPU, device memory): it is claimed only when learning starts.
        Its size was checked when the agent was built (:meth:`_check_size`). Training waits for
        ``learning_starts`` transitions in this ring, also when a loaded agent's step count is
        past that already: batches are never drawn from a handful of transitions.
        """
        if self.buffer is None:
            self._replay_start = self.num_steps
            if self.uses_frame_replay:
                self.buffer = FrameReplay(
                    self.config.buffer_size, self._obs_shape, self._device, self._sample_gen,
                    scale=self._scale,
                    channels_last=self.q_net.memory_format == torch.channels_last)
            else:
                self.buffer = ReplayBuffer(self.config.buffer_size, self._obs_shape,
                                           self._obs_dtype, self._device, self._sample_gen)
        return self.buffer

    @property
    def replay_size(self) -> int:
        """Transitions in replay now (0 before the first one: no ring is allocated yet)."""
        return 0 if self.buffer is None else int(self.buffer.size)

    @property
    def uses_frame_replay(self) -> bool:
        """Stacked uint8 frames for the Nature CNN: each frame is stored once in replay."""
        return (self.network_kind == "nature_cnn" and self._obs_dtype == np.uint8
                and self._obs_shape[0] > 1)

    def _check_size(self) -> None:
        """Refuse a network or replay buffer too large to allocate, before allocating either."""
        params = sum(p.numel() for p in self._meta_network().parameters())
        obs_bytes = (8 if self._obs_start is not None
                     else self.n_inputs * np.dtype(self._obs_dtype).itemsize)
        if self.uses_frame_replay:  # each frame once, plus two positions and the row's scalars
            row_bytes = obs_bytes // self._obs_shape[0] + 32
        else:
            row_bytes = 2 * obs_bytes + 16
        check_size(params, self.config.buffer_size * row_bytes, self.n_inputs, self.config)

    def _meta_network(self) -> QNetwork | ConvQNetwork:
        """The network's shape on torch's meta device: parameters without memory."""
        cfg = self.config
        with torch.device("meta"):
            if self.network_kind == "mlp":
                net = QNetwork(self.n_inputs, self.n_actions, cfg.hidden, cfg.dueling,
                               one_hot=self._obs_start is not None)
            else:
                net = ConvQNetwork(self._obs_shape, self.n_actions, cfg.hidden, cfg.dueling,
                                   self.network_kind, self._scale)
        return net

    def _new_network(self, device: torch.device | str) -> QNetwork | ConvQNetwork:
        """An uninitialised network (built on the meta device: no draws from torch's global RNG)."""
        return self._meta_network().to_empty(device=device)

    def _init_weights(self) -> None:
        """Initial weights from the seed, drawn on the CPU so every device starts the same."""
        cpu = self._new_network("cpu")
        init_network(cpu, torch.Generator().manual_seed(self._init_seed))
        self.q_net.load_state_dict(cpu.state_dict())
        self.target_net.load_state_dict(cpu.state_dict())
        self._pristine = True

    def reset_q(self) -> None:
        """Forget everything learned: the seed's initial weights, empty replay, zero counters."""
        self._build()

    @property
    def q_table(self) -> None:
        """None: a network has no table (``q_values`` computes Q)."""
        return None

    def forget_states(self, states: Any) -> None:
        """Nothing to forget per state: the network's values are shared by every state."""

    def eligibility_by_state(self) -> None:
        """None: a DQN keeps no eligibility traces."""
        return None

    def model_by_state(self) -> None:
        """None: a DQN learns no Dyna model."""
        return None

    def fits(self, observation_space: gym.Space, action_space: gym.Space) -> bool:
        """True for the very spaces this network was built for."""
        return observation_space == self.observation_space and action_space == self.action_space

    def hyperparameters(self) -> dict[str, Any]:
        """Every ``DQNConfig`` field, as stored in agent files."""
        return dataclasses.asdict(self.config)

    def for_spaces(self, observation_space: gym.Space, action_space: gym.Space) -> DQN:
        """A new agent for other spaces: these hyperparameters, device and seed, fresh weights.

        The input layer has one unit per observation, so a network cannot follow an edit that
        changes the state count; the session swaps in this agent instead (empty replay, step 0).
        """
        return DQN(observation_space, action_space, device=self.device, seed=self.seed,
                   **dataclasses.asdict(self.config))

    def set_hyperparameters(self, **changes: Any) -> None:
        """Change knobs between steps; ``epsilon=x`` pins exploration at x (start = end = x).

        The network's shape and the replay capacity are fixed once built, so changing them is
        refused rather than silently ignored.
        """
        if "epsilon" in changes:
            value = changes.pop("epsilon")
            changes.update(epsilon_start=value, epsilon_end=value)
        for name in _STRUCTURAL:
            if name in changes and changes[name] != getattr(self.config, name):
                raise ConfigError(f"{name} can only be chosen when the DQN agent is created")
        new = make_config(changes, base=self.config)
        check_precision(new.precision, self._device)
        if new.n_step != self.config.n_step:
            self.nstep = NStepAccumulator(new.n_step, new.gamma)
        self.nstep.gamma = new.gamma
        self.config = new
        for group in self.optimizer.param_groups:
            group["lr"] = self.current_learning_rate
            group["eps"] = new.adam_eps
        if "epsilon_start" in changes or "epsilon_end" in changes:
            self.epsilon = self.epsilon_at(self.num_steps)

    # -- acting -------------------------------------------------------------------------------

    def _stored(self, states: Any) -> np.ndarray:
        """Stored form of a batch of observations (indices from 0 for Discrete), in numpy."""
        if self._obs_start is not None:
            index = np.asarray(states, dtype=np.int64).reshape(-1) - self._obs_start
            if index.size and (index.min() < 0 or index.max() >= self.n_inputs):
                raise ValueError(f"state {int(index.max() + self._obs_start)} is outside this "
                                 f"agent's {self.n_inputs} observations")
            return index
        return np.asarray(states, dtype=self._obs_dtype).reshape(-1, *self._obs_shape)

    def _obs_batch(self, states: Any) -> torch.Tensor:
        """Stored form of a batch of observations, on the device."""
        return torch.from_numpy(self._stored(states)).to(self._device)

    def greedy(self, state: Any) -> int:
        """The action with the highest Q-value in ``state`` (numpy on the CPU, see
        ``agents/numpy_policy.py``)."""
        if self._numpy_greedy is not None:
            return self._numpy_greedy(self._stored(state)[0]) + self._action_start
        with torch.inference_mode():
            q = self.q_net(self._obs_batch(state))
            return int(q.argmax(dim=1).item()) + self._action_start

    def act(self, state: Any) -> int:
        """Epsilon-greedy: a uniformly random action with probability ``epsilon``."""
        if self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_actions)) + self._action_start
        return self.greedy(state)

    def q_values(self, states: Any) -> np.ndarray:
        """Q-values ``[n, n_actions]`` (float64) of a batch of states, in one forward pass."""
        with torch.inference_mode():
            return self.q_net(self._obs_batch(states)).cpu().numpy().astype(np.float64)

    def autocast(self) -> contextlib.AbstractContextManager:
        """The context the training passes run in: bf16 autocast under ``precision`` bf16
        (weights, loss and Adam stay float32), nothing under fp32.

        Acting and the views' Q-values stay float32 in either precision: a pass over one
        observation is bound by reading the weights, and bf16 only adds conversions there
        (a greedy Space Invaders pass took 1.0 ms in bf16 against 0.55 ms in float32 here).
        """
        if self.config.precision == "bf16":
            return torch.autocast(self._device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # -- learning -----------------------------------------------------------------------------

    @property
    def epsilon_schedule(self) -> LinearSchedule | ConstantSchedule:
        """The linear schedule: start to end over ``exploration_fraction`` of the total steps.

        ``update`` follows it, and so does a ``TrainingSession``, which sets ``epsilon`` from it
        before every step: the two agree step for step.
        """
        cfg = self.config
        key = (cfg.epsilon_start, cfg.epsilon_end, cfg.exploration_fraction, cfg.total_steps)
        if self._schedule_key != key:  # rebuilt only when the knobs change
            steps = int(cfg.exploration_fraction * cfg.total_steps)
            self._schedule = (LinearSchedule(cfg.epsilon_start, cfg.epsilon_end, steps)
                              if steps >= 1 else ConstantSchedule(cfg.epsilon_end))
            self._schedule_key = key
        return self._schedule

    def epsilon_at(self, step: int) -> float:
        """Epsilon of the agent's own schedule after ``step`` env steps."""
        return self.epsilon_schedule.value(step, 0)

    def update(self, state: Any, action: int, reward: float, next_state: Any, terminated: bool,
               next_action: int | None = None, truncated: bool = False) -> DQNStats | None:
        """Store one transition and train when it is time; stats when a gradient step ran.

        Raises:
            TrainingDiverged: the loss or a Q-value became NaN, infinite or absurdly large (in
                this round or an earlier one: a diverged agent stays stopped until reset).
        """
        if self.diverged is not None:
            raise TrainingDiverged(self.diverged)
        self._pristine = False
        cfg = self.config
        action -= self._action_start
        if cfg.clip_rewards:
            reward = float(np.sign(reward))
        if abs(reward) > self._max_abs_reward:
            self._max_abs_reward = abs(float(reward))
        if self._obs_start is not None:  # checked here: a bad index on a GPU poisons its context
            state, next_state = self._index(state), self._index(next_state)
        buffer = self._replay()
        if isinstance(buffer, FrameReplay):
            state, next_state = buffer.register(state, next_state)
        if cfg.n_step == 1:
            buffer.add(state, action, reward, next_state, 0.0 if terminated else cfg.gamma)
        else:
            for row in self.nstep.push(state, action, reward, next_state, terminated, truncated):
                buffer.add(*row)
        self.num_steps += 1
        if self.num_steps % cfg.target_update_interval == 0:
            self.sync_target()
        self.epsilon = self.epsilon_at(self.num_steps)
        if (self.num_steps - self._replay_start > cfg.learning_starts
                and self.num_steps % cfg.train_freq == 0
                and buffer.size > 0):
            return self.train(cfg.gradient_steps)
        return None

    def _index(self, state: Any) -> int:
        """A Discrete observation as a row index of the one-hot input, range-checked."""
        index = int(state) - self._obs_start
        if not 0 <= index < self.n_inputs:
            raise ValueError(f"state {int(state)} is outside this agent's {self.n_inputs} "
                             f"observations")
        return index

    def start_episode(self) -> None:
        """Drop n-step leftovers: an episode that ended flushed them all, so any left belong to
        one the session abandoned (switching to a greedy run or to watching and back)."""
        self.nstep.clear()

    def end_episode(self) -> None:
        """Drop n-step leftovers of an episode the caller abandons (reset without an ending)."""
        self.nstep.clear()


def _input_scale(space: gym.Space) -> float:
    """Factor that maps stored integer observations to ``[0, 1]`` (1/255 for uint8 frames)."""
    if isinstance(space, gym.spaces.Box) and np.issubdtype(space.dtype, np.integer):
        high = float(np.max(space.high)) if space.high.size else 0.0
        if math.isfinite(high) and high > 0:
            return 1.0 / high
    return 1.0


def _config_property(name: str) -> property:
    """``agent.<name>`` reads ``agent.config.<name>``; assigning goes through validation."""

    def get(self: DQN) -> Any:
        return getattr(self.config, name)

    def set(self: DQN, value: Any) -> None:
        self.set_hyperparameters(**{name: value})

    return property(get, set, doc=str(DQNConfig.__dataclass_fields__[name].metadata["help"]))


for _name in DQNConfig.__dataclass_fields__:  # agent.gamma etc. read like a tabular agent's
    setattr(DQN, _name, _config_property(_name))
