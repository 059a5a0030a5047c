"""Screenshots, GIFs and greedy-episode recording (app.recorder)."""

import numpy as np
import pygame
import pytest
from PIL import Image

from agents.planning import value_iteration
from agents.session import TrainingSession
from agents.tabular import QLearning
from app.envfactory import open_world
from app.recorder import (
    PackedFrame,
    RecordingError,
    as_rgb_array,
    env_renderer,
    record_greedy_episode,
    save_screenshot,
    write_gif,
)  # fmt: skip

COLOURS = ((230, 40, 40), (40, 230, 40), (40, 40, 230))


@pytest.fixture(autouse=True)
def display():
    pygame.init()
    pygame.display.set_mode((64, 64))


def solid(colour, size=(60, 40)):
    surface = pygame.Surface(size)
    surface.fill(colour)
    return surface


def test_gif_of_three_frames_reads_back_with_three_frames_and_no_temp_files(tmp_path):
    frames = [solid(COLOURS[0]),  # a Surface, an array and a packed frame: all accepted
              np.full((40, 60, 3), COLOURS[1], dtype=np.uint8),
              PackedFrame.pack(solid(COLOURS[2]))]
    path = write_gif(frames, tmp_path / "episode.gif", fps=10)
    assert path == tmp_path / "episode.gif"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["episode.gif"]
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (60, 40)
        assert gif.info["loop"] == 0 and gif.info["duration"] == 100
        for i, colour in enumerate(COLOURS):
            gif.seek(i)
            assert gif.convert("RGB").getpixel((30, 20)) == colour


def test_wide_frames_are_scaled_down_to_640(tmp_path):
    wide = np.zeros((200, 1280, 3), dtype=np.uint8)
    wide[:, 640:] = 255
    path = write_gif([wide, 255 - wide], tmp_path / "wide.gif")
    with Image.open(path) as gif:
        assert gif.size == (640, 100) and gif.n_frames == 2
        assert min(gif.convert("RGB").getpixel((600, 50))) >= 250  # white half stays white


def test_gif_refuses_bad_input(tmp_path):
    with pytest.raises(ValueError, match="at least one frame"):
        write_gif([], tmp_path / "x.gif")
    with pytest.raises(ValueError, match=r"got ndarray of shape \(4, 4\)"):
        write_gif([np.zeros((4, 4), dtype=np.uint8)], tmp_path / "x.gif")
    with pytest.raises(RecordingError, match="could not write the GIF"):
        write_gif([solid(COLOURS[0])], tmp_path / "missing" / "x.gif")
    assert list(tmp_path.iterdir()) == []


def test_screenshot_reads_back_with_the_same_size_and_pixels(tmp_path):
    surface = solid((12, 34, 56), (123, 77))
    surface.fill((250, 200, 10), pygame.Rect(10, 10, 5, 5))
    first = save_screenshot(surface, tmp_path / "shots")
    second = save_screenshot(surface, tmp_path / "shots")
    assert first != second and first.suffix == second.suffix == ".png"
    assert first.name.startswith("rl-sandbox-")
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == sorted(
        [first.name, second.name])  # no temp files left
    loaded = pygame.image.load(first)
    assert loaded.get_size() == (123, 77)
    assert loaded.get_at((12, 12))[:3] == (250, 200, 10)
    assert loaded.get_at((50, 50))[:3] == (12, 34, 56)


def test_screenshot_into_an_impossible_directory_is_one_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(RecordingError, match="could not save the screenshot in"):
        save_screenshot(solid((0, 0, 0)), blocker / "shots")


def test_packed_frames_round_trip():
    frame = np.random.default_rng(0).integers(0, 256, (30, 50, 3), dtype=np.uint8)
    assert np.array_equal(PackedFrame.pack(frame).array(), frame)
    surface = pygame.surfarray.make_surface(frame.swapaxes(0, 1))
    assert np.array_equal(as_rgb_array(surface), frame)


# ---- a greedy episode through the session's public API -----------------------------------------
def solved_session(spec="mouse"):
    world = open_world(spec)
    agent = QLearning(world.env.observation_space.n, world.env.action_space.n, epsilon=0.5,
                      seed=0)
    agent.q[:] = value_iteration(world.env.unwrapped.transition_arrays(), 0.99)
    return world, TrainingSession(world.env, agent, seed=0)


