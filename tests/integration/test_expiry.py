"""Idle expiry, absolute expiry, sliding, fixed expiry (few, short sleeps)."""

import time

import pytest

from conftest import is_clearing

pytestmark = pytest.mark.slow


# The daemon keeps times in whole seconds, so an expiry may come up to 1 s
# early (allowed: never later than cookie_age after the last activity). The
# schedules below hold for any sub-second offset and leave about a second
# for a slow request on a loaded machine.


def sleep_until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)


def timed_login(g, user):
    t0 = time.monotonic()
    tok = g.login(user)
    return tok, t0, time.monotonic()


def test_idle_sliding_absolute(make_gw):
    # idle limit 4 s, absolute 8 s from login.
    g = make_gw({"session": {"cookie_age": 4, "absolute_age": 8}})
    active, a0, a1 = timed_login(g, "alice")
    idle, b0, b1 = timed_login(g, "bob")
    # a request every 1.5 s keeps a session alive past cookie_age (4 s)
    for t in (1.5, 3.0, 4.5, 6.0):
        sleep_until(a0 + t)
        r = g.validate(active)
        assert r.status == 200, "sliding session refused at t=%.2f: %r" % (
            time.monotonic() - a0, r)
    # bob: no request since his login, more than cookie_age ago
    sleep_until(b1 + 4.1)
    mark = g.audit_mark()
    r = g.validate(idle)
    assert r.status == 401, "idle session still valid %.2f s after login (cookie_age 4)" % (
        time.monotonic() - b1)
    assert any(is_clearing(a, v) for v, a in r.cookies()), r.headers
    assert g.wait_audit(mark, "session_expired"), "no session_expired audited"
    # alice: last activity at ~6 s (idle expiry >= 9 s), but 8 s since login
    sleep_until(a1 + 8.1)
    r = g.validate(active)
    assert r.status == 401, "session valid %.2f s after login (absolute_age 8)" % (
        time.monotonic() - a1)
    assert g.get("/session", cookie=active).status == 401


def test_fixed_expiry_without_save_every_request(make_gw):
    g = make_gw({"session": {"cookie_age": 5, "absolute_age": 100,
                             "save_every_request": False}})
    tok, t0, t1 = timed_login(g, "alice")
    for t in (1.0, 2.0):
        sleep_until(t1 + t)
        r = g.validate(tok)
        assert r.status == 200, "refused %.2f s after login (cookie_age 5): %r" % (
            time.monotonic() - t0, r)
    info = g.get("/session", cookie=tok).json()
    assert info["expires_at"] - info["created_at"] <= 5
    # fixed: expiry <= login + 5; sliding would give >= 2 - 1 + 5 = 6
    sleep_until(t1 + 5.3)
    assert g.validate(tok).status == 401, "expiry slid with save_every_request = false"


def test_last_seen_and_expires_slide(make_gw):
    g = make_gw({"session": {"cookie_age": 100}})
    tok = g.login()
    a = g.get("/session", cookie=tok).json()
    time.sleep(2.1)
    b = g.get("/session", cookie=tok).json()
    assert b["last_seen"] >= a["last_seen"] + 1
    assert b["expires_at"] >= a["expires_at"] + 1
    assert b["expires_at"] <= b["last_seen"] + 100
    assert b["created_at"] == a["created_at"]
