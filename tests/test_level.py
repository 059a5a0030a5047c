"""The level format: parsing, errors with line and column, round trips, atomic saving, mazes."""

import dataclasses
import os
import pickle
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import levels.atomic
from levels.generate import generate_maze
from levels.level import MAX_REWARD, MAX_SMALL_CHEESES, TILES, Level, LevelError, Rewards
from levels.levelfile import bundled_level_names, bundled_level_path, load_level, save_level


# ---- parsing -----------------------------------------------------------------------------------
def test_mouse_level_is_the_course_example():
    lv = load_level("mouse")
    assert lv.name == "mouse" and lv.max_steps == 5 and not lv.slippery
    assert lv.start == (0, 0)
    assert lv.tile(0, 1) == "c" and lv.tile(1, 1) == "P"  # small cheese right, poison below it
    assert lv.tile(lv.nrows - 1, lv.ncols - 1) == "C"  # big cheese bottom-right
    assert lv.rewards == Rewards()


def test_settings_and_grid_are_read():
    text = ("name: demo\r\nmax_steps: 42\r\n\r\n; a comment\r\nslippery: true\r\n"
            "reward.step: -0.5\r\nreward.goal: 3\r\nS.#\r\nHcG")  # CRLF, no final newline
    lv = Level.from_text(text)
    assert lv == Level(grid=("S.#", "HcG"), name="demo", max_steps=42, slippery=True,
                       rewards=Rewards(step=-0.5, goal=3.0))
    assert lv.small_cheeses == ((1, 1),) and lv.n_states == 6 * 2


def test_name_defaults_to_file_stem(tmp_path):
    path = tmp_path / "corridor.txt"
    path.write_text("S...G\n")
    assert load_level(path).name == "corridor"
    assert Level.from_text("SG").name == "untitled"


def test_frozenlake_map_pasted_is_a_level():
    lv = Level.from_text("SFFF\nFHFH\nFFFH\nHFFG\n")
    assert lv.n_states == 16 and lv.start == (0, 0) and lv.warnings() == []


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("S.\n.x\n", 2, 2, "'x' is not a tile; tiles are S . F # H G C c P"),
        ("name: a\nS.......\nS.G...\n", 3, None, "second start"),
        ("S.......\n........\n......\n", 3, 7,
         "this row has 6 cells but the first row (line 1) has 8"),
        ("max_steps: 5\nmax_steps: 6\nSG\n", 2, 1, "max_steps is set twice (first on line 1)"),
        ("max_step: 5\nSG\n", 1, 1, "did you mean 'max_steps'?"),
        ("reward.chese: 5\nSG\n", 1, 1, "did you mean 'reward.cheese'?"),
        ("name: x\nmax_steps: ten\nSG\n", 2, 12,
         "max_steps must be a whole number from 1 to 100000, got 'ten'"),
        ("max_steps: 0\nSG\n", 1, 12, "from 1 to 100000, got '0'"),
        ("max_steps: 100001\nSG\n", 1, 12, "got '100001'"),
        ("slippery: maybe\nSG\n", 1, 11, "slippery must be true or false"),
        ("reward.goal: lots\nSG\n", 1, 14, "reward.goal must be a number, got 'lots'"),
        ("reward.goal: nan\nSG\n", 1, 14, "reward.goal must be a number"),
        ("reward.goal: inf\nSG\n", 1, 14, "reward.goal must be a number"),
        ("name:\nSG\n", 1, 6, "name has no value"),
        ("G.\n..\n", None, None, "no start"),
        ("S\n", 1, None, "only 1 cell"),
        ("S" + "c" * 8 + "\n.c\n", 2, 2, "9th small cheese"),
        ("", None, None, "the file is empty"),
        ("\n\n  \n", None, None, "the file is empty"),
        ("name: x\n", None, None, "no grid after the settings"),
        ("SG\n\nGG\n", 2, None, "blank line inside the grid"),
        ("SG\nmax_steps: 3\n", 2, 1, "settings must come before the grid"),
        ("max_steps 5\nSG\n", 1, 1, "looks like a setting"),
        ("S" + "." * 64 + "\n", 1, 65, "65 columns; the most is 64"),
        ("S.\n" + "..\n" * 64, 65, None, "65 rows; the most is 64"),
        ("S\t.\n", 1, 2, r"'\t' is not a tile"),
    ],
)
def test_bad_levels_say_where(text, line, column, words):
    with pytest.raises(LevelError) as info:
        Level.from_text(text, path="bad.txt")
    err = info.value
    assert words in err.message
    assert (err.line, err.path) == (line, "bad.txt")
    if column is not None:
        assert err.column == column
    where = f"line {line}: " if line else ""
    if err.column:
        where = f"line {line}, column {err.column}: "
    assert str(err) == f"bad.txt: {where}{err.message}"


