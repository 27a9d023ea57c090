"""A request refused for its Origin changes nothing (SPEC "HTTP
endpoints"): the Origin check runs before the session and activity stages,
so no activity is recorded and, with ip_change = logout, a forged
cross-site POST from another address cannot end the victim's session.
"""

import time

from conftest import handle_of

BAD = "http://evil.example"


def session_row(g, tok):
    cols = ("last_seen", "request_count", "ip", "user_agent", "expires_at")
    for row in g.db_rows("sessions"):
        if row["handle"] == handle_of(tok):
            return {c: row[c] for c in cols}
    return None


def next_second():
    """Activity is written at most once a second: step into a new one so a
    write by the refused request would show."""
    time.sleep(1.05 - (time.time() % 1.0) + 0.05)


def test_bad_origin_from_other_address_keeps_session(make_gw):
    g = make_gw({"session": {"ip_change": "logout"}})
    tok = g.login()
    assert g.validate(tok).status == 200
    before = session_row(g, tok)
    assert before is not None and before["ip"] == "127.0.0.1"
    next_second()
    mark = g.audit_mark()
    # example-site listens on 127.0.0.1 only: connect there from 127.0.0.2,
    # so nginx's REMOTE_ADDR differs from the session's address
    for path in ("/session/logout", "/session/logout-all"):
        r = g.post(path, cookie=tok, origin=BAD, source="127.0.0.2",
                   headers={"User-Agent": "forger/1.0"})
        assert r.status == 403, r
        assert r.json()["error"] == "bad_origin"
    assert g.wait_audit(mark, "origin_rejected")
    assert g.audit_since(mark, "ip_changed") == []
    assert g.audit_since(mark, "logout") == []
    assert session_row(g, tok) == before
    assert g.validate(tok).status == 200


def test_bad_origin_records_no_activity(make_gw):
    g = make_gw({"session": {"ip_change": "log"}})
    tok = g.login()
    assert g.validate(tok).status == 200
    before = session_row(g, tok)
    next_second()
    r = g.request("DELETE", "/session/cache/k", cookie=tok, origin=BAD,
                  headers={"User-Agent": "forger/1.0"})
    assert r.status == 403, r
    r = g.request("PUT", "/session/cache/k", body=b"x", cookie=tok, origin=BAD)
    assert r.status == 403, r
    assert session_row(g, tok) == before
    # and a good request in this second is recorded (the check can fail)
    assert g.validate(tok).status == 200
    after = session_row(g, tok)
    assert after["request_count"] == before["request_count"] + 1
    assert after["last_seen"] > before["last_seen"]