def test_record_greedy_episode_plays_to_the_goal_and_restores_learning():
    world, session = solved_session()
    try:
        session.advance(3)  # mid-way through a learning episode
        q_before = session.agent.q.copy()
        episodes_before = session.episode
        seen = []
        render = env_renderer(session)

        def render_frame(transition):
            seen.append(transition)
            return render(transition)

        frames = record_greedy_episode(session, render_frame)
        steps = seen[1:]
        assert seen[0] is None and steps[-1].terminated and steps[-1].reward > 0
        assert not any(t.terminated or t.truncated for t in steps[:-1])
        # the start plus every state before the last step (the env is reset after the last)
        assert len(frames) == len(steps)
        assert frames[0].shape == world.first_frame.shape
        assert np.array_equal(frames[0].array(), world.first_frame)  # the start picture
        assert session.mode == "learn" and session.episode == episodes_before + 1
        assert np.array_equal(session.agent.q, q_before)  # greedy: no updates
        assert session.snapshot().episode_step == 0  # learning resumes from a fresh episode
    finally:
        world.close()


def test_record_greedy_episode_stops_at_max_frames_and_keeps_greedy_mode():
    world, session = solved_session()
    try:
        session.set_mode("greedy")
        frames = record_greedy_episode(session, env_renderer(session), max_frames=2)
        assert len(frames) == 2 and session.mode == "greedy"
    finally:
        world.close()


def test_recorded_frames_make_a_gif(tmp_path):
    world, session = solved_session()
    try:
        frames = record_greedy_episode(session, env_renderer(session))
        path = write_gif(frames, tmp_path / "mouse.gif")
        with Image.open(path) as gif:
            assert gif.n_frames == len(frames)  # every step moves the mouse: no merged frames
            assert gif.size == (world.first_frame.shape[1], world.first_frame.shape[0])
    finally:
        world.close()


def test_board_film_draws_the_board_with_the_mouse_walking_and_its_trail(tmp_path):
    from agents.planning import value_iteration as vi
    from app.board import Overlays
    from app.boardfilm import BoardFilm
    from app.recorder import record_greedy_rollout
    from levels.gridinfo import grid_info
    from levels.gridmaze import GridMazeEnv
    from levels.levelfile import load_level

    level = load_level("mouse")
    env = GridMazeEnv(level)
    agent = QLearning(env.observation_space.n, 4, seed=0)
    agent.q[:] = vi(env.transition_arrays(), 0.9)
    info = grid_info(env)
    film = BoardFilm(info, level.grid, agent.q, Overlays(), rewards=level.rewards_array(),
                     eaten=lambda layer: [c for i, c in enumerate(level.small_cheeses)
                                          if layer >> i & 1])
    frames = record_greedy_rollout(env, agent, seed=0, render=film)
    assert len(frames) == 4  # start, cheese, right, big cheese
    first, last = frames[0].array(), frames[-1].array()
    board = film.board
    assert first.shape[1] == 3 * board.cell >= 3 * 64 and first.shape == last.shape

    def at(frame, cell, dx=0, dy=0):
        x, y = board.cell_rect(*cell).center
        return tuple(frame[y + dy, x + dx])

    mouse = tuple(int(v) for v in pygame.Color(*COLOUR_MOUSE)[:3])
    assert np.abs(np.subtract(at(first, (0, 0), dy=10), mouse)).sum() < 60  # mouse at the start
    assert np.abs(np.subtract(at(last, (1, 2), dy=10), mouse)).sum() < 60  # ...on the big cheese
    small_cheese_rect = board.cell_rect(0, 1)
    eaten = last[small_cheese_rect.centery, small_cheese_rect.centerx - 20]
    uneaten = first[small_cheese_rect.centery, small_cheese_rect.centerx - 20]
    assert tuple(eaten) != tuple(uneaten)  # the small cheese is gone once eaten
    assert write_gif(frames, tmp_path / "film.gif").exists()


COLOUR_MOUSE = (200, 204, 212)
