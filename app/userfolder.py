"""Where file dialogs open: the folder the user last saved or opened in, else their documents.

The program's own folder (the working directory of ``python main.py``) is the last place a
person looks for their levels, so dialogs start in the folder used last (remembered between runs
in the app's state directory) or in ``~/Documents`` (``~`` when there is none).
"""

from __future__ import annotations

from pathlib import Path

from app.recovery import state_dir
from levels.atomic import atomic_write_text

FILE_NAME = "last_folder.txt"


def user_folder() -> Path:
    """The folder a file dialog should start in."""
    try:
        remembered = Path((state_dir() / FILE_NAME).read_text(encoding="utf-8").strip())
        if remembered.is_dir():
            return remembered
    except (OSError, ValueError):
        pass
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()


def remember_folder(folder: Path) -> None:
    """Start the next dialog in ``folder``; failing to remember is not worth an error."""
    try:
        state_dir().mkdir(parents=True, exist_ok=True)
        atomic_write_text(state_dir() / FILE_NAME, str(Path(folder).resolve()))
    except OSError:
        pass
