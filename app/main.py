"""Entry point of the desktop app (``python main.py`` and ``python main.py play LEVEL``).

Kept tiny and import-light: the first frame must be on screen within ~1.5 s, so nothing heavy
(torch, numba compilation, value iteration) happens before it.
"""

from __future__ import annotations

import os
import sys


def run_app(spec: str = "mouse", device: str | None = None,
            agent_file: str | None = None, watch: bool = False) -> int:
    """Open the sandbox window on ``spec`` (a bundled level name, a level file or a Gymnasium id
    such as ``CartPole-v1``) and run it; ``agent_file`` is loaded first (its world opens), and
    with ``watch`` the agent starts out watched (playing greedily, learning nothing).

    Returns the process exit code: 0 after a normal close, 2 when ``spec`` cannot be opened (one
    sentence on stderr, also when there is no display to open a window on), 1 when the display
    cannot be opened.
    """
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from app.display import missing_display

    problem = missing_display()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from app.app import App, StartError

    try:
        app = App(spec, device=device)
    except StartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    loaded = True
    if agent_file is not None:
        loaded = app.agent_files.load_agent_from(agent_file)  # a bad file: a dialog, runs on
    if watch and loaded:
        from app.commands import Watch

        app.command(Watch(True))
    return app.run()


if __name__ == "__main__":  # python -m app.main [LEVEL]
    sys.exit(run_app(*sys.argv[1:2]))
