"""Login limits, the Origin check, IP changes."""

import pytest

from conftest import Gateway


@pytest.fixture(scope="module")
def lg():
    g = Gateway({"login": {"max_failures": 3, "max_failures_per_ip": 3,
                           "window": 300, "lockout": 300}})
    g.start()
    try:
        yield g
    finally:
        g.close(failed=g.keep)


def assert_429(r):
    assert r.status == 429, r
    ra = r.header("Retry-After")
    assert ra and ra.isdigit() and 0 < int(ra) <= 300, r.headers
    assert set(r.json()) >= {"error", "message"}


def test_lockout_per_user(lg):
    mark = lg.audit_mark()
    # failures from different addresses: only the username counter trips
    for i in range(3):
        r = lg.login_response("alice", "wrong", source="127.0.1.%d" % (i + 1))
        assert r.status == 401, (i, r)
    assert len(lg.audit_since(mark, "login_failure")) == 3
    r = lg.login_response("alice", source="127.0.1.9")  # right password
    assert_429(r)
    assert r.cookies() == []
    assert lg.wait_audit(mark, "login_locked")
    # another user from the same addresses is not affected
    assert lg.login_response("bob", source="127.0.1.1").status == 200


def test_lockout_per_ip(lg):
    src = "127.0.2.1"
    for i in range(3):
        r = lg.login_response("nobody%d" % i, "wrong", source=src)
        assert r.status == 401, (i, r)
    r = lg.login_response("carol", source=src)  # right password, locked address
    assert_429(r)
    # the same user from elsewhere is fine
    assert lg.login_response("carol", source="127.0.2.2").status == 200


def test_lockout_form_and_json_alike(lg):
    src = "127.0.3.1"
    for i in range(3):
        lg.login_response("x%d" % i, "wrong", how="form", source=src)
    assert_429(lg.login_response("bob", how="form", source=src))


# ---- Origin

def test_origin_mismatch_logout_403(gw):
    tok = gw.login()
    mark = gw.audit_mark()
    r = gw.post("/session/logout", cookie=tok, origin="http://evil.example")
    assert r.status == 403, r
    assert set(r.json()) >= {"error", "message"}
    assert gw.wait_audit(mark, "origin_rejected")
    assert gw.validate(tok).status == 200
    r = gw.post("/session/logout", cookie=tok, origin=gw.origin)
    assert r.status == 200, r
    assert gw.validate(tok).status == 401


@pytest.mark.parametrize("origin", [
    "http://127.0.0.1",            # port missing
    "http://127.0.0.1:1",          # other port
    "https://127.0.0.1:{port}",    # other scheme
    "http://127.0.0.2:{port}",     # other host
    "null",
    "http://127.0.0.1:{port}.evil.example",
])
def test_origin_variants_rejected(gw, origin):
    tok = gw.login()
    o = origin.format(port=gw.port)
    assert gw.post("/session/logout", cookie=tok, origin=o).status == 403
    assert gw.post("/session/logout-all", cookie=tok, origin=o).status == 403
    assert gw.request("DELETE", "/session/sessions/000000000000", cookie=tok,
                      origin=o).status == 403
    assert gw.validate(tok).status == 200


def test_origin_on_login(gw):
    r = gw.login_response("alice", origin="http://evil.example")
    assert r.status == 403
    assert r.cookies() == []
    assert gw.login_response("alice", origin=gw.origin).status == 200
    assert gw.login_response("alice").status == 200  # no Origin: allowed


def test_origin_follows_host_header(gw):
    tok = gw.login()
    r = gw.post("/session/logout", cookie=tok, host="app.example:8443",
                origin="http://app.example:8443")
    assert r.status == 200, r


def test_allowed_origins(make_gw):
    g = make_gw({"session": {"allowed_origins": "https://sso.example, http://other.example:81"}})
    tok = g.login()
    assert g.post("/session/logout", cookie=tok, origin="https://evil.example").status == 403
    assert g.post("/session/logout", cookie=tok, origin="https://sso.example").status == 200
    tok = g.login()
    assert g.post("/session/logout", cookie=tok, origin="http://other.example:81").status == 200


# ---- IP change

def test_ip_change_log(gw):
    tok = gw.login()  # from 127.0.0.1
    mark = gw.audit_mark()
    r = gw.validate(tok, source="127.0.0.2")
    assert r.status == 200, r
    ev = gw.wait_audit(mark, "ip_changed")
    assert ev, "no ip_changed audited"
    blob = str(ev[0])
    assert "127.0.0.1" in blob and "127.0.0.2" in blob
    assert gw.get("/session", cookie=tok, source="127.0.0.2").json()["ip"] == "127.0.0.2"


def test_ip_change_logout(make_gw):
    g = make_gw({"session": {"ip_change": "logout"}})
    tok = g.login()
    assert g.validate(tok).status == 200
    mark = g.audit_mark()
    r = g.validate(tok, source="127.0.0.2")
    assert r.status == 401, r
    assert g.wait_audit(mark, "ip_changed")
    assert g.validate(tok).status == 401  # destroyed, not just refused once
    r = g.get("/api/data.json", cookie=g.login(), source="127.0.0.2")
    assert r.status == 401
