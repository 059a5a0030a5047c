"""Opening worlds for the app (app.envfactory) and the env picker window (app.envpicker)."""

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pygame
import pygame_gui
import pytest

from app.envfactory import (
    APP_ENVS,
    WorldError,
    accepts_slippery,
    close_env,
    default_slippery,
    open_world,
    slippery_of,
    with_slippery,
)  # fmt: skip
from app.envpicker import EnvPicker

SCREEN = (800, 600)
ROOT = str(Path(__file__).resolve().parents[1])


@pytest.fixture
def screen():
    """A live display and font module, as the app has them (re-made if a test quit pygame)."""
    pygame.init()
    surface = pygame.display.set_mode(SCREEN)
    pygame.font.init()
    yield surface


def assert_pygame_alive(surface_size=SCREEN):
    assert pygame.display.get_init(), "the display was shut down"
    assert pygame.font.get_init(), "the font module was shut down"
    screen = pygame.display.get_surface()
    assert screen is not None and screen.get_size() == surface_size
    screen.fill((10, 20, 30))
    text = pygame.font.Font(None, 20).render("still here", True, (250, 250, 250))
    screen.blit(text, (5, 5))
    assert screen.get_at((400, 300))[:3] == (10, 20, 30)
    assert text.get_width() > 10


# ---- every listed env ---------------------------------------------------------------------------
@pytest.mark.parametrize("entry", APP_ENVS, ids=[e.label for e in APP_ENVS])
def test_each_listed_env_opens_renders_and_closes_without_killing_pygame(screen, entry):
    world = open_world(entry.spec, slippery=entry.slippery)
    try:
        assert world.first_frame.dtype == np.uint8 and world.first_frame.shape[2] == 3
        obs, _ = world.env.reset(seed=1)
        assert world.env.observation_space.contains(obs)
        world.env.step(0)
        frame = world.env.render()
        assert frame.shape == world.first_frame.shape
        assert len(world.action_names) == world.env.action_space.n
        assert "dqn" in world.agents
    finally:
        world.close()
    assert world.closed
    assert_pygame_alive()


def test_closing_a_rendered_cartpole_keeps_the_window_and_fonts(screen):
    world = open_world("CartPole-v1")
    for _ in range(3):
        world.env.step(1)
        world.env.render()
    assert world.env.unwrapped.screen is not None  # it really holds a pygame canvas
    world.close()
    world.close()  # twice is harmless
    assert_pygame_alive()


TRAP = """
import gymnasium as gym, pygame
from app.envfactory import close_env
pygame.init(); pygame.display.set_mode((32, 32))
for close in (close_env, lambda env: env.close()):
    env = gym.make("CartPole-v1", render_mode="rgb_array")
    env.reset(seed=0)
    env.render()
    close(env)
    print(pygame.display.get_init(), pygame.font.get_init())
"""


def test_the_trap_is_real_a_plain_close_quits_pygame():
    """Guards the test above: close_env keeps pygame, Gymnasium's own close() shuts it down.
    In a subprocess, so no other test's display or fonts are shut down."""
    out = subprocess.run([sys.executable, "-c", TRAP], capture_output=True, text=True,
                         check=True, env={"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
                                          "PYTHONPATH": ROOT})
    assert out.stdout.split() == ["True", "True", "False", "False"]


def test_close_env_also_protects_envs_that_check_hasattr(screen):
    env = gym.make("Blackjack-v1", render_mode="rgb_array")  # close() tests hasattr(self, "screen")
    env.reset(seed=0)
    env.render()
    close_env(env)
    assert_pygame_alive()


def test_kinds_agents_and_action_names():
    cases = {
        "FrozenLake-v1": ("grid", ("left", "down", "right", "up")),
        "CliffWalking-v1": ("grid", ("up", "right", "down", "left")),
        "Taxi-v4": ("taxi", ("south", "north", "east", "west", "pickup", "dropoff")),
        "CartPole-v1": ("frame", ("push left", "push right")),
        "MountainCar-v0": ("frame", ("left", "none", "right")),
        "mouse": ("grid", ("left", "down", "right", "up")),
    }
    for spec, (kind, names) in cases.items():
        world = open_world(spec)
        try:
            assert (world.kind, world.action_names) == (kind, names), spec
            assert (world.grid is not None) == (kind != "frame"), spec
            assert world.supports("dqn")
            assert world.supports("q-learning") == (kind != "frame"), spec
        finally:
            world.close()


def test_renamed_id_opens_with_a_notice():
    world = open_world("Taxi-v3")
    try:
        assert world.resolved.env_id == "Taxi-v4"
        assert world.notice == "Taxi-v3 was renamed; running Taxi-v4"
    finally:
        world.close()


