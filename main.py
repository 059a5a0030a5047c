"""RL Sandbox: ``python main.py`` opens the app; ``train``, ``eval`` and ``levels`` run headless.

See ``python main.py --help``. This file only dispatches; everything heavy is imported by the
command that needs it, so ``--help`` answers at once. ``play`` is wired here, not in
``agents.cli``, because only this entry point may depend on both the agents and the app.
"""

import argparse
import sys

from agents.cli import main as cli_main


def play(args: argparse.Namespace) -> int:
    """Open the app on ``args.env``."""
    from agents.config import check_device_name
    from app.main import run_app

    if args.device is not None:
        check_device_name(args.device)  # before a window opens
    return int(run_app(args.env, device=args.device,
                       agent_file=getattr(args, "agent_file", None),
                       watch=bool(getattr(args, "watch", False))))


def main(argv: list[str] | None = None) -> int:
    """Run one command (the app when there is none); returns the exit status."""
    return cli_main(argv, play=play)


if __name__ == "__main__":
    sys.exit(main())
