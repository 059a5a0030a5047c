"""GymView: an env frame scaled into a rect, and Q-value bars with the chosen action highlighted."""

import gymnasium as gym
import numpy as np
import pygame
import pytest

from app import colors as C
from app.envfactory import open_world
from app.gymview import BAR, HIGHLIGHT, GymView, fit_rect, format_q, taxi_situation

CENTRE = (10, 200, 30)


@pytest.fixture
def surface():
    pygame.init()
    pygame.display.set_mode((64, 64))
    pygame.font.init()
    return pygame.Surface((640, 480))


def quadrant_frame(height, width, block):
    """Four coloured quadrants with a ``block``-pixel square of CENTRE in the middle."""
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    frame[: height // 2, : width // 2] = (200, 0, 0)
    frame[: height // 2, width // 2:] = (0, 0, 200)
    frame[height // 2:, : width // 2] = (200, 200, 0)
    frame[height // 2:, width // 2:] = (0, 200, 200)
    cy, cx = height // 2, width // 2
    frame[cy - block // 2: cy + block // 2, cx - block // 2: cx + block // 2] = CENTRE
    return frame


def test_enlarged_frame_keeps_aspect_and_pixels(surface):
    view = GymView((0, 0, 400, 400))
    frame = quadrant_frame(60, 90, 10)
    view.set_frame(frame)
    view.draw(surface)
    image = view.image_rect
    assert image.width / image.height == pytest.approx(90 / 60, rel=0.02)
    assert view.frame_rect.contains(image)
    assert surface.get_at(image.center)[:3] == CENTRE
    assert surface.get_at((image.left + 2, image.top + 2))[:3] == (200, 0, 0)
    assert surface.get_at((image.right - 3, image.bottom - 3))[:3] == (0, 200, 200)
    assert surface.get_at((image.left - 1, image.centery))[:3] != (200, 200, 0)  # letterbox


def test_shrunk_frame_keeps_the_centre_colour(surface):
    """Shrinking filters (smoothscale keeps 1-pixel lines such as CartPole's track), which may
    round a flat colour by a level or two; enlarging above is nearest-neighbour and exact."""
    view = GymView((20, 10, 300, 420))
    view.set_frame(quadrant_frame(800, 1200, 200))
    view.draw(surface)
    assert view.image_rect.width <= 300
    got = surface.get_at(view.image_rect.center)[:3]
    assert max(abs(g - c) for g, c in zip(got, CENTRE, strict=True)) <= 3
    corner = surface.get_at((view.image_rect.left + 5, view.image_rect.top + 5))[:3]
    assert max(abs(g - c) for g, c in zip(corner, (200, 0, 0), strict=True)) <= 3


def test_a_new_frame_of_the_same_size_replaces_the_cached_picture(surface):
    view = GymView((0, 0, 200, 200))
    red = np.full((20, 20, 3), (220, 0, 0), dtype=np.uint8)
    view.set_frame(red)
    view.draw(surface)
    cached = view._scaled
    view.draw(surface)
    assert view._scaled is cached  # unchanged frame: no rescale
    view.set_frame(np.full((20, 20, 3), (0, 0, 220), dtype=np.uint8))
    view.draw(surface)
    assert surface.get_at(view.image_rect.center)[:3] == (0, 0, 220)
    view.set_rect((0, 0, 100, 100))
    view.draw(surface)
    assert view.image_rect.width <= 100
    view.set_frame(None)
    view.draw(surface)
    assert view.image_rect.width == 0


def test_chosen_bar_is_highlighted_and_bars_scale_with_values(surface):
    view = GymView((0, 0, 500, 400))
    view.set_q([1.0, 3.0, -2.0], 1, ("push left", "push right", "wait"))
    view.draw(surface)
    bars = [view.bar_rect(a) for a in range(3)]
    assert surface.get_at(bars[1].center)[:3] == HIGHLIGHT
    assert surface.get_at(bars[0].center)[:3] == BAR
    assert surface.get_at(bars[2].center)[:3] == BAR
    assert bars[1].width == pytest.approx(3 * bars[0].width, abs=2)
    assert bars[2].width == pytest.approx(2 * bars[0].width, abs=2)
    assert bars[0].left == bars[1].left == bars[2].right  # positive right of zero, negative left
    assert all(view.frame_rect.bottom <= b.top for b in bars)
    view.set_q([1.0, 3.0, -2.0], 0, ("push left", "push right", "wait"))
    view.draw(surface)
    assert surface.get_at(view.bar_rect(0).center)[:3] == HIGHLIGHT
    assert surface.get_at(view.bar_rect(1).center)[:3] == BAR


def test_values_are_printed_right_of_the_bars(surface):
    view = GymView((0, 0, 500, 300))
    view.set_q([0.25, -0.5], None, ("left", "right"))
    view.draw(surface)
    row = view.bar_rect(0)
    column = pygame.Rect(view.rect.right - 80, row.top, 70, row.height)
    pixels = pygame.surfarray.array3d(surface.subsurface(column)).reshape(-1, 3)
    assert (pixels.max(axis=1) > 120).any()  # light text on the dark panel (max 47)
    assert format_q(0.25) == "+0.250" and format_q(-1234.5) == "-1234.5"
    assert format_q(float("nan")) == "nan" and format_q(2e6) == "+2.00e+06"


def test_nan_value_has_no_bar_and_bad_input_is_refused(surface):
    view = GymView((0, 0, 400, 300))
    view.set_q([float("nan"), 1.0], 1, ("a", "b"))
    view.draw(surface)
    assert view.bar_rect(0) is None and view.bar_rect(1) is not None
    with pytest.raises(ValueError, match="got 3 Q-values for 2 actions"):
        view.set_q([1, 2, 3], 0, ("a", "b"))
    with pytest.raises(ValueError, match=r"\[H, W, 3\] uint8"):
        view.set_frame(np.zeros((4, 4), dtype=np.uint8))
    view.set_q(None, None, ("a", "b"))
    view.draw(surface)
    assert view.bar_rect(0) is None


def test_real_cartpole_frame_and_bars(surface):
    world = open_world("CartPole-v1")
    try:
        view = GymView((0, 0, 640, 480))
        view.set_frame(world.env.render())
        view.set_q([10.0, 12.0], 1, world.action_names)
        view.draw(surface)
        assert surface.get_at(view.bar_rect(1).center)[:3] == HIGHLIGHT
        image = view.image_rect
        assert image.width / image.height == pytest.approx(600 / 400, rel=0.02)
        assert min(surface.get_at((image.left + 3, image.top + 3))[:3]) >= 250  # white sky
    finally:
        world.close()


def test_fit_rect_centres_and_fits():
    box = pygame.Rect(10, 20, 300, 100)
    out = fit_rect((600, 400), box)
    assert box.contains(out) and out.center == box.center and out.height == 100
    assert fit_rect((0, 5), box).size == (0, 0)


def test_taxi_situation_names_every_layer_like_the_env():
    env = gym.make("Taxi-v4").unwrapped
    world = open_world("Taxi-v4")
    try:
        layers = world.grid.layer
        for state in range(env.observation_space.n):
            _, _, passenger, destination = env.decode(state)
            text = taxi_situation(int(layers[state]))
            where = "in the taxi" if passenger == 4 else f"at {'RGYB'[passenger]}"
            assert text == f"passenger {where}, to {'RGYB'[destination]}"
    finally:
        world.close()
    with pytest.raises(ValueError):
        taxi_situation(20)


def test_component_protocol(surface):
    view = GymView((0, 0, 100, 100))
    assert view.process_event(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1,
                                                 pos=(5, 5))) is False
    view.update(0.016)
    view.draw(surface)
    assert surface.get_at((50, 50))[:3] in (C.PANEL, C.BACKGROUND)


def test_the_networks_input_strip_shows_each_stacked_frame(surface):
    view = GymView((0, 0, 640, 480))
    view.set_frame(np.zeros((210, 160, 3), np.uint8))
    view.set_q([0.1, 0.2], 0, ("noop", "fire"))
    frames = np.stack([np.full((84, 84), v, np.uint8) for v in (0, 80, 160, 240)])
    view.set_inputs(frames)
    view.draw(surface)
    strip = view.inputs_rect
    assert strip.width > 0 and strip.bottom <= view.bars_rect.top
    assert view.frame_rect.bottom <= strip.top
    step = strip.width / 4
    for i, value in enumerate((0, 80, 160, 240)):
        centre = (int(strip.left + step * (i + 0.5)), strip.centery)
        assert tuple(surface.get_at(centre))[:3] == (value, value, value)
    view.set_inputs(np.zeros(4, np.float32))  # a vector observation: no strip
    assert view.inputs_rect.width == 0