# ---- clean failures -----------------------------------------------------------------------------
def test_unknown_id_suggests_close_names():
    with pytest.raises(WorldError, match=r"unknown environment 'CartPol-v1'; did you mean "
                                         r"CartPole-v1"):
        open_world("CartPol-v1")


def test_continuous_actions_are_refused_in_one_sentence(screen):
    with pytest.raises(WorldError) as err:
        open_world("Pendulum-v1")
    assert str(err.value) == ("Pendulum-v1 has a continuous action space; the sandbox's agents "
                              "need Discrete actions")
    assert_pygame_alive()


def test_unsupported_observations_are_refused():
    with pytest.raises(WorldError, match="Blackjack-v1 has a Tuple observation space; the "
                                         "sandbox's agents need Discrete or Box observations"):
        open_world("Blackjack-v1")


def test_invalid_level_file_is_a_world_error(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("S.x\n..G\n")
    with pytest.raises(WorldError, match=r"bad.txt: line 1, column 3"):
        open_world(str(bad))


class _PictureEnv(gym.Env):
    """A one-state env whose render returns whatever the test asks for."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, picture="none", render_mode=None):
        self.picture, self.render_mode = picture, render_mode
        self.observation_space = gym.spaces.Discrete(1)
        self.action_space = gym.spaces.Discrete(2)
        self.closed = False

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 0, 0.0, True, False, {}

    def render(self):
        if self.picture == "raise":
            raise RuntimeError("no display for you\nsecond line")
        if self.picture == "grey":
            return np.zeros((4, 4), dtype=np.uint8)
        if self.picture == "float":
            return np.zeros((4, 4, 3), dtype=np.float32)
        return None

    def close(self):
        self.closed = True


if "TestPicture-v0" not in gym.registry:
    gym.register("TestPicture-v0", entry_point=_PictureEnv, disable_env_checker=True)


@pytest.mark.parametrize("picture, message", [
    ("none", "TestPicture-v0 rendered nothing instead of an RGB picture"),
    ("grey", r"TestPicture-v0 rendered an array of shape \(4, 4\) and type uint8 instead"),
    ("float", r"rendered an array of shape \(4, 4, 3\) and type float32 instead"),
    ("raise", r"TestPicture-v0 failed to render a frame: no display for you$"),
])
def test_env_that_fails_to_render_is_refused_and_closed(picture, message, monkeypatch):
    made = []
    original = _PictureEnv.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(_PictureEnv, "__init__", spy)
    with pytest.raises(WorldError, match=message):
        open_world(f"TestPicture-v0:picture={picture!r}")
    assert made and made[-1].closed


# ---- slippery -----------------------------------------------------------------------------------
def test_slippery_toggle_sets_frozenlake_dynamics():
    for slippery, n_outcomes in ((False, 1), (True, 3)):
        world = open_world("FrozenLake-v1", slippery=slippery)
        try:
            assert world.spec == f"FrozenLake-v1:is_slippery={slippery}"
            assert len(world.env.unwrapped.P[0][0]) == n_outcomes
        finally:
            world.close()


def test_slippery_helpers():
    assert accepts_slippery("FrozenLake-v1") and accepts_slippery("FrozenLake8x8-v1:x=1")
    assert not accepts_slippery("CartPole-v1") and not accepts_slippery("mouse")
    assert with_slippery("FrozenLake-v1:map_name='8x8',is_slippery=True", False) == \
        "FrozenLake-v1:map_name='8x8',is_slippery=False"
    assert slippery_of("FrozenLake-v1:is_slippery=False") is False
    assert slippery_of("FrozenLake-v1") is None
    with pytest.raises(WorldError, match="CartPole-v1 has no slippery option"):
        with_slippery("CartPole-v1", True)
    with pytest.raises(WorldError, match="mouse is a level: its own 'slippery: true' setting"):
        open_world("mouse", slippery=True)


def test_importing_the_factory_leaves_classic_control_and_torch_unloaded():
    code = ("import sys, app.envfactory, app.envpicker, app.gymview, app.recorder; "
            "print(sorted(m for m in sys.modules if 'classic_control' in m or m == 'torch' "
            "or m == 'PIL'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"SDL_VIDEODRIVER": "dummy", "PYTHONPATH": ROOT})
    assert out.stdout.strip() == "[]"


# ---- the picker window --------------------------------------------------------------------------
@pytest.fixture
def manager(screen):
    pygame.event.clear()
    return pygame_gui.UIManager(SCREEN, str(Path(ROOT) / "app" / "theme.json"))


def pump(manager, frames=3):
    """Feed queued events to the UI for a few frames (UI events chain: click -> pressed)."""
    for _ in range(frames):
        for event in pygame.event.get():
            manager.process_events(event)
        manager.update(1 / 60)


def click(manager, pos):
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=pos))
    pump(manager, 1)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos))
    pump(manager)


def type_text(manager, picker, text):
    click(manager, picker.entry.rect.center)
    assert picker.entry.is_focused
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=text))
    pump(manager)


def test_picker_typed_id_and_open_button_call_back_and_close(manager):
    chosen = []
    picker = EnvPicker(manager, chosen.append)
    pump(manager)
    type_text(manager, picker, "CartPole-v1")
    assert picker.entry.get_text() == "CartPole-v1"
    assert not picker.slippery.is_enabled
    click(manager, picker.open_button.rect.center)
    assert chosen == ["CartPole-v1"]
    assert not picker.alive() and picker.chosen == "CartPole-v1"


def test_picker_shows_the_error_and_stays_open(manager):
    opened = []

    def open_it(spec):
        opened.append(open_world(spec))

    picker = EnvPicker(manager, open_it)
    pump(manager)
    type_text(manager, picker, "NoSuchEnv-v0")
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                         unicode="\r", scancode=0))
    pump(manager)
    assert picker.alive() and not opened
    assert picker.error_text.startswith("unknown environment 'NoSuchEnv-v0'")
    assert "unknown environment" in picker.error_box.html_text and picker.error_box.visible
    picker.entry.set_text("Pendulum-v1")
    click(manager, picker.open_button.rect.center)
    assert "continuous action space" in picker.error_text and picker.alive()
    picker.entry.set_text("Acrobot-v1")
    click(manager, picker.open_button.rect.center)
    assert not picker.alive() and [w.spec for w in opened] == ["Acrobot-v1"]
    opened[0].close()


def test_picker_list_entry_and_slippery_box(manager):
    chosen = []
    picker = EnvPicker(manager, chosen.append)
    pump(manager)
    item = next(i for i in picker.env_list.item_list if i["text"] == "FrozenLake 4x4")
    click(manager, item["button_element"].rect.center)
    assert picker.entry.get_text() == "FrozenLake-v1"
    assert picker.slippery.is_enabled and picker.slippery.get_state() is True
    click(manager, picker.slippery.rect.center)
    assert picker.slippery.get_state() is False
    click(manager, picker.open_button.rect.center)
    assert chosen == ["FrozenLake-v1:is_slippery=False"]


def test_picker_cancel_and_escape(manager):
    cancelled = []
    picker = EnvPicker(manager, lambda spec: None, on_cancel=lambda: cancelled.append(1))
    pump(manager)
    click(manager, picker.cancel_button.rect.center)
    assert not picker.alive() and cancelled == [1]
    picker = EnvPicker(manager, lambda spec: None, on_cancel=lambda: cancelled.append(2))
    pump(manager)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0,
                                         unicode="\x1b", scancode=0))
    pump(manager)
    assert not picker.alive() and cancelled == [1, 2]


def test_picker_preselects_the_current_world(manager):
    picker = EnvPicker(manager, lambda spec: None, initial_spec="Taxi-v4")
    assert picker.env_list.get_single_selection() == "Taxi"
    assert picker.entry.get_text() == "Taxi-v4" and not picker.slippery.is_enabled
    picker.kill()


def pick(manager, picker, label):
    item = next(i for i in picker.env_list.item_list if i["text"] == label)
    click(manager, item["button_element"].rect.center)


def test_each_picker_entry_opens_with_its_own_slippery_default(manager):
    chosen = []
    picker = EnvPicker(manager, chosen.append)
    pump(manager)
    pick(manager, picker, "FrozenLake 8x8")
    assert picker.slippery.get_state() is True
    pick(manager, picker, "CliffWalking")
    assert picker.entry.get_text() == "CliffWalking-v1" and picker.slippery.get_state() is False
    click(manager, picker.slippery.rect.center)
    pick(manager, picker, "FrozenLake 4x4")
    assert picker.slippery.get_state() is True
    click(manager, picker.slippery.rect.center)
    pick(manager, picker, "Taxi")
    assert not picker.slippery.is_enabled
    pick(manager, picker, "CliffWalking")
    assert picker.slippery.is_enabled and picker.slippery.get_state() is False
    click(manager, picker.open_button.rect.center)
    assert chosen == ["CliffWalking-v1:is_slippery=False"]


def test_title_names_the_slippery_variant():
    assert default_slippery("CliffWalking-v1") is False
    assert default_slippery("FrozenLake8x8-v1") is True and default_slippery("Taxi-v4") is None
    for spec, title in (("CliffWalking-v1", "CliffWalking-v1"),
                        ("CliffWalking-v1:is_slippery=True", "CliffWalking-v1 \u00b7 slippery"),
                        ("FrozenLake-v1", "FrozenLake-v1 \u00b7 slippery"),
                        ("FrozenLake-v1:is_slippery=False", "FrozenLake-v1 \u00b7 not slippery"),
                        ("Taxi-v4", "Taxi-v4")):
        world = open_world(spec)
        try:
            assert world.title == title
        finally:
            world.close()
