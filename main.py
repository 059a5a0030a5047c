"""RL Sandbox: ``python main.py`` opens the app; ``train``, ``eval`` and ``levels`` run headless.

See ``python main.py --help``. This file only dispatches; everything heavy is imported by the
command that needs it, so ``--help`` answers at once.
"""

import sys

from agents.cli import main

if __name__ == "__main__":
    sys.exit(main())
