"""Where everything goes on the window, and drawing one frame.

A mixin of :class:`app.app.App`. The window is the world on the left (above the info strip), the
side panel on the right with the charts below it, and the status bar along the bottom. The world
area depends on what is open (``App.view_kind``) and on compare mode:

* a level or a grid env: the board;
* Taxi: the env's frame with Q-value bars, beside a 5x5 board of the current situation;
* any other env: its frame with Q-value bars;
* compare mode: the area halves, one lane per agent, each captioned with its agent (side by
  side, or one above the other when that gives a wide board bigger cells).

The chart area shows the learning curve on top and, below it, the epsilon schedule for a tabular
agent or two small charts (TD loss, mean Q) for a DQN.
"""

from __future__ import annotations

from typing import Any

import pygame

from app import colors as C
from app.agentfactory import label
from app.controls import PANEL_WIDTH
from app.statusbar import StatusBar

INFO_HEIGHT = 96
CAPTION_H = 24  # a line of text above a board (Taxi's situation, compare mode's agent)
TAXI_FRAME_SHARE = 0.56  # of the world area's width, for Taxi's own picture


class ScreenLayout:
    """Layout on resize / world change, and the per-frame drawing."""

    compare: Any
    controls: Any

    # ==== layout ==================================================================================
    def panel_signature(self) -> tuple:
        """What shapes the panel's widgets: rebuilt only when this changes."""
        s = self.state
        return (s.editable, s.board, s.agent_kind, tuple(s.agent_options))

    def rebuild_panel(self, force: bool = False) -> None:
        """Rebuild the side panel if the world or agent changed its shape, then lay out again."""
        self.editor.enabled = self.world is None
        sig = self.panel_signature()
        if force or sig != self._panel_sig:
            self._panel_sig = sig
            self.controls.rebuild()
            self.controls.set_training_enabled(self.valid)
        self._layout()

    def _layout(self) -> None:
        w, h = self.screen.get_size()
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
        self.returns_chart.set_rect((inner.x, inner.y, inner.width, max(10, returns_h)))
        low = pygame.Rect(inner.x, inner.bottom - low_h, inner.width, max(10, low_h))
        self.epsilon_chart.set_rect(low)
        half = (low.width - 8) // 2
        self.loss_chart.set_rect((low.x, low.y, half, low.height))
        self.meanq_chart.set_rect((low.right - half, low.y, half, low.height))
        world = pygame.Rect(0, 0, panel_x, h - status_h - INFO_HEIGHT)
        self.lanes_stacked = self.compare is not None and self._stack_lanes(world)
        if self.compare is not None:
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
            self.compare.set_rect(right.inflate(-16, -16).move(0, CAPTION_H // 2)
                                  .inflate(0, -CAPTION_H), self.view_kind)
        else:
            self.lane_captions = []
            self._layout_lane(world.inflate(-24, -24))
        self.info.rect = pygame.Rect(12, world.bottom, max(0, panel_x - 24), INFO_HEIGHT - 10)
        self.status.rect = pygame.Rect(0, h - status_h, w, status_h)

    def _stack_lanes(self, world: pygame.Rect) -> bool:
        """Compare mode: True when two boards one above the other get bigger cells than two
        side by side (levels wider than tall)."""
        if self.view_kind not in ("level", "grid"):
            return False
        rows, cols = max(1, self.board.nrows), max(1, self.board.ncols)
        pad = 16 + CAPTION_H
        side = min((world.width // 2 - 16) / cols, (world.height - pad) / rows)
        stacked = min((world.width - 16) / cols, (world.height // 2 - pad) / rows)
        return stacked > side

    def _layout_lane(self, area: pygame.Rect) -> None:
        """The primary agent's views inside ``area``."""
        kind = self.view_kind
        if kind == "taxi":
            frame_w = round(area.width * TAXI_FRAME_SHARE) if self.compare is None else 0
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
        return self.world is None and self.compare is None and bool(self.editor.level.small_cheeses)

    # ==== drawing =================================================================================
    def _caption(self, screen: pygame.Surface, text: str, rect: pygame.Rect,
                 colour: C.RGB = C.TEXT) -> None:
        surf = self.small_bold.render(text, True, colour)
        screen.blit(surf, surf.get_rect(center=rect.center))

    def _draw(self) -> None:
        screen = self.screen
        screen.fill(C.BACKGROUND)
        kind = self.view_kind
        if kind in ("level", "grid") or (kind == "taxi"):
            self.board.draw(screen, self.board_view())
        if kind == "level":
            self.editor.draw(screen)
            if not self.valid:
                frame = self.board.board_rect.inflate(6, 6)  # invalid level: a red frame
                pygame.draw.rect(screen, C.PROBLEM, frame, 3, border_radius=4)
        if kind in ("taxi", "frame") and self.gym_view.rect.width > 0:
            self.gym_view.draw(screen)
        if kind == "taxi":
            self._caption(screen, self.taxi_caption, self.taxi_caption_rect, C.TEXT_DIM)
        if self.layer_caption_rect.width and self.layer_caption and self.valid:
            self._caption(screen, self.layer_caption, self.layer_caption_rect, C.TEXT_DIM)
        if self.compare is not None:
            self.compare.draw(screen, self)
            boards = (self.board, self.compare.board)
            situation = self.layer_caption.split("  \u00b7  ")[0] if kind == "level" else ""
            for i, (rect, board) in enumerate(zip(self.lane_captions, boards, strict=True)):
                top = rect.y + 2 if kind == "frame" else board.board_rect.top - CAPTION_H - 2
                caption = pygame.Rect(rect.x, max(rect.y, top), rect.width, CAPTION_H)
                text = f"{self.lane_label(i)}  \u00b7  {situation}" if situation else \
                    self.lane_label(i)
                self._caption(screen, text, caption, C.SERIES[i])
        self.info.draw(screen)
        if (kind in ("level", "grid", "taxi") and self.board.hover is not None
                and not self.editor.drawing):
            self.info.draw_hover_card(screen, self.board.cell_rect(*self.board.hover),
                                      self.board.rect.union(self.info.rect))
        self._draw_charts(screen)
        self._update_status()
        self.status.draw(screen)
        self.manager.draw_ui(screen)
        pygame.display.flip()

    def _draw_charts(self, screen: pygame.Surface) -> None:
        screen.fill(C.PANEL, self.chart_area)
        pygame.draw.line(screen, C.PANEL_BORDER, self.chart_area.topleft,
                         self.chart_area.bottomleft)
        if self.show_returns_chart:
            self.returns_chart.draw(screen)
        if self.show_epsilon_chart:
            if self.session is not None and self.session.agent.kind == "dqn":
                self.loss_chart.draw(screen)
                self.meanq_chart.draw(screen)
            else:
                self.epsilon_chart.draw(screen)

    def _update_status(self) -> None:
        snap = self._snap
        if snap is None or self.session is None:
            return
        agent = self.session.agent
        name = label(agent.kind)
        if agent.kind == "dqn":
            name = f"DQN on {str(agent.device).upper()}"
        if self.recording is not None:
            mode = "recording a GIF"
        else:
            mode = "greedy run" if self.demo else ("training" if self.playing else "paused")
        if self.compare is not None:
            name = f"{name} vs {label(self.compare.session.agent.kind)}"
        # Greedy demonstrations (G) are not training: their steps and episodes are not counted.
        self.status.set_stats(episode=self.session.training_episodes,
                              steps=self.session.training_steps,
                              steps_per_s=self.rate.rate if self.playing else 0.0,
                              epsilon=snap.epsilon, extra=f"{name} \u00b7 {mode}")
