"""The panel's agent section: which agent learns, and the buttons that drive its training.

Agent drop-down, Drive and Greedy; Play, Step, Reset and Watch; agent files, GIF recording and
the compare menu (a second agent learning the same world side by side). While the agent is
watched (it plays and learns nothing) the section's heading line says so. While the level is
invalid the training buttons are greyed out (:meth:`AgentSection.set_training_enabled`).
"""

from __future__ import annotations

import pygame
from pygame_gui.core import ObjectID, UIElement
from pygame_gui.elements import UIButton, UIDropDownMenu, UILabel

from app.commands import (
    ChooseAgent,
    CommandSink,
    Compare,
    Drive,
    GreedyRun,
    LoadAgent,
    Play,
    RecordGif,
    ResetLearning,
    SaveAgent,
    Step,
    Watch,
)
from app.panelbase import AGENTS, GAP, HEADING, MARGIN, ROW, PanelKit, PanelState, show_selected

COMPARE_OFF = "compare: off"
AGENT_MENU_W = 170
PLAY_H = 32  # Play / Step / Reset: the buttons used most are the biggest
SMALL_H = 26
SMALL_W = 80  # Save agent / Load agent / Record GIF; the compare menu takes the rest (~160 px)
WATCHING = "Watching (not learning)"


class AgentSection:
    """The AGENT section and its handlers."""

    def __init__(self, kit: PanelKit, state: PanelState, emit: CommandSink) -> None:
        self.kit = kit
        self.state = state
        self.emit = emit
        self.agent_menu: UIDropDownMenu | None = None
        self.compare_menu: UIDropDownMenu | None = None
        self.drive_button: UIButton | None = None
        self.greedy_button: UIButton | None = None
        self.play_button: UIButton | None = None
        self.step_button: UIButton | None = None
        self.reset_button: UIButton | None = None
        self.watch_button: UIButton | None = None
        self.watch_banner: UILabel | None = None  # "Watching (not learning)" by the heading
        self.agent_buttons: dict[str, UIButton] = {}
        self.training_widgets: list[UIElement] = []

    def build(self, y: int) -> int:
        """The section at ``y``: agent row, training row, files-and-compare row."""
        self.watch_banner = UILabel(
            pygame.Rect(MARGIN, y, self.kit.inner_width, HEADING), WATCHING.upper(),
            self.kit.manager, container=self.kit.container,
            object_id=ObjectID(object_id="#watch_banner"), visible=int(self.state.watching))
        y = self.kit.heading(y, "AGENT")
        offered = [(label, kind) for label, kind in AGENTS if kind in self.state.agent_options]
        y = self._build_agent_row(y, offered)
        y = self._build_training_row(y)
        y = self._build_files_row(y, offered)
        self.training_widgets = [self.play_button, self.step_button, self.reset_button,
                                 self.watch_button, self.greedy_button, self.drive_button,
                                 self.agent_buttons["record"], self.agent_buttons["save_agent"]]
        return y

    def _build_agent_row(self, y: int, offered: list[tuple[str, str]]) -> int:
        """Agent drop-down, Drive and Greedy."""
        s, kit = self.state, self.kit
        current = next((lbl for lbl, kind in offered if kind == s.agent_kind), offered[0][0])
        self.agent_menu = UIDropDownMenu(
            offered,
            (current, s.agent_kind),
            pygame.Rect(MARGIN, y, AGENT_MENU_W, ROW),
            kit.manager,
            container=kit.container,
        )
        self.agent_menu.set_tooltip(
            "Q-learning bootstraps from the best next action (off-policy); SARSA from the action "
            "it takes next; Expected SARSA from the average under its epsilon-greedy policy; "
            "DQN learns a neural network (PyTorch) instead of a table"
        )
        kit.register(self.agent_menu, self._on_agent)
        x = MARGIN + AGENT_MENU_W + GAP
        width = (kit.inner_width - AGENT_MENU_W - GAP) // 2 - GAP // 2
        self.drive_button = kit.button(
            pygame.Rect(x, y, width, ROW), "Drive (M)",
            "Drive mode: arrow keys move the agent by hand and it learns from your moves "
            "(W A S D work at any time)", lambda: self.emit(Drive(not self.state.drive)))
        self.greedy_button = kit.button(
            pygame.Rect(x + width + GAP, y, width, ROW), "Greedy (G)",
            "Watch a greedy run: no exploration, no learning, at a watchable speed",
            lambda: self.emit(GreedyRun()))
        return y + ROW + GAP

    def _build_training_row(self, y: int) -> int:
        """Play, Step, Reset and Watch: the buttons used most are the biggest."""
        kit = self.kit
        cells = kit.row(y, 4, PLAY_H)
        self.play_button = kit.button(cells[0], "Play", "Start / pause training (Space)",
                                        lambda: self.emit(Play(not self.state.playing)),
                                        "@primary_button")
        self.step_button = kit.button(cells[1], "Step", "One step, shown as arithmetic "
                                        "(Right arrow or N)", lambda: self.emit(Step()))
        self.reset_button = kit.button(cells[2], "Reset", "Forget everything learnt: fresh "
                                         "Q-table, episode 0 (R)",
                                         lambda: self.emit(ResetLearning()))
        self.watch_button = kit.button(cells[3], "Watch (T)", "Watch: the agent plays its "
                                         "greedy policy at the set speed and learns nothing "
                                         "(a loaded agent, say). Press again (T) to train on "
                                         "from where it stopped",
                                         lambda: self.emit(Watch(not self.state.watching)))
        return y + PLAY_H + GAP

    def _build_files_row(self, y: int, offered: list[tuple[str, str]]) -> int:
        """Save agent, Load agent, Record GIF and the compare menu."""
        s, kit = self.state, self.kit
        cells = [pygame.Rect(MARGIN + i * (SMALL_W + GAP), y, SMALL_W, SMALL_H) for i in range(3)]
        menu_x = MARGIN + 3 * (SMALL_W + GAP)
        cells.append(pygame.Rect(menu_x, y, MARGIN + kit.inner_width - menu_x, SMALL_H))
        self.agent_buttons = {
            "save_agent": kit.button(cells[0], "Save agent", "Save the agent to a file (.npz "
                                       "for a Q-table, .pt for a DQN), as the CLI writes them",
                                       lambda: self.emit(SaveAgent())),
            "load_agent": kit.button(cells[1], "Load agent", "Open an agent file (from the app "
                                       "or 'python main.py train'); its env opens with it",
                                       lambda: self.emit(LoadAgent())),
            "record": kit.button(cells[2], "Record GIF", "Record one greedy episode as an "
                                   "animated GIF (F12 saves a screenshot)",
                                   lambda: self.emit(RecordGif())),
        }
        compare = [(COMPARE_OFF, "off")] + [(f"vs {label}", kind) for label, kind in offered]
        chosen = next(((lbl, k) for lbl, k in compare if k == s.compare_kind), compare[0])
        self.compare_menu = UIDropDownMenu(compare, chosen, cells[3], kit.manager,
                                           container=kit.container)
        self.compare_menu.set_tooltip("Compare: a second agent learns the same world with the "
                                      "same seed, side by side, curves overlaid")
        kit.register(self.compare_menu, self._on_compare)
        return y + SMALL_H + GAP + 2

    def set_training_enabled(self, enabled: bool) -> None:
        """Grey out play/step/reset/greedy/drive while the level is invalid."""
        for widget in self.training_widgets:
            if enabled:
                widget.enable()
            else:
                widget.disable()
        show_selected(self.drive_button, self.state.drive)
        show_selected(self.watch_button, self.state.watching)

    def sync(self) -> None:
        s = self.state
        self.play_button.set_text("Pause" if s.playing else "Play")
        self.drive_button.set_text("Driving (M)" if s.drive else "Drive (M)")
        self.greedy_button.set_text("Stop run (G)" if s.demo else "Greedy (G)")
        self.watch_button.set_text("Train (T)" if s.watching else "Watch (T)")
        show_selected(self.drive_button, s.drive)
        show_selected(self.watch_button, s.watching)
        if s.watching:
            self.watch_banner.show()
        else:
            self.watch_banner.hide()

    # -- event handlers ------------------------------------------------------------------------
    def _on_agent(self, event: pygame.event.Event) -> None:
        kind = getattr(event, "selected_option_id", None) or dict(AGENTS).get(event.text)
        self.emit(ChooseAgent(kind))

    def _on_compare(self, event: pygame.event.Event) -> None:
        kind = getattr(event, "selected_option_id", None)
        if kind is None:
            kind = next((k for lbl, k in AGENTS if f"vs {lbl}" == event.text), "off")
        self.emit(Compare(None if kind == "off" else kind))
