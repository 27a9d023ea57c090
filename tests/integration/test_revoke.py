"""Revocation: password change, lock, the session list, logout-all, the
CLI's sessions revoke."""

import re

from conftest import USERS, handle_of, is_clearing


def test_user_passwd_revokes(gw):
    t1, t2 = gw.login("bob"), gw.login("bob")
    other = gw.login("alice")
    mark = gw.audit_mark()
    gw.run("user", "passwd", "bob", "--password-stdin", input="pw-bob-new-Kq2%river\n")
    assert gw.validate(t1).status == 401
    assert gw.validate(t2).status == 401
    assert gw.validate(other).status == 200
    assert gw.audit_since(mark, "password_changed")
    # old password refused, new one works
    assert gw.login_response("bob", USERS["bob"][0]).status == 401
    t3 = gw.login("bob", password="pw-bob-new-Kq2%river")
    assert gw.validate(t3).status == 200
    gw.run("user", "passwd", "bob", "--password-stdin", input=USERS["bob"][0] + "\n")
    assert gw.validate(t3).status == 401


def test_user_lock_revokes(gw):
    tok = gw.login("bob")
    gw.run("user", "lock", "bob")
    assert gw.validate(tok).status == 401
    r = gw.login_response("bob")
    assert r.status == 401
    gw.run("user", "unlock", "bob")
    assert gw.validate(tok).status == 401  # unlocking does not revive it
    assert gw.validate(gw.login("bob")).status == 200


def test_user_del_revokes(make_gw):
    g = make_gw()
    tok = g.login("bob")
    g.run("user", "del", "bob")
    assert g.validate(tok).status == 401


def test_session_info(gw):
    tok = gw.login("alice", headers={"User-Agent": "info-agent/1"})
    r = gw.get("/session", cookie=tok)
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    assert "cookie" in (r.header("Vary") or "").lower()
    j = r.json()
    assert j["user"] == "alice"
    assert isinstance(j["user_id"], int)
    assert j["admin"] is False
    for k in ("created_at", "last_seen", "expires_at"):
        assert isinstance(j[k], int), k
    assert j["created_at"] <= j["last_seen"] < j["expires_at"]
    assert j["ip"] == "127.0.0.1"
    assert re.fullmatch(r"[0-9a-f]{12}", j["handle"])
    assert j["handle"] == handle_of(tok), "handle is not sha256(id)[:12]"
    assert gw.get("/session", cookie=gw.login("carol")).json()["admin"] is True
    assert gw.get("/session").status == 401


def test_sessions_list_own_only(gw):
    a1 = gw.login("alice", headers={"User-Agent": "agent-one"})
    a2 = gw.login("alice", headers={"User-Agent": "agent-two"}, source="127.0.0.3")
    b1 = gw.login("bob")
    r = gw.get("/session/sessions", cookie=a1)
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    ss = r.json()["sessions"]
    handles = {s["handle"] for s in ss}
    assert handle_of(a1) in handles and handle_of(a2) in handles
    assert handle_of(b1) not in handles
    for s in ss:
        assert set(s) >= {"handle", "created_at", "last_seen", "ip", "user_agent", "current"}
    cur = [s for s in ss if s["current"]]
    assert len(cur) == 1 and cur[0]["handle"] == handle_of(a1)
    two = [s for s in ss if s["handle"] == handle_of(a2)][0]
    assert two["ip"] == "127.0.0.3" and two["user_agent"] == "agent-two"
    assert gw.get("/session/sessions").status == 401


def test_delete_own_and_other_session(gw):
    a1, a2, b1 = gw.login("alice"), gw.login("alice"), gw.login("bob")
    mark = gw.audit_mark()
    r = gw.request("DELETE", "/session/sessions/" + handle_of(b1), cookie=a1)
    assert r.status == 404, r
    assert set(r.json()) >= {"error", "message"}
    assert gw.validate(b1).status == 200
    r = gw.request("DELETE", "/session/sessions/" + "0" * 12, cookie=a1)
    assert r.status == 404
    r = gw.request("DELETE", "/session/sessions/" + handle_of(a2), cookie=a1)
    assert r.status == 204, r
    assert r.body == b""
    assert gw.validate(a2).status == 401
    assert gw.validate(a1).status == 200
    assert gw.audit_since(mark, "session_revoked")
    assert gw.request("DELETE", "/session/sessions/" + handle_of(a1)).status == 401


def test_logout_all(gw):
    a1, a2, b1 = gw.login("alice"), gw.login("alice"), gw.login("bob")
    mark = gw.audit_mark()
    r = gw.post("/session/logout-all", cookie=a1)
    assert r.status == 200, r
    assert any(is_clearing(a, v) for v, a in r.cookies()), r.headers
    assert gw.validate(a1).status == 401
    assert gw.validate(a2).status == 401
    assert gw.validate(b1).status == 200
    ev = gw.wait_audit(mark, "logout")
    assert ev and ev[0].get("detail", {}).get("all") is True
    assert ev[0]["detail"].get("count", 0) >= 2
    assert gw.post("/session/logout-all", cookie=a1).status == 401


def test_cli_sessions_revoke(gw):
    a, b = gw.login("alice"), gw.login("bob")
    gw.run("sessions", "revoke", handle_of(a))
    assert gw.validate(a).status == 401
    assert gw.validate(b).status == 200
    gw.run("sessions", "revoke", "--user", "bob")
    assert gw.validate(b).status == 401
    out = gw.run("sessions", "list").stdout
    assert handle_of(b) not in out