def test_max_small_cheeses_is_allowed():
    lv = Level.from_text("S" + "c" * MAX_SMALL_CHEESES + "G\n")
    assert lv.n_states == lv.n_cells * 2**MAX_SMALL_CHEESES


def test_error_str_without_path_and_pickling():
    err = LevelError("'x' is not a tile; tiles are S . F # H G C c P", line=3, column=7)
    assert str(err) == "line 3, column 7: 'x' is not a tile; tiles are S . F # H G C c P"
    back = pickle.loads(pickle.dumps(err.with_path("f.txt")))
    assert str(back) == "f.txt: " + str(err) and back.line == 3 and back.column == 7
    assert isinstance(err, ValueError)


# ---- hypothesis ---------------------------------------------------------------------------------
_PIECES = list(TILES) + list(":;\n\r \t.xé") + ["max_steps", "name", "reward.goal", "slippery",
                                                "true", "7", "-1e3", "\r\n", "reward at 0,1",
                                                "reward at 1, 0", ","]
_LEVELISH = st.lists(st.sampled_from(_PIECES), max_size=120).map("".join)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), _LEVELISH))
def test_arbitrary_text_gives_level_or_level_error(text):
    try:
        lv = Level.from_text(text)
    except LevelError as err:
        assert err.message and "\n" not in err.message
        assert err.line is None or err.line >= 1
        return
    assert lv.problems() == []
    assert Level.from_text(lv.to_text()) == lv


@st.composite
def valid_levels(draw):
    nrows = draw(st.integers(1, 7))
    ncols = draw(st.integers(2 if nrows == 1 else 1, 7))
    n = nrows * ncols
    cells = draw(st.lists(st.sampled_from(".F#HGCcP"), min_size=n, max_size=n))
    seen = 0
    for i, ch in enumerate(cells):  # at most 8 small cheeses
        if ch == "c":
            seen += 1
            if seen > MAX_SMALL_CHEESES:
                cells[i] = "."
    cells[draw(st.integers(0, nrows * ncols - 1))] = "S"
    grid = tuple("".join(cells[r * ncols:(r + 1) * ncols]) for r in range(nrows))
    name = draw(st.text(min_size=1, max_size=20).filter(
        lambda s: s == s.strip() and "\n" not in s and "\r" not in s))
    number = st.floats(-MAX_REWARD, MAX_REWARD, allow_nan=False, width=64)
    rewards = Rewards(*(draw(number) for _ in range(6)))
    open_cells = [(r, c) for r in range(nrows) for c in range(ncols) if grid[r][c] != "#"]
    chosen = draw(st.lists(st.sampled_from(open_cells), unique=True, max_size=4))
    cell_rewards = {cell: draw(number) for cell in chosen}
    return Level(grid=grid, name=name, max_steps=draw(st.integers(1, 100_000)),
                 slippery=draw(st.booleans()), rewards=rewards, cell_rewards=cell_rewards)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(valid_levels())
def test_round_trip(lv):
    assert lv.problems() == []
    assert Level.from_text(lv.to_text()) == lv


def test_problems_point_into_to_text():
    lv = Level(grid=("S.", ".S"), max_steps=0)
    found = lv.problems()
    lines = lv.to_text().split("\n")
    assert [e.line for e in found] == [2, 5]
    assert lines[found[0].line - 1].startswith("max_steps")
    assert lines[found[1].line - 1][found[1].column - 1] == "S" and found[1].cell == (1, 1)
    with pytest.raises(LevelError, match="max_steps"):
        lv.validate()


# ---- edits and warnings --------------------------------------------------------------------------
def test_edits_return_new_levels():
    lv = Level.blank(3, 4)
    assert lv.grid == ("S...", "....", "...G") and lv.problems() == []
    walled = lv.with_tiles([(0, 1), (1, 1)], "#")
    assert walled.grid == ("S#..", ".#..", "...G") and lv.grid[0] == "S..."
    moved = walled.with_tile(2, 0, "S")  # a level has one start: painting S moves it
    assert moved.start == (2, 0) and moved.grid[0] == ".#.." and moved.problems() == []
    assert lv.resized(2, 6, fill="#").grid == ("S...##", "....##")
    assert lv.resized(4, 2).grid == ("S.", "..", "..", "..")
    with pytest.raises(LevelError, match="not a tile"):
        lv.with_tile(0, 0, "x")
    with pytest.raises(LevelError, match="outside"):
        lv.with_tile(3, 0, "#")
    with pytest.raises(LevelError, match="1x2 to 64x64"):
        lv.resized(65, 3)


