"""POST /session/password (SPEC "Second factor and account self-service"):
current password checked (a wrong one counts as a failed login),
min_password_length enforced, every other session revoked, the current one
re-issued with a new id, password_changed audited; the account page form."""

import re

from conftest import COOKIE, handle_of

HTML = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
NEW_PW = "a brand new passphrase 42"


def test_change_json_revokes_others_and_reissues(make_gw):
    gw = make_gw()
    old_pw = gw.users["alice"][0]
    other = gw.login("alice")
    mine = gw.login("alice")
    bobs = gw.login("bob")
    mark = gw.audit_mark()
    r = gw.post("/session/password", {"current_password": old_pw,
                                      "new_password": NEW_PW}, cookie=mine)
    assert r.status == 200, r
    body = r.json()
    assert body["user"] == "alice" and body["revoked"] == 1
    new = r.token()
    assert new and handle_of(new) != handle_of(mine)
    assert gw.validate(new).status == 200
    assert gw.validate(mine).status == 401
    assert gw.validate(other).status == 401
    assert gw.validate(bobs).status == 200
    ev = gw.audit_since(mark, "password_changed")
    assert len(ev) == 1 and ev[0]["user"] == "alice"
    assert ev[0]["detail"]["revoked"] == 1
    text = gw.audit_path.read_text()
    assert NEW_PW not in text and old_pw not in text
    # the new password signs in, the old one does not
    assert gw.login_response("alice", password=NEW_PW).status == 200
    assert gw.login_response("alice", password=old_pw).status == 401


def test_wrong_current_password_counts(make_gw):
    gw = make_gw({"login": {"max_failures": 2}})
    tok = gw.login("alice")
    before = [u["pwhash"] for u in gw.db_rows("users") if u["name"] == "alice"]
    for _ in range(2):
        r = gw.post("/session/password", {"current_password": "not it at all",
                                          "new_password": NEW_PW}, cookie=tok)
        assert r.status == 401 and r.json()["error"] == "bad_credentials", r
    r = gw.post("/session/password", {"current_password": gw.users["alice"][0],
                                      "new_password": NEW_PW}, cookie=tok)
    assert r.status == 429, r
    assert r.header("Retry-After")
    # nothing changed: the same hash, the session still valid
    after = [u["pwhash"] for u in gw.db_rows("users") if u["name"] == "alice"]
    assert after == before
    assert gw.validate(tok).status == 200
    fails = [e for e in gw.audit_events("login_failure")
             if e["detail"].get("reason") == "bad_current_password"]
    assert len(fails) == 2


def test_min_length_and_bad_bodies(gw):
    tok = gw.login("bob")
    pw = gw.users["bob"][0]
    r = gw.post("/session/password", {"current_password": pw,
                                      "new_password": "short"}, cookie=tok)
    assert r.status == 400 and r.json()["error"] == "password_too_short", r
    r = gw.post("/session/password", {"current_password": pw}, cookie=tok)
    assert r.status == 400, r
    r = gw.post("/session/password", {"current_password": pw,
                                      "new_password": 12345678901}, cookie=tok)
    assert r.status == 400, r
    r = gw.post("/session/password", {"current_password": pw,
                                      "new_password": NEW_PW})
    assert r.status == 401
    assert gw.validate(tok).status == 200


def test_change_from_the_account_page(make_gw):
    gw = make_gw()
    tok = gw.login("alice")
    page = gw.get("/session/account", cookie=tok, headers={"Accept": "text/html"})
    assert page.status == 200
    assert 'action="/session/password"' in page.text
    assert 'autocomplete="new-password"' in page.text
    from conftest import form
    r = gw.post("/session/password", form(current_password="wrong one here",
                new_password=NEW_PW), cookie=tok, headers=HTML)
    assert r.status == 401 and "text/html" in r.header("Content-Type"), r
    assert "current password is not right" in r.text
    r = gw.post("/session/password", form(current_password=gw.users["alice"][0],
                new_password=NEW_PW), cookie=tok, headers=HTML)
    assert r.status == 303, r
    assert r.header("Location") == "/session/account"
    new = r.token()
    assert gw.validate(new).status == 200 and gw.validate(tok).status == 401
