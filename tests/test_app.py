"""The app, driven frame by frame with synthetic pygame events (headless, dummy SDL drivers).

Each test builds a real ``App`` on a real level and acts through the same paths a user does:
keys, mouse clicks on pygame_gui widgets, slider drags (which also need ``pygame.mouse.set_pos``,
see STYLE.md), and the file dialogs' own "path picked" events.
"""

from __future__ import annotations

import numpy as np
import pygame
import pygame_gui
import pytest
from apphelp import play_until, train_until

from app.app import App
from app.commands import ChooseAgent, ChooseLevel, SetHyperparameter
from app.dialogs import ChoiceDialog
from levels.levelfile import load_level

# --- helpers -----------------------------------------------------------------------------------


def key(k: int, mod: int = 0) -> list[pygame.event.Event]:
    return [pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode="", scancode=0),
            pygame.event.Event(pygame.KEYUP, key=k, mod=mod, unicode="", scancode=0)]


def press(app: App, k: int, mod: int = 0, frames: int = 2) -> None:
    app.run_frames(frames, key(k, mod))


def mouse(kind: int, pos: tuple[int, int], button: int = 1, held: bool = False
          ) -> pygame.event.Event:
    if kind == pygame.MOUSEMOTION:
        return pygame.event.Event(kind, pos=pos, rel=(0, 0), buttons=(int(held), 0, 0))
    return pygame.event.Event(kind, pos=pos, button=button)


def click(app: App, element: object) -> None:
    """A real click on a pygame_gui widget: hover, press, release (buttons fire on release)."""
    pos = element.rect.center  # type: ignore[attr-defined]
    pygame.mouse.set_pos(pos)
    app.run_frames(1, [mouse(pygame.MOUSEMOTION, pos)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONDOWN, pos)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, pos)])
    app.run_frames(4)  # widget events chain (button -> selection list -> drop-down)


def drag(app: App, start: tuple[int, int], end: tuple[int, int], steps: int = 6,
         warp: bool = False) -> None:
    """Press at ``start``, move to ``end``, release.

    ``warp`` also moves the polled mouse, which a pygame_gui slider reads while dragging; the
    dummy driver then adds its own motion events with no button held, so board drags skip it.
    """
    if warp:
        pygame.mouse.set_pos(start)
    app.run_frames(1, [mouse(pygame.MOUSEMOTION, start)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONDOWN, start)])
    for i in range(1, steps + 1):
        pos = (start[0] + (end[0] - start[0]) * i // steps, start[1] + (end[1] - start[1]) * i
               // steps)
        if warp:
            pygame.mouse.set_pos(pos)
        app.run_frames(1, [mouse(pygame.MOUSEMOTION, pos, held=True)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, end)])
    app.run_frames(2)


def choice_dialogs(app: App) -> list[ChoiceDialog]:
    return [d for d in app.dialogs._choice_callbacks if d.alive()]


def pick_file(app: App, path: object) -> None:
    """Answer the open file dialog the way pygame_gui does when the user presses OK."""
    dialogs = list(app.dialogs._file_callbacks)
    assert dialogs, "no file dialog is open"
    dialog = dialogs[-1]
    pygame.event.post(pygame.event.Event(pygame_gui.UI_FILE_DIALOG_PATH_PICKED,
                                         {"text": str(path), "ui_element": dialog}))
    dialog.kill()
    app.run_frames(2)


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    folder = tmp_path / "state"
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(folder))
    return folder


@pytest.fixture
def app(state_dir):
    app = App("mouse", size=(1280, 800))
    app.run_frames(2)
    yield app
    app.close()


@pytest.fixture
def maze_file(tmp_path):
    path = tmp_path / "corridor.txt"
    path.write_text("name: corridor\nmax_steps: 60\n"
                    "S....#..\n"
                    ".##..#..\n"
                    "....##.G\n"
                    "........\n")
    return path


# --- training controls --------------------------------------------------------------------------


def test_pygame_ce_is_the_pygame_in_use():
    assert getattr(pygame, "IS_CE", False)


