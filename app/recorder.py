"""Screenshots (F12) and animated GIFs of a greedy episode, written atomically.

Both go through :func:`levels.atomic.atomic_write_bytes`: the picture is encoded in memory first,
so a full disk or a crash never leaves half a file where the user expects a picture. Pillow is
imported only when a GIF is written, keeping it out of the app's start-up.

The app records with :class:`GreedyRecording`: one greedy episode on a second env opened for it,
a slice per frame, so neither the window nor the training session is disturbed.
:func:`record_greedy_episode` plays it through a session instead (its episode restarts).

A recorded episode is kept as compressed frames (zlib of the raw pixels, ~50x smaller for
CartPole), so a 500-step recording costs a few MB rather than ~360 MB of raw 600x400 frames.
Frames are plain numpy data: :func:`write_gif` may run in a worker thread.
"""

from __future__ import annotations

import io
import os
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pygame

from levels.atomic import atomic_write_bytes

if TYPE_CHECKING:
    import gymnasium

    from agents import Agent

GIF_MAX_WIDTH = 640  #: wider frames are scaled down to this width
GIF_PALETTE_SAMPLES = 12  #: frames sampled to build the one palette all frames share


class RecordingError(OSError):
    """A screenshot or GIF that could not be written; the message is one sentence."""


@dataclass(frozen=True)
class PackedFrame:
    """An ``[H, W, 3]`` uint8 frame stored zlib-compressed (recordings stay small in memory)."""

    shape: tuple[int, int, int]
    data: bytes

    @classmethod
    def pack(cls, frame: Any) -> PackedFrame:
        """Compress a frame (Surface or ``[H, W, 3]`` uint8 array); the input is not kept."""
        array = as_rgb_array(frame)
        return cls(array.shape, zlib.compress(np.ascontiguousarray(array).tobytes(), 1))

    def array(self) -> np.ndarray:
        """The frame as a fresh ``[H, W, 3]`` uint8 array."""
        return np.frombuffer(zlib.decompress(self.data), dtype=np.uint8).reshape(self.shape)


Frame = pygame.Surface | np.ndarray | PackedFrame


def as_rgb_array(frame: Any) -> np.ndarray:
    """``[H, W, 3]`` uint8 pixels of a Surface, an RGB(A) array or a :class:`PackedFrame`.

    Raises:
        ValueError: anything else (the sentence says what it got).
    """
    if isinstance(frame, PackedFrame):
        return frame.array()
    if isinstance(frame, pygame.Surface):
        return pygame.surfarray.array3d(frame).swapaxes(0, 1)
    if (isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] in (3, 4)
            and frame.dtype == np.uint8):
        return frame[:, :, :3]
    shape = getattr(frame, "shape", None)
    raise ValueError(f"a frame must be a pygame Surface or an [H, W, 3] uint8 array, got "
                     f"{type(frame).__name__}" + (f" of shape {shape}" if shape else ""))


def save_screenshot(surface: pygame.Surface, directory: str | os.PathLike[str]) -> Path:
    """Save ``surface`` as ``rl-sandbox-YYYYmmdd-HHMMSS.png`` in ``directory`` (made if missing).

    A second shot within the same second gets ``-2``, ``-3``... so none is overwritten.

    Raises:
        RecordingError: the directory cannot be made or the file cannot be written.
    """
    folder = Path(directory)
    buffer = io.BytesIO()
    pygame.image.save(surface, buffer, "x.png")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"rl-sandbox-{stamp}.png"
        n = 2
        while path.exists():
            path = folder / f"rl-sandbox-{stamp}-{n}.png"
            n += 1
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as err:
        raise RecordingError(f"could not save the screenshot in {folder}: "
                             f"{err.strerror or err}") from err
    return path


def write_gif(frames: Sequence[Frame], path: str | os.PathLike[str], fps: float = 8) -> Path:
    """Write ``frames`` as a GIF that loops forever, at ``fps`` frames per second.

    Frames wider than :data:`GIF_MAX_WIDTH` are scaled down, every frame is scaled to the first
    one's size, and all share one palette built from a sample of frames (no colour flicker from
    frame to frame). Identical consecutive frames are merged by Pillow into one longer frame.

    Raises:
        ValueError: no frames, a frame of the wrong type, or fps not positive.
        RecordingError: the file cannot be written.
    """
    from PIL import Image

    if len(frames) == 0:
        raise ValueError("a GIF needs at least one frame")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    first = as_rgb_array(frames[0])
    height, width = first.shape[:2]
    if width > GIF_MAX_WIDTH:
        width, height = GIF_MAX_WIDTH, max(1, round(height * GIF_MAX_WIDTH / width))

    def image(frame: Frame) -> Image.Image:
        img = Image.fromarray(np.ascontiguousarray(as_rgb_array(frame)))
        return img if img.size == (width, height) else img.resize((width, height),
                                                                   Image.Resampling.LANCZOS)

    samples = sorted({round(i * (len(frames) - 1) / max(1, GIF_PALETTE_SAMPLES - 1))
                      for i in range(GIF_PALETTE_SAMPLES)})
    sheet = Image.new("RGB", (width, height * len(samples)))
    for k, i in enumerate(samples):
        sheet.paste(image(frames[i]), (0, k * height))
    palette = sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT)

    def indexed(frame: Frame) -> Image.Image:
        return image(frame).quantize(palette=palette, dither=Image.Dither.NONE)

    buffer = io.BytesIO()
    head = indexed(frames[0])
    head.save(buffer, format="GIF", save_all=True, append_images=(indexed(f) for f in frames[1:]),
              duration=round(1000 / fps), loop=0, disposal=1)
    target = Path(path)
    try:
        atomic_write_bytes(target, buffer.getvalue())
    except OSError as err:
        raise RecordingError(f"could not write the GIF {target}: {err.strerror or err}") from err
    return target