def test_warnings():
    assert Level.from_text("S#G\n").warnings() == [
        "no goal, cheese or other reward can be reached from the start"]
    assert Level.from_text("S.#G\n.c##\n").warnings() == [
        "1 of 2 goal, cheese and reward tiles cannot be reached from the start"]
    far = Level.from_text("max_steps: 3\nS....G\n").warnings()
    assert far == ["the nearest goal or big cheese is 5 steps away but max_steps is 3"]
    assert Level.from_text("SH\n").warnings()  # a hole alone is no reward
    assert Level(grid=("..",)).warnings() == []  # invalid levels report problems() instead


# ---- files ---------------------------------------------------------------------------------------
def test_bundled_levels_load_and_round_trip():
    names = bundled_level_names()
    assert {"mouse", "frozenlake4x4", "frozenlake8x8", "cliff"} <= set(names)
    mazes = [n for n in names if n.startswith("maze")]
    assert len(mazes) >= 3
    used = set()
    for name in names:
        lv = load_level(name)
        assert lv.name == name, "each bundled level names itself"
        assert lv.warnings() == [], name
        assert Level.from_text(lv.to_text()) == lv
        assert load_level(bundled_level_path(name)) == lv
        if name in mazes:
            used |= set("".join(lv.grid))
    assert used == set(TILES), "the mazes together use every tile"
    assert max(load_level(n).nrows * load_level(n).ncols for n in mazes) >= 400
    assert len({load_level(n).n_cells for n in mazes}) == len(mazes)


def test_load_errors(tmp_path):
    with pytest.raises(LevelError, match="did you mean 'mouse'"):
        load_level("mose")
    with pytest.raises(LevelError, match="no such file"):
        load_level(tmp_path / "missing.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"name: caf\xe9\nSG\n")
    with pytest.raises(LevelError, match="not UTF-8") as info:
        load_level(bad)
    assert info.value.path == str(bad)
    with pytest.raises(LevelError, match="not a level file: it is a folder"):
        load_level(tmp_path)


def test_save_then_load(tmp_path):
    lv = dataclasses.replace(load_level("cliff"), name="my cliff")
    path = tmp_path / "mine.txt"
    save_level(lv, path)
    assert load_level(path) == lv
    with pytest.raises(LevelError, match="no start") as info:
        save_level(Level(grid=("..",)), path)
    assert info.value.path == str(path)
    assert load_level(path) == lv


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "level.txt"
    save_level(Level.blank(2, 2), path)
    before = path.read_bytes()

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)  # the new data is half on its way to disk
    with pytest.raises(OSError, match="disk full"):
        save_level(Level.blank(5, 5), path)
    monkeypatch.undo()
    monkeypatch.setattr(levels.atomic.os, "replace", crash)  # or the rename itself fails
    with pytest.raises(OSError):
        save_level(Level.blank(6, 6), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["level.txt"]  # no temp files left


# ---- generated mazes ---------------------------------------------------------------------------
@pytest.mark.parametrize(("nrows", "ncols"), [(1, 2), (2, 1), (2, 2), (3, 3), (4, 7), (9, 9),
                                              (10, 20), (21, 21), (64, 64)])
def test_generated_mazes_are_solvable(nrows, ncols):
    for seed in range(4):
        lv = generate_maze(nrows, ncols, seed)
        assert (lv.nrows, lv.ncols) == (nrows, ncols)
        assert lv.problems() == [] and lv.warnings() == []
        goal = [(r, c) for r in range(nrows) for c in range(ncols) if lv.tile(r, c) == "G"]
        assert len(goal) == 1 and lv.distances_from_start()[goal[0]] > 0
        assert Level.from_text(lv.to_text()) == lv


def test_generated_mazes_are_deterministic_and_varied():
    a, b, c = generate_maze(15, 15, 7), generate_maze(15, 15, 7), generate_maze(15, 15, 8)
    assert a == b and a.grid != c.grid
    walls = np.array([list(r) for r in generate_maze(31, 31, 0).grid]) == "#"
    assert 0.3 < walls.mean() < 0.6  # a real maze, not an open field or a solid block
    assert set(string.ascii_letters) & set("".join(a.grid)) <= set("SGCcP")


# ---- cell rewards and settings ------------------------------------------------------------------
def test_cell_rewards_parse_format_and_replace_the_tile_reward():
    lv = Level.from_text("reward at 0,1: -1\nreward at 1, 2 : 2.5\nreward at 1,0: 3\nS.c\nc#G\n")
    assert lv.cell_rewards == (((0, 1), -1.0), ((1, 0), 3.0), ((1, 2), 2.5))
    assert lv.reward_at(0, 1) == -1.0 and lv.reward_at(1, 2) == 2.5 and lv.reward_at(0, 2) == 1.0
    assert lv.cell_reward(0, 2) is None
    assert lv.rewards_array().tolist() == [[0.0, -1.0, 1.0], [3.0, 0.0, 2.5]]
    text = lv.to_text()
    assert "reward at 0,1: -1\nreward at 1,0: 3\nreward at 1,2: 2.5\nS.c\n" in text
    assert Level.from_text(text) == lv


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("reward at 0,x: 1\nS.\n", 1, 11, "write a cell reward as 'reward at ROW,COL: value'"),
        ("reward at: 1\nS.\n", 1, 1, "write a cell reward as"),
        ("name: a\nreward at 5,0: 1\nS.\n", 2, 11, "cell (5, 0) is outside the 1x2 grid"),
        ("reward at 0,1: 1\nS#\n", 1, 11, "cell (0, 1) is a wall"),
        ("reward at 0,1: 1\nreward at 0,1: 2\nS.\n", 2, 1, "set twice (first on line 1)"),
        ("reward at 0,1: abc\nS.\n", 1, 16, "reward at 0,1 must be a number, got 'abc'"),
        ("Reward At 0,1:\nS.\n", 1, 15, "reward at 0,1 has no value"),
        ("reward at 0,1: inf\nS.\n", 1, 16, "must be a number"),
    ],
)
def test_cell_reward_errors_have_line_and_column(text, line, column, message):
    with pytest.raises(LevelError) as info:
        Level.from_text(text)
    err = info.value
    assert message in err.message and (err.line, err.column) == (line, column)


