"""Idle expiry, absolute expiry, sliding, fixed expiry (few, short sleeps)."""

import time

import pytest

pytestmark = pytest.mark.slow


# The daemon keeps times in whole seconds, so an expiry may come up to 1 s
# early (allowed: never later than cookie_age after the last activity). The
# timings below hold for any sub-second offset.

def test_idle_sliding_absolute(make_gw):
    # idle limit 4 s, absolute 6 s from login.
    g = make_gw({"session": {"cookie_age": 4, "absolute_age": 6}})
    active = g.login("alice")
    idle = g.login("bob")
    t0 = time.monotonic()   # both logins happened before t0

    def at(t):
        d = t0 + t - time.monotonic()
        if d > 0:
            time.sleep(d)

    # a request every 1.5 s keeps a session alive past cookie_age
    for t in (1.5, 3.0, 4.5):
        at(t)
        r = g.validate(active)
        assert r.status == 200, "sliding session refused at t=%.1f: %r" % (t, r)
    # no request for > 4 s: expired
    mark = g.audit_mark()
    r = g.validate(idle)
    assert r.status == 401, "idle session still valid after 4.5 s (cookie_age 4)"
    assert g.wait_audit(mark, "session_expired"), "no session_expired audited"
    # last activity at 4.5 (idle expiry >= 7.5), but 6 s since login
    at(6.5)
    r = g.validate(active)
    assert r.status == 401, "session valid after absolute_age"
    assert g.get("/session", cookie=active).status == 401


def test_fixed_expiry_without_save_every_request(make_gw):
    g = make_gw({"session": {"cookie_age": 4, "absolute_age": 100,
                             "save_every_request": False}})
    tok = g.login()
    t0 = time.monotonic()
    for t in (1.0, 2.0):
        time.sleep(max(0, t0 + t - time.monotonic()))
        assert g.validate(tok).status == 200
    info = g.get("/session", cookie=tok).json()
    assert info["expires_at"] - info["created_at"] <= 4
    # sliding would give >= 2.0 + 3; fixed is <= 4
    time.sleep(max(0, t0 + 4.3 - time.monotonic()))
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
