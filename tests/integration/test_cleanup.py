"""The periodic cleanup deletes expired sessions (and audits it)."""

import time

import pytest


@pytest.mark.slow
def test_cleanup_deletes_expired_sessions(make_gw):
    g = make_gw({"session": {"cookie_age": 2, "absolute_age": 100},
                 "cleanup": {"interval": 1}})
    for _ in range(3):
        g.login("alice")
    assert g.count_sessions() == 3
    mark = g.audit_mark()
    time.sleep(2.2)
    fresh = g.login("carol")
    # cleanup runs after a response, at most once per interval
    end = time.monotonic() + 5
    while g.count_sessions() > 1 and time.monotonic() < end:
        g.get("/session/healthz")
        time.sleep(0.3)
    n = g.count_sessions()
    assert n == 1, "%d expired sessions not cleaned up after %.1f s" % (n - 1, time.monotonic() - end + 5)
    assert g.audit_since(mark, "cleanup")
    assert g.validate(fresh).status == 200