def test_cell_reward_edits():
    lv = Level.blank(3, 3).with_cell_reward(1, 1, -2.0)
    assert lv.cell_reward(1, 1) == -2.0 and lv.problems() == []
    assert lv.with_cell_reward(1, 1, None).cell_rewards == ()
    assert lv.with_tile(1, 1, "G").cell_reward(1, 1) is None  # painting makes a fresh tile
    assert lv.with_tile(0, 1, "#").cell_reward(1, 1) == -2.0
    assert lv.resized(1, 3).cell_rewards == ()
    with pytest.raises(LevelError, match="wall"):
        lv.with_tile(0, 1, "#").with_cell_reward(0, 1, 1.0)
    with pytest.raises(LevelError, match="outside"):
        lv.with_cell_reward(3, 0, 1.0)
    bad = Level(grid=("S#", ".."), cell_rewards={(0, 1): 1.0, (3, 3): float("nan")})
    found = bad.problems()
    lines = bad.to_text().split("\n")
    assert [e.cell for e in found] == [(0, 1), (3, 3), (3, 3)]
    assert lines[found[0].line - 1].startswith("reward at 0,1")
    assert lines[found[1].line - 1].startswith("reward at 3,3")


def test_cell_rewards_count_in_warnings():
    assert Level.from_text("reward at 0,2: 5\nS..\n###\n").warnings() == []
    assert Level.from_text("reward at 0,2: 5\nS#.\n..#\n").warnings() == [
        "no goal, cheese or other reward can be reached from the start"]


def test_bundled_levels_unchanged_by_cell_rewards():
    for name in bundled_level_names():
        lv = load_level(name)
        assert lv.cell_rewards == () and "reward at" not in lv.to_text()


def test_a_save_removes_temp_files_of_writers_that_died(tmp_path):
    """kill -9 mid-save leaves ``.name.XXXXXXXX.tmp``; the next save to that folder removes it,
    but never the temp file of a writer still at work (it holds a lock) or a file of another
    pattern."""
    import subprocess
    import sys
    import time

    writer = (
        "import fcntl, os, sys, tempfile, time\n"
        "fd, name = tempfile.mkstemp(prefix='.a.txt.', suffix='.tmp', dir=sys.argv[1])\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, b'x' * 1000)\n"
        "print(name, flush=True)\n"
        "time.sleep(60)\n"
    )
    dead = subprocess.Popen([sys.executable, "-c", writer, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    alive = subprocess.Popen([sys.executable, "-c", writer, str(tmp_path)],
                             stdout=subprocess.PIPE, text=True)
    try:
        dead_name, alive_name = dead.stdout.readline().strip(), alive.stdout.readline().strip()
        dead.kill()  # SIGKILL: no clean-up of its own
        dead.wait(timeout=10)
        keep = tmp_path / ".notes.tmp"  # not our pattern
        keep.write_text("mine")
        old = time.time() - 60
        for name in (dead_name, alive_name, keep):
            os.utime(name, (old, old))
        save_level(load_level("mouse"), tmp_path / "b.txt")
        assert not os.path.exists(dead_name)
        assert os.path.exists(alive_name) and keep.exists()
    finally:
        alive.kill()
        alive.wait(timeout=10)
    young = tmp_path / ".c.txt.abcd1234.tmp"  # unlocked but just created: its writer may be
    young.write_text("x")                      # between mkstemp and flock
    save_level(load_level("mouse"), tmp_path / "b.txt")
    assert young.exists()