def test_dragging_the_alpha_slider_changes_the_running_agent(app):
    slider = app.controls.sliders["alpha"]
    assert app.session.agent.alpha == pytest.approx(0.1)
    handle = slider.sliding_button.rect.center
    drag(app, handle, (handle[0] + 120, handle[1]), warp=True)
    alpha = app.session.agent.alpha
    assert alpha > 0.3
    assert slider.get_current_value() == pytest.approx(alpha, abs=1e-4)
    assert app.controls.value_labels["alpha"].text == f"{alpha:.3f}".rstrip("0").rstrip(".")


def test_the_sliders_show_the_agents_own_values_and_a_new_agent_keeps_them(app):
    app.session.set_hyperparameters(alpha=0.5, epsilon_decay=0.01)  # not through the panel
    app.controls.sync()
    assert app.controls.value_labels["alpha"].text == "0.5"
    assert app.controls.value_labels["epsilon_decay"].text == "0.01"
    app.command(ChooseAgent("sarsa"))
    app.run_frames(2)
    assert app.session.agent.kind == "sarsa"
    assert app.session.agent.alpha == pytest.approx(0.5)
    assert app.controls.sliders["alpha"].get_current_value() == pytest.approx(0.5)
    assert app.controls.value_labels["epsilon_decay"].text == "0.01"


def test_space_trains_and_r_resets(app):
    agent = app.session.agent
    assert agent.initial_q == 10.0 and (agent.q == agent.initial_q).all()  # auto: the cheese's
    press(app, pygame.K_SPACE)
    assert app.playing
    app.run_frames(60)
    assert app.session.total_steps > 0
    assert (agent.q != agent.initial_q).any(), "the Q-table did not change while training"
    press(app, pygame.K_SPACE)
    assert not app.playing
    press(app, pygame.K_r)
    assert (agent.q == agent.initial_q).all()
    assert app.session.total_steps == 0
    assert app.session.episode == 0


def test_play_button_click_starts_training(app):
    click(app, app.controls.play_button)
    assert app.playing
    assert app.controls.play_button.text == "Pause"


def test_max_speed_trains_fast_and_keeps_frames_bounded(app):
    app.state.speed = None
    app.controls.sync()
    press(app, pygame.K_SPACE)
    # frames, not seconds: a busy machine gets fewer steps into a frame's budget
    assert play_until(app, lambda: app.session.total_steps > 10_000, max_frames=2000)
    assert app.session.turbo_available  # the compiled path, not one step per frame
    assert app.session.snapshot().last_action is None  # (the compiled path reports no action)


def course_start(app: App) -> None:
    """The course's worked example starts from a Q-table of zeros (the default is "auto")."""
    app.command(SetHyperparameter("initial_q", 0.0))
    assert not app.session.agent.q.any()


def test_driving_the_mouse_level_shows_the_course_numbers(app):
    course_start(app)
    press(app, pygame.K_d)  # right onto the small cheese: reward 1
    text = app.arithmetic_text
    assert "Q(s0, right) <- 0.000 + 0.10 x (1 + 0.99 x 0.000 - 0.000) = 0.100" in text
    assert "TD target = 1 + 0.99 x 0.000 = 1.000" in text
    assert "TD error  = 1.000 - 0.000 = 1.000" in text
    app.run_frames(20)
    press(app, pygame.K_s)  # down onto the poison: reward -10, terminal
    text = app.arithmetic_text
    assert "= -1.000" in text.splitlines()[0]
    assert "Q(s7, down) <- 0.000 + 0.10 x (-10 + 0.99 x 0.000 - 0.000) = -1.000" in text
    assert "terminal" in text
    assert app.session.agent.q[0, 2] == pytest.approx(0.1)
    assert app.session.agent.q[7, 1] == pytest.approx(-1.0)


def test_drive_mode_arrow_keys_move_the_agent(app):
    course_start(app)
    press(app, pygame.K_RIGHT)  # not driving: Right arrow is one training step
    assert app.session.total_steps == 1
    press(app, pygame.K_r)
    press(app, pygame.K_m)
    assert app.training.drive
    press(app, pygame.K_RIGHT)
    app.run_frames(20)
    assert app.session.snapshot().position == (0, 1)
    assert app.session.agent.q[0, 2] == pytest.approx(0.1)


