"""PyTorch imported off the frame loop, so that choosing a DQN never freezes the window.

Importing torch costs 2-10 s of one core the first time. The app stays torch-free until a DQN
is wanted, so start-up and people who only use the tabular agents never pay for it.
:class:`TorchLoading` imports it on a daemon thread as soon as a DQN looks likely (the app calls
:meth:`start` when the agent or compare menu opens, the env picker opens or an agent file is
being picked), so it is usually in by the time the choice is made. A choice that needs torch
before it is in waits (:meth:`when_ready`): the app shows "Building the DQN…", the window keeps
responding, and the first frame after the import carries the choice out (:meth:`poll`), unless
the world on screen changed meanwhile.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable


class TorchLoading:
    """The background import of torch, and the one action waiting for it."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self.error: str | None = None  #: why torch could not be imported (None: it could)
        self._action: Callable[[], None] | None = None
        self._for: object = None  # what the action was meant for (the session then on screen)

    @property
    def ready(self) -> bool:
        """torch is imported (by the thread, or already by someone else on this thread)."""
        if self._thread is None:
            return "torch" in sys.modules
        return not self._thread.is_alive() and self.error is None

    @property
    def started(self) -> bool:
        """The import is under way or done (torch in, or its thread started)."""
        return self._thread is not None or "torch" in sys.modules

    @property
    def waiting(self) -> bool:
        """An action waits for the import."""
        return self._action is not None

    def start(self) -> None:
        """Import torch on a thread now (nothing happens when it is in or on its way)."""
        if self._thread is not None or "torch" in sys.modules:
            return
        self._thread = threading.Thread(target=self._import, name="torch-import", daemon=True)
        self._thread.start()

    def _import(self) -> None:
        try:
            import torch  # noqa: F401  (the import is the point: it fills sys.modules)
        except Exception as exc:  # a broken install: said once, in the status bar
            self.error = f"PyTorch could not be loaded ({type(exc).__name__}: {exc})"

    def when_ready(self, action: Callable[[], None], meant_for: object) -> bool:
        """Run ``action`` now if torch is in (True), else once it is (False): :meth:`poll` runs it
        if what is on screen is still ``meant_for``. A newer action replaces a waiting one."""
        if self.ready:
            self.cancel()
            action()
            return True
        self.start()
        self._action, self._for = action, meant_for
        return False

    def cancel(self) -> None:
        """Forget the waiting action (the user chose something else)."""
        self._action, self._for = None, None

    def poll(self, on_screen: object) -> str | None:
        """Each frame: run the waiting action if torch is in and ``on_screen`` is what it was
        meant for. Returns the import's error once, when it failed (the action is dropped)."""
        if self._action is None or self._thread is None or self._thread.is_alive():
            return None
        action, meant_for = self._action, self._for
        self.cancel()
        if self.error is not None:
            return self.error
        if meant_for is on_screen:
            action()
        return None
