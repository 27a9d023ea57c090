"""Keep me signed in (SPEC [session] remember_age): offered by the form only
when configured; such a session gets a cookie with Max-Age and the longer
idle timeout, both capped by what is left of absolute_age; without it the
session keeps cookie_age and a browser-session cookie."""

import time

import pytest

from conftest import COOKIE, form

HTML = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


def cookie_attrs(r):
    for v in r.headers_all("Set-Cookie"):
        if v.startswith(COOKIE + "="):
            return {a.split("=", 1)[0].strip(): (a.split("=", 1)[1] if "=" in a else True)
                    for a in v.split(";")[1:]}
    return None


def test_not_offered_unless_configured(gw):
    page = gw.get("/session/login").text
    assert 'name="remember"' not in page
    r = gw.post("/session/login", {"username": "alice",
                "password": gw.users["alice"][0], "remember": True})
    assert r.status == 200
    assert "Max-Age" not in cookie_attrs(r)


def test_form_offers_it_and_cookie_gets_max_age(make_gw):
    gw = make_gw({"session": {"remember_age": 86400}})
    page = gw.get("/session/login").text
    assert 'name="remember"' in page and "Keep me signed in" in page
    r = gw.post("/session/login", form(username="alice",
                password=gw.users["alice"][0], remember="1", rd="/"), headers=HTML)
    assert r.status == 303, r
    a = cookie_attrs(r)
    assert a["Max-Age"] == "43200"  # capped by absolute_age (default 43200)
    rows = gw.db_rows("sessions")
    assert len(rows) == 1
    assert rows[0]["remember"] == 1
    assert rows[0]["expires_at"] - rows[0]["created_at"] == 86400
    # without the box: no Max-Age (expire_at_browser_close), cookie_age idle
    r = gw.post("/session/login", form(username="bob",
                password=gw.users["bob"][0], rd="/"), headers=HTML)
    assert "Max-Age" not in cookie_attrs(r)


def test_json_remember_and_invalid_type(make_gw):
    gw = make_gw({"session": {"remember_age": 600}})
    r = gw.post("/session/login", {"username": "alice",
                "password": gw.users["alice"][0], "remember": True})
    assert r.status == 200
    assert cookie_attrs(r)["Max-Age"] == "600"
    r = gw.post("/session/login", {"username": "alice",
                "password": gw.users["alice"][0], "remember": "yes"})
    assert r.status == 400


@pytest.mark.slow
def test_longer_idle_timeout_and_refreshed_max_age(make_gw):
    gw = make_gw({"session": {"remember_age": 60, "cookie_age": 2}})
    plain = gw.login("alice")
    r = gw.post("/session/login", {"username": "bob",
                "password": gw.users["bob"][0], "remember": True})
    kept = r.token()
    time.sleep(3.5)
    assert gw.validate(plain).status == 401
    r = gw.validate(kept)
    assert r.status == 200
    a = cookie_attrs(r)
    assert a is not None and 55 <= int(a["Max-Age"]) <= 60


@pytest.mark.slow
def test_absolute_age_still_applies(make_gw):
    gw = make_gw({"session": {"remember_age": 600, "absolute_age": 3,
                              "cookie_age": 2}})
    r = gw.post("/session/login", {"username": "bob",
                "password": gw.users["bob"][0], "remember": True})
    assert r.status == 200
    assert int(cookie_attrs(r)["Max-Age"]) <= 3
    tok = r.token()
    assert gw.validate(tok).status == 200
    time.sleep(3.5)
    assert gw.validate(tok).status == 401