def test_step_key_shows_the_update_the_session_made(app):
    for _ in range(5):
        press(app, pygame.K_n)
        app.run_frames(12)
    first = app.arithmetic_text.splitlines()[0]
    # "Q(sS, action) <- ... = new" must name the entry the session actually changed.
    head, new = first.split(" = ")[0], float(first.rsplit("= ", 1)[1])
    state = int(head[head.index("(s") + 2:head.index(",")])
    action = head[head.index(", ") + 2:head.index(")")]
    a = ("left", "down", "right", "up").index(action)
    assert app.session.agent.q[state, a] == pytest.approx(new, abs=5e-4)
    assert app.session.total_steps == 5


def test_greedy_demo_runs_one_episode_and_reports(app):
    train_until(app, 5000)  # steps, not frames: the greedy run below must reach the goal
    press(app, pygame.K_SPACE)
    q_before = app.session.agent.q.copy()
    press(app, pygame.K_g)
    assert app.demo
    app.run_frames(150)  # 6 steps/s and the mouse level ends within 5 steps
    assert not app.demo
    assert "Greedy run" in app.status.message
    np.testing.assert_array_equal(app.session.agent.q, q_before)  # no learning in a demo


def test_agent_picker_switches_to_sarsa(app):
    menu = app.controls.agent_menu
    click(app, menu)  # expand the drop-down
    options = menu.current_state.options_selection_list.item_list_container.elements
    sarsa = next(b for b in options if b.text == "SARSA")
    click(app, sarsa)
    assert app.session.agent.kind == "sarsa"
    assert app.state.agent_kind == "sarsa"


# --- editing --------------------------------------------------------------------------------------


def test_painting_a_wall_with_the_mouse_changes_the_level(state_dir, maze_file):
    app = App(str(maze_file))
    app.run_frames(2)
    press(app, pygame.K_3)  # wall tool
    start = app.board.cell_rect(3, 1).center
    end = app.board.cell_rect(3, 4).center
    drag(app, start, end)
    assert app.level.grid[3] == ".####..."
    assert app.editor.dirty
    press(app, pygame.K_z, pygame.KMOD_CTRL)
    assert app.level.grid[3] == "........"
    app.close()


def test_editing_pauses_training_and_keeps_unchanged_q_values(state_dir, maze_file):
    app = App(str(maze_file))
    app.state.speed = None
    app.run_frames(2)
    press(app, pygame.K_SPACE)
    app.run_frames(40)
    assert app.playing
    press(app, pygame.K_3, frames=1)
    q_before = app.session.agent.q.copy()
    pos = app.board.cell_rect(3, 0).center
    app.run_frames(1, [mouse(pygame.MOUSEMOTION, pos), mouse(pygame.MOUSEBUTTONDOWN, pos)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, pos)])
    assert not app.playing, "editing must pause training"
    q = app.session.agent.q
    changed = 3 * 8 + 0
    assert (q[changed] == app.session.agent.initial_q).all(), "the painted cell's Q is reset"
    keep = np.ones(len(q), dtype=bool)
    keep[changed] = False
    np.testing.assert_array_equal(q[keep], q_before[keep])
    app.close()


def test_adding_a_cheese_changes_the_state_count_and_resets_with_a_notice(state_dir, maze_file):
    app = App(str(maze_file))
    app.run_frames(2)
    press(app, pygame.K_n)
    press(app, pygame.K_7)  # small cheese: doubles the states
    pos = app.board.cell_rect(3, 3).center
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONDOWN, pos)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, pos)])
    assert app.session.agent.q.shape[0] == 2 * 32
    assert "Q-table was reset" in app.status.message
    app.close()


