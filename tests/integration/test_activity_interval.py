"""[session] activity_interval: the activity row of a session is written at
most once every N seconds (the bench's setting for a busy store), and at
every request a second apart with the default of 1."""

import time

import pytest

from conftest import handle_of, sqlite_only

pytestmark = [pytest.mark.slow,
              sqlite_only("reads last_seen from the SQLite file")]


def row(g, tok):
    with g.db() as c:
        r = c.execute("SELECT last_seen, expires_at, request_count FROM "
                      "sessions WHERE handle = ?", (handle_of(tok),)).fetchone()
    return dict(r)


def validate_across_a_second(g, tok):
    """Two validates in two different seconds; the row after each."""
    assert g.validate(tok).status == 200
    first = row(g, tok)
    time.sleep(1.1)
    assert g.validate(tok).status == 200
    return first, row(g, tok)


def test_default_writes_every_second(make_gw):
    g = make_gw({"session": {"cookie_age": 600}})
    tok = g.login("alice")
    first, second = validate_across_a_second(g, tok)
    assert second["last_seen"] > first["last_seen"], (first, second)
    assert second["request_count"] == first["request_count"] + 1


def test_interval_skips_writes_but_keeps_sessions_valid(make_gw):
    g = make_gw({"session": {"cookie_age": 600, "activity_interval": 60}})
    tok = g.login("alice")
    first, second = validate_across_a_second(g, tok)
    # login wrote last_seen a moment ago: neither validate rewrote the row
    assert second == first, (first, second)
    # the session is as valid as ever, and the stored expiry never leads
    # the real activity (it lags it by less than the interval)
    assert g.validate(tok).status == 200
    assert second["expires_at"] <= int(time.time()) + 600

