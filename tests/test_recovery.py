"""A damaged recovery file never stops the app: it is set aside (renamed) with a notice."""

from __future__ import annotations

import json

import pytest

from app.recovery import RecoveryStore, level_to_dict, parse_recovery
from levels.levelfile import load_level


def good_payload() -> dict:
    return {"version": 1, "source": "mouse", "saved_at": 1.7e9,
            "level": level_to_dict(load_level("mouse"))}


def with_level(**changes) -> str:
    payload = good_payload()
    payload["level"].update(changes)
    return json.dumps(payload)


DAMAGED = {
    "a list": "[]",
    "a number": "7",
    "saved_at 1e300": json.dumps({**good_payload(), "saved_at": 1e300}),
    "saved_at NaN": json.dumps(good_payload()).replace('"saved_at": 1700000000.0',
                                                       '"saved_at": NaN'),
    "a 400-digit integer": json.dumps(good_payload()).replace('"saved_at": 1700000000.0',
                                                              '"saved_at": ' + "9" * 400),
    "deep nesting": '{"version": 1, "level": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "rewards a list": with_level(rewards=[1, 2]),
    "name a dict": with_level(name={"a": 1}),
    "grid of numbers": with_level(grid=[1, 2]),
    "a huge grid": with_level(grid=["." * 1000] * 3),
    "max_steps text": with_level(max_steps="many"),
    "cell rewards malformed": with_level(cell_rewards=[[1, 2, 3]]),
    "not UTF-8": b"\xff\xfe{".decode("latin-1"),
    "no level": json.dumps({"version": 1}),
    "version text": json.dumps({**good_payload(), "version": "1"}),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_recovery_file_is_set_aside_with_a_notice(tmp_path, case):
    store = RecoveryStore(tmp_path)
    text = DAMAGED[case]
    store.path.write_bytes(text.encode("latin-1") if case == "not UTF-8" else text.encode())
    before = store.path.read_bytes()
    assert store.load() is None
    assert store.last_error.startswith("The recovery file was damaged (")
    assert "it was set aside as" in store.last_error and store.last_error.count("\n") == 0
    aside = list(tmp_path.glob("recovery.damaged-*.json"))
    assert not store.path.exists() and len(aside) == 1 and aside[0].read_bytes() == before
    store.close()


def test_a_good_file_and_a_newer_format_are_not_set_aside(tmp_path):
    store = RecoveryStore(tmp_path)
    store.path.write_text(json.dumps(good_payload()))
    found = store.load()
    assert found is not None and found.level == load_level("mouse") and "mouse" in found.describe()
    store.path.write_text(json.dumps({**good_payload(), "version": 2}))
    assert store.load() is None and store.last_error is None and store.path.exists()
    assert parse_recovery(json.dumps({**good_payload(), "version": 2}).encode()) is None


def test_the_app_starts_past_a_damaged_recovery_file(tmp_path, monkeypatch):
    from app.app import App

    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(state))
    (state / "recovery.json").write_text(DAMAGED["rewards a list"])
    app = App("mouse", size=(1280, 800))
    try:
        app.run_frames(2)
        assert "recovery file was damaged" in app.status.notice_text
        assert app.level == load_level("mouse")
        assert len(list(state.glob("recovery.damaged-*.json"))) == 1
    finally:
        app.close()