def test_invalid_level_shows_the_problem_and_disables_training(app):
    press(app, pygame.K_3)
    pos = app.board.cell_rect(0, 0).center  # paint a wall over the start
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONDOWN, pos)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, pos)])
    assert not app.valid
    assert "no start" in app.status.message
    assert "no start" in app.info.problem[0]
    assert not app.controls.play_button.is_enabled
    press(app, pygame.K_SPACE)
    assert not app.playing
    # the board is framed in the problem colour
    frame = app.board.board_rect.inflate(6, 6)
    assert tuple(app.screen.get_at((frame.centerx, frame.top + 1)))[:3] == (232, 84, 96)
    press(app, pygame.K_z, pygame.KMOD_CTRL)
    assert app.valid
    assert app.controls.play_button.is_enabled


# --- files ----------------------------------------------------------------------------------------


def test_malformed_level_file_shows_the_error_and_keeps_the_level(app, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("S..\n.x.\n..G\n")
    before = app.level
    press(app, pygame.K_o, pygame.KMOD_CTRL)
    pick_file(app, bad)
    assert app.level == before
    assert app.dialogs.messages, "an error window must open"
    text = app.dialogs.messages[-1].text_block.html_text
    assert "line 2" in text and "column 2" in text
    assert "line 2, column 2" in app.status.message


def test_save_then_open_round_trips_the_level(app, tmp_path):
    press(app, pygame.K_3)
    pos = app.board.cell_rect(0, 2).center
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONDOWN, pos)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, pos)])
    edited = app.level
    assert edited.grid[0] == "Sc#"
    press(app, pygame.K_s, pygame.KMOD_CTRL)  # no file yet: "save as" dialog
    target = tmp_path / "my_mouse"
    pick_file(app, target)
    saved = tmp_path / "my_mouse.txt"
    assert saved.exists()
    assert not app.editor.dirty
    assert load_level(saved) == edited
    app.controls.on_command(ChooseLevel("cliff"))  # load something else (clean: no question)
    assert app.level.name == "cliff"
    press(app, pygame.K_o, pygame.KMOD_CTRL)
    pick_file(app, saved)
    assert app.level == edited
    assert app.level_path == saved
    # Ctrl+S now writes straight to the same file.
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONDOWN, app.board.cell_rect(1, 0).center)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, app.board.cell_rect(1, 0).center)])
    press(app, pygame.K_s, pygame.KMOD_CTRL)
    assert load_level(saved).grid[1] == "#PC"


def test_closing_with_unsaved_edits_asks_save_discard_cancel(app):
    press(app, pygame.K_3)
    pos = app.board.cell_rect(1, 0).center
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONDOWN, pos)])
    app.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, pos)])
    app.run_frames(1, [pygame.event.Event(pygame.QUIT)])
    assert app.running
    dialogs = choice_dialogs(app)
    assert len(dialogs) == 1 and dialogs[0].choices == ["save", "discard", "cancel"]
    cancel = next(b for b, k in dialogs[0].buttons.items() if k == "cancel")
    click(app, cancel)
    assert app.running and not choice_dialogs(app)
    app.run_frames(1, [pygame.event.Event(pygame.QUIT)])
    discard = next(b for b, k in choice_dialogs(app)[0].buttons.items() if k == "discard")
    click(app, discard)
    assert not app.running


def test_closing_a_clean_level_quits_at_once(app):
    app.run_frames(1, [pygame.event.Event(pygame.QUIT)])
    assert not app.running


def test_recovery_file_is_offered_at_the_next_start(state_dir):
    first = App("mouse")
    first.run_frames(2)
    press(first, pygame.K_3)
    pos = first.board.cell_rect(1, 0).center
    first.run_frames(1, [mouse(pygame.MOUSEBUTTONDOWN, pos)])
    first.run_frames(1, [mouse(pygame.MOUSEBUTTONUP, pos)])
    edited = first.level
    first.recovery.flush()
    assert (state_dir / "recovery.json").exists()
    first.recovery.close()  # the process "dies" here: no clean exit, the file stays

    second = App("mouse")
    second.run_frames(2)
    assert second.level != edited
    dialogs = choice_dialogs(second)
    assert len(dialogs) == 1 and dialogs[0].choices == ["restore", "discard"]
    restore = next(b for b, k in dialogs[0].buttons.items() if k == "restore")
    click(second, restore)
    assert second.level == edited
    assert second.editor.dirty
    second.close()


