"""Where everything goes on the window, and drawing one frame.

:class:`ScreenLayout` owns where everything goes (it sets the widgets' rects and keeps the
caption rects); :meth:`ScreenLayout.draw` draws a frame from what the live view holds. The
window is the world on the left (above the info strip), the
side panel on the right with the charts below it, and the status bar along the bottom. The world
area depends on what is open (``WorldFlow.view_kind``) and on compare mode:

* a level or a grid env: the board;
* Taxi: the env's frame with Q-value bars, beside a 5x5 board of the current situation;
* any other env: its frame with Q-value bars;
* compare mode: the area halves, one lane per agent, each captioned with its agent (side by
  side, or one above the other when that gives a wide board bigger cells).

The chart area shows the learning curve on top and, below it, the epsilon schedule for a tabular
agent or two small charts (TD loss, mean Q) for a DQN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from agents.records import Snapshot
from app import colors as C
from app.agentfactory import label
from app.board import Board
from app.controls import PANEL_WIDTH, Controls
from app.editor import Editor
from app.gymview import GymView
from app.statusbar import InfoStrip, StatusBar
from app.training import TrainingControl
from app.worldflow import WorldFlow

if TYPE_CHECKING:
    from app.liveview import Charts, LiveView

INFO_HEIGHT = 96
CAPTION_H = 24  # a line of text above a board (Taxi's situation, compare mode's agent)
TAXI_FRAME_SHARE = 0.56  # of the world area's width, for Taxi's own picture


class ScreenLayout:
    """Layout on resize / world change, and the per-frame drawing."""

    def __init__(self, controls: Controls, charts: Charts, *, board: Board, editor: Editor,
                 gym_view: GymView, info: InfoStrip, status: StatusBar,
                 training: TrainingControl, worlds: WorldFlow,
                 small_bold: pygame.font.Font) -> None:
        self.controls = controls
        self.charts = charts
        self.board = board
        self.editor = editor
        self.gym_view = gym_view
        self.info = info
        self.status = status
        self.training = training
        self.worlds = worlds
        self.small_bold = small_bold
        self.size = (0, 0)
        self.chart_area = pygame.Rect(0, 0, 0, 0)
        self.show_epsilon_chart = False
        self.show_returns_chart = False
        self.layer_caption_rect = pygame.Rect(0, 0, 0, 0)
        self.taxi_caption_rect = pygame.Rect(0, 0, 0, 0)
        self.layered_layout = False
        self.lane_captions: list[pygame.Rect] = []
        self.lanes_stacked = False

    # ==== layout ==================================================================================
    def rebuild_panel(self, force: bool = False) -> None:
        """Rebuild the side panel if the world or agent changed its shape, then lay out again."""
        rebuilt = self.controls.rebuild_if_reshaped()
        if force and not rebuilt:
            self.controls.rebuild()
        if force or rebuilt:
            self.controls.set_training_enabled(self.training.valid)
        self.layout()

    def resize(self, size: tuple[int, int]) -> None:
        """The window is now ``size``."""
        self.size = (int(size[0]), int(size[1]))
        self.layout()

    def follow_level(self) -> None:
        """The level was edited: lay out again if small cheeses came or went (caption row)."""
        if self.layered() != self.layered_layout:
            self.layout()

    def lane_places(self) -> tuple[str, str]:
        """Where compare mode's two lanes are on screen."""
        return ("top", "bottom") if self.lanes_stacked else ("left", "right")

    def layout(self) -> None:
        """Place every part for the window size, the world and compare mode."""
        w, h = self.size
        charts, lane = self.charts, self.training.lane
        status_h = StatusBar.HEIGHT
        self.layer_caption_rect = pygame.Rect(0, 0, 0, 0)
        self.layered_layout = self.layered()
        panel_x = max(0, w - PANEL_WIDTH)
        panel_h = min(self.controls.content_height, h - status_h)
        self.controls.set_rect(pygame.Rect(panel_x, 0, PANEL_WIDTH, panel_h))
        self.chart_area = pygame.Rect(panel_x, panel_h, PANEL_WIDTH, max(0, h - status_h - panel_h))
        inner = self.chart_area.inflate(-24, -14)
        # Both rows of charts when there is room; in a short window only the learning curve.
        # The lower row (epsilon, or a DQN's loss and mean Q side by side) gets nearly half, so
        # its small charts keep a readable plot at the default 1280 x 800.
        self.show_epsilon_chart = inner.height >= 140
        self.show_returns_chart = inner.height >= 60
        low_h = min(120, max(60, round(inner.height * 0.45))) if self.show_epsilon_chart else 0
        returns_h = inner.height - low_h - (8 if low_h else 0)
        charts.returns.set_rect((inner.x, inner.y, inner.width, max(10, returns_h)))
        low = pygame.Rect(inner.x, inner.bottom - low_h, inner.width, max(10, low_h))
        charts.epsilon.set_rect(low)
        half = (low.width - 8) // 2
        charts.loss.set_rect((low.x, low.y, half, low.height))
        charts.meanq.set_rect((low.right - half, low.y, half, low.height))
        world = pygame.Rect(0, 0, panel_x, h - status_h - INFO_HEIGHT)
        self.lanes_stacked = lane is not None and self._stack_lanes(world)
        if lane is not None:
            if self.lanes_stacked:  # wide boards (the cliff): one lane above the other
                left = pygame.Rect(world.x, world.y, world.width, world.height // 2)
                right = pygame.Rect(world.x, left.bottom, world.width,
                                    world.height - left.height)
            else:
                left = pygame.Rect(world.x, world.y, world.width // 2, world.height)
                right = pygame.Rect(left.right, world.y, world.width - left.width,
                                    world.height)
            self.lane_captions = [left, right]
            self._layout_lane(left.inflate(-16, -16).move(0, CAPTION_H // 2)
                              .inflate(0, -CAPTION_H))
            lane.set_rect(right.inflate(-16, -16).move(0, CAPTION_H // 2)
                          .inflate(0, -CAPTION_H), self.worlds.view_kind)
        else:
            self.lane_captions = []
            self._layout_lane(world.inflate(-24, -24))
        self.info.set_rect(pygame.Rect(12, world.bottom, max(0, panel_x - 24), INFO_HEIGHT - 10))
        self.status.set_rect(pygame.Rect(0, h - status_h, w, status_h))

    def _stack_lanes(self, world: pygame.Rect) -> bool:
        """Compare mode: True when two boards one above the other get bigger cells than two
        side by side (levels wider than tall)."""
        if self.worlds.view_kind not in ("level", "grid"):
            return False
        rows, cols = max(1, self.board.nrows), max(1, self.board.ncols)
        pad = 16 + CAPTION_H
        side = min((world.width // 2 - 16) / cols, (world.height - pad) / rows)
        stacked = min((world.width - 16) / cols, (world.height // 2 - pad) / rows)
        return stacked > side

    def _layout_lane(self, area: pygame.Rect) -> None:
        """The primary agent's views inside ``area``."""
        kind = self.worlds.view_kind
        if kind == "taxi":
            frame_w = round(area.width * TAXI_FRAME_SHARE) if self.training.lane is None else 0
            self.gym_view.set_rect((area.x, area.y, frame_w, area.height))
            board = pygame.Rect(area.x + frame_w + 12, area.y + CAPTION_H,
                                area.width - frame_w - 12, area.height - CAPTION_H)
            self.board.set_rect(board)
            top = self.board.board_rect.top  # the board is centred: the caption sits on it
            self.taxi_caption_rect = pygame.Rect(board.x, top - CAPTION_H - 2, board.width,
                                                 CAPTION_H)
        elif kind == "frame":
            self.gym_view.set_rect(area)
        elif self.layered():  # room above the board for the cheeses-eaten caption
            self.board.set_rect(pygame.Rect(area.x, area.y + CAPTION_H, area.width,
                                            area.height - CAPTION_H))
            top = self.board.board_rect.top
            self.layer_caption_rect = pygame.Rect(area.x, top - CAPTION_H - 2, area.width,
                                                  CAPTION_H)
        else:
            self.board.set_rect(area)

    def layered(self) -> bool:
        """True when the level's board shows one of several cheeses-eaten situations."""
        return (self.worlds.world is None and self.training.lane is None
                and bool(self.editor.level.small_cheeses))

    # ==== drawing =================================================================================
    def _caption(self, screen: pygame.Surface, text: str, rect: pygame.Rect,
                 colour: C.RGB = C.TEXT) -> None:
        surf = self.small_bold.render(text, True, colour)
        screen.blit(surf, surf.get_rect(center=rect.center))

    def draw(self, screen: pygame.Surface, live: LiveView, *, recording: bool) -> None:
        """One frame: world, captions, info strip, charts, status bar (the widgets are the
        UI manager's)."""
        screen.fill(C.BACKGROUND)
        kind = self.worlds.view_kind
        valid = self.training.valid
        if kind in ("level", "grid") or (kind == "taxi"):
            self.board.draw(screen, live.board_view())
        if kind == "level":
            self.editor.draw(screen)
            if not valid:
                frame = self.board.board_rect.inflate(6, 6)  # invalid level: a red frame
                pygame.draw.rect(screen, C.PROBLEM, frame, 3, border_radius=4)
        if kind in ("taxi", "frame") and self.gym_view.rect.width > 0:
            self.gym_view.draw(screen)
        if kind == "taxi":
            self._caption(screen, live.taxi_caption, self.taxi_caption_rect, C.TEXT_DIM)
        if self.layer_caption_rect.width and live.layer_caption and valid:
            self._caption(screen, live.layer_caption, self.layer_caption_rect, C.TEXT_DIM)
        lane = self.training.lane
        if lane is not None:
            self._draw_lanes(screen, live)
        self.info.draw(screen)
        if (kind in ("level", "grid", "taxi") and self.board.hover is not None
                and not self.editor.drawing):
            self.info.draw_hover_card(screen, self.board.cell_rect(*self.board.hover),
                                      self.board.rect.union(self.info.rect))
        self._draw_charts(screen)
        self._update_status(live, recording)
        self.status.draw(screen)

    def _draw_lanes(self, screen: pygame.Surface, live: LiveView) -> None:
        """Compare mode: the second lane, and each lane's caption in its agent's colour."""
        lane = self.training.lane
        assert lane is not None
        kind = self.worlds.view_kind
        lane.draw(screen, live.lane_base_view())
        boards = (self.board, lane.board)
        situation = live.layer_caption.split("  \u00b7  ")[0] if kind == "level" else ""
        for i, (rect, board) in enumerate(zip(self.lane_captions, boards, strict=True)):
            top = rect.y + 2 if kind == "frame" else board.board_rect.top - CAPTION_H - 2
            caption = pygame.Rect(rect.x, max(rect.y, top), rect.width, CAPTION_H)
            text = f"{live.lane_label(i)}  \u00b7  {situation}" if situation else \
                live.lane_label(i)
            self._caption(screen, text, caption, C.SERIES[i])

    def _draw_charts(self, screen: pygame.Surface) -> None:
        charts = self.charts
        screen.fill(C.PANEL, self.chart_area)
        pygame.draw.line(screen, C.PANEL_BORDER, self.chart_area.topleft,
                         self.chart_area.bottomleft)
        if self.show_returns_chart:
            charts.returns.draw(screen)
        if self.show_epsilon_chart:
            session = self.training.session
            if session is not None and session.agent.kind == "dqn":
                charts.loss.draw(screen)
                charts.meanq.draw(screen)
            else:
                charts.epsilon.draw(screen)

    def _update_status(self, live: LiveView, recording: bool) -> None:
        training = self.training
        snap, session = live.snap, training.session
        if snap is None or session is None:
            return
        agent = session.agent
        name = label(agent.kind)
        if agent.kind == "dqn":
            name = f"DQN on {str(agent.device).upper()}"
        if recording:
            mode = "recording a GIF"
        elif training.watching and not training.demo:
            mode = watch_caption(snap, training.watch_start, training.playing)
        else:
            mode = "greedy run" if training.demo else ("training" if training.playing else
                                                       "paused")
        if training.lane is not None:
            name = f"{name} vs {label(training.lane.session.agent.kind)}"
        # Greedy demonstrations (G) and watching are not training: their steps and episodes
        # are not counted.
        self.status.set_stats(episode=session.training_episodes,
                              steps=session.training_steps,
                              steps_per_s=live.rate.rate if training.playing else 0.0,
                              epsilon=snap.epsilon, extra=f"{name} \u00b7 {mode}")


def watch_caption(snap: Snapshot, watch_start: int, playing: bool) -> str:
    """The status bar's words while the agent is watched: that it does not learn, the return of
    the episode being played (the game's own score on Atari) and of the last one watched."""
    text = "Watching (not learning)" + ("" if playing else ", paused")
    text += f" \u00b7 return {snap.episode_return:g}"
    if snap.episode > watch_start and len(snap.returns):
        text += f" \u00b7 last episode {float(snap.returns[-1]):g}"
    return text
