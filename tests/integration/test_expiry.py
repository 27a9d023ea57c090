"""Idle expiry, absolute expiry, sliding, fixed expiry (few, short sleeps)."""

import time

import pytest

pytestmark = pytest.mark.slow


def test_idle_sliding_absolute(make_gw):
    # cookie_age 3 s idle, absolute 5 s from login.
    g = make_gw({"session": {"cookie_age": 3, "absolute_age": 5}})
    t0 = time.monotonic()
    active = g.login("alice")
    idle = g.login("bob")

    def at(t):
        d = t0 + t - time.monotonic()
        if d > 0:
            time.sleep(d)

    # active session: a request every 1.5 s keeps it alive past cookie_age
    for t in (1.5, 3.0, 4.5):
        at(t)
        r = g.validate(active)
        assert r.status == 200, "sliding session refused at t=%.1f: %r" % (t, r)
    # idle session: 4.5 s without a request > cookie_age
    mark = g.audit_mark()
    r = g.validate(idle)
    assert r.status == 401, "idle session still valid after 4.5 s (cookie_age 3)"
    assert g.wait_audit(mark, "session_expired"), "no session_expired audited"
    # absolute: last activity 4.5 s (idle expiry 7.5 s) but login + 5 s passed
    at(5.6)
    r = g.validate(active)
    assert r.status == 401, "session valid after absolute_age"
    assert g.get("/session", cookie=active).status == 401


def test_fixed_expiry_without_save_every_request(make_gw):
    g = make_gw({"session": {"cookie_age": 2, "absolute_age": 100,
                             "save_every_request": False}})
    t0 = time.monotonic()
    tok = g.login()
    time.sleep(1.0)
    assert g.validate(tok).status == 200
    r = g.get("/session", cookie=tok)
    assert r.status == 200
    info = r.json()
    assert info["expires_at"] - info["created_at"] <= 2
    time.sleep(max(0, t0 + 2.6 - time.monotonic()))
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