# --- window ---------------------------------------------------------------------------------------


def test_f1_shows_every_shortcut(app):
    press(app, pygame.K_F1)
    window = app.dialogs.help_window
    assert window is not None and window.alive()
    text = window.text_block.html_text
    for shortcut in ("Space", "Ctrl+Z", "Ctrl+O", "W A S D", "F1", "1 - 9", "G", "R"):
        assert shortcut in text
    press(app, pygame.K_ESCAPE)
    assert not window.alive()


def test_every_widget_has_a_tooltip(app):
    from pygame_gui.elements import (
        UIButton,
        UICheckBox,
        UIDropDownMenu,
        UIHorizontalSlider,
        UITextEntryLine,
    )

    kinds = (UIButton, UICheckBox, UIDropDownMenu, UIHorizontalSlider, UITextEntryLine)
    widgets = [e for e in app.manager.get_sprite_group().sprites() if isinstance(e, kinds)
               and e.ui_container is app.controls.panel.get_container()]
    assert len(widgets) > 25
    missing = [getattr(w, "text", type(w).__name__) for w in widgets if not w.tool_tip_text]
    assert not missing, f"widgets without a tooltip: {missing}"


def test_window_resize_moves_the_panel_and_scales_the_board(app):
    cell_before = app.board.cell
    app.run_frames(2, [pygame.event.Event(pygame.VIDEORESIZE, size=(1600, 1000), w=1600,
                                          h=1000)])
    assert app.screen.get_size() == (1600, 1000)
    assert app.controls.panel.rect.right == 1600
    assert app.board.cell > cell_before
    assert app.board.rect.right <= app.controls.panel.rect.left


# --- the recovery store on its own ---------------------------------------------------------


def test_recovery_keeps_invalid_levels_and_survives_a_corrupt_file(state_dir):
    from app.recovery import RecoveryStore
    from app.recovery import state_dir as where
    from levels.level import Level

    assert where() == state_dir
    store = RecoveryStore(delay_s=0.5)
    no_start = Level(grid=("...", ".#G"), name="draft", max_steps=9)  # invalid: no start
    store.note_edit(no_start, "draft.txt", now=0.0)
    store.tick(now=0.2)
    assert not store.path.exists(), "written only once edits pause for the delay"
    store.tick(now=1.0)
    store.flush()
    found = store.load()
    assert found is not None and found.level == no_start and found.source == "draft.txt"
    assert "draft" in found.describe()
    store.path.write_text("{ not json")
    assert store.load() is None
    assert "damaged (it is not JSON); it was set aside as" in store.last_error
    assert not store.path.exists()  # renamed, not deleted: the next start is not bothered
    assert [p.read_text() for p in state_dir.glob("recovery.damaged-*.json")] == ["{ not json"]
    store.clear()
    assert not store.path.exists()
    store.close()


def test_generate_new_and_resize_from_the_panel(app):
    app.controls.rows_entry.set_text("9")
    app.controls.cols_entry.set_text("11")
    click(app, app.controls.file_buttons["generate"])
    level = app.level
    assert (level.nrows, level.ncols) == (9, 11)
    assert level.problems() == [] and app.valid
    assert app.session.agent.q.shape[0] == level.n_states
    assert not app.editor.dirty  # untouched: nothing of the user's would be lost
    click(app, app.controls.file_buttons["new"])  # so New does not ask
    assert not choice_dialogs(app)
    assert app.level.grid[0].startswith("S") and app.level.grid[-1].endswith("G")
    assert (app.level.nrows, app.level.ncols) == (9, 11)
    app.controls.rows_entry.set_text("4")
    click(app, app.controls.file_buttons["resize"])
    assert (app.level.nrows, app.level.ncols) == (4, 11)
    assert app.valid and app.session.agent.q.shape[0] == 4 * 11
    assert "Q-table was reset" in app.status.message