def env_renderer(session: Any) -> Callable[[Any], np.ndarray | None]:
    """A ``render_frame`` for :func:`record_greedy_episode` that shows the session's env frame.

    It skips the transition that ends an episode: the session has already reset the env by then,
    so ``env.render()`` would show the next episode's start, not the end of this one.
    """

    def render(transition: Any) -> np.ndarray | None:
        if transition is not None and (transition.terminated or transition.truncated):
            return None
        return session.env.render()

    return render


def record_greedy_episode(session: Any, render_frame: Callable[[Any], Frame | None],
                          max_frames: int = 500) -> list[PackedFrame]:
    """Play one greedy episode from the start through the session and capture its frames.

    Uses only the session's public commands: ``set_mode("greedy")`` (no exploration, no updates,
    a fresh episode), ``advance(1, record=True)`` until an episode ends or ``max_frames`` frames
    are captured, then the previous mode is restored (which starts a fresh episode).

    Args:
        session: a :class:`agents.session.TrainingSession`.
        render_frame: called with None for the start and with each step's ``Transition``; returns
            the picture of the state after it (Surface or ``[H, W, 3]`` array), or None to skip
            it. A board view can draw ``transition.next_state``; for env frames use
            :func:`env_renderer`.
        max_frames: at most this many frames (a policy that never ends its episode stops here).

    Returns:
        The frames, compressed, ready for :func:`write_gif`. Empty if the session has an error.
    """
    if max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    previous = session.mode
    if previous == "greedy":
        session.set_mode("learn")  # so that the greedy mode below starts a fresh episode
    session.set_mode("greedy")
    frames: list[PackedFrame] = []
    try:
        if session.error is not None:
            return frames
        picture = render_frame(None)
        if picture is not None:
            frames.append(PackedFrame.pack(picture))
        steps = 0
        while len(frames) < max_frames and steps < 100 * max_frames:
            report = session.advance(1, record=True)
            if report.steps == 0:  # the session stopped (an error); nothing more will come
                break
            steps += report.steps
            picture = render_frame(report.transitions[-1])
            if picture is not None:
                frames.append(PackedFrame.pack(picture))
            if report.episodes:
                break
    finally:
        session.set_mode(previous)
    return frames


FrameRenderer = Callable[[Any, Sequence[Any]], Frame]
"""Draws one film frame from (observation, observations so far in the episode)."""


class GreedyRecording:
    """A greedy episode recorded on an env of its own, a few steps per frame.

    The training session is never touched: the episode runs on a second env the caller opened
    for it (and closes afterwards) through :func:`agents.evaluation.iter_greedy_steps`, with
    tie-breaks from a private Generator, so training continues exactly as if nothing had been
    recorded. The first frame shows the reset state and the last one the final state.

    Args:
        env: the recording's own env, made with ``render_mode="rgb_array"`` unless ``render``
            is given.
        agent: the agent whose greedy policy is filmed.
        seed: seeds the env's reset and the tie-breaks (same seed, same film).
        max_frames: at most this many frames (a policy that never ends its episode stops here).
        render: draws each frame (e.g. :class:`app.boardfilm.BoardFilm`, the board as the app
            shows it); None films the env's own ``render()``.
    """

    def __init__(self, env: gymnasium.Env, agent: Agent, seed: int = 0, max_frames: int = 500,
                 render: FrameRenderer | None = None) -> None:
        from agents.evaluation import iter_greedy_steps

        if max_frames < 2:
            raise ValueError(f"max_frames must be at least 2, got {max_frames}")
        self.env = env
        self._render = render if render is not None else lambda _obs, _seen: env.render()
        obs, _ = env.reset(seed=int(seed))
        self._seen: list[Any] = [obs]
        self.frames: list[PackedFrame] = [PackedFrame.pack(as_rgb_array(self._frame(obs)))]
        self._steps = iter_greedy_steps(env, agent, obs, np.random.default_rng(int(seed)),
                                        max_steps=max_frames - 1)
        self.episode_return = 0.0
        self.length = 0
        self.ended = False  # the episode ended (rather than running out of frames)
        self.done = False

    def advance(self, time_budget_s: float | None = None) -> bool:
        """Record steps until the episode is over or ``time_budget_s`` is used; True when done."""
        deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
        while not self.done:
            step = next(self._steps, None)
            if step is None:
                self.done = True
                break
            self.length += 1
            self.episode_return += step.reward
            self._seen.append(step.next_obs)
            self.frames.append(PackedFrame.pack(as_rgb_array(self._frame(step.next_obs))))
            self.ended = step.terminated or step.truncated
            if deadline is not None and time.perf_counter() >= deadline:
                break
        return self.done


    def _frame(self, obs: Any) -> Frame:
        return self._render(obs, self._seen)


def record_greedy_rollout(env: Any, agent: Any, seed: int = 0, max_frames: int = 500,
                          render: FrameRenderer | None = None) -> list[PackedFrame]:
    """All frames of one greedy episode on ``env`` (see :class:`GreedyRecording`)."""
    recording = GreedyRecording(env, agent, seed, max_frames, render)
    recording.advance()
    return recording.frames
