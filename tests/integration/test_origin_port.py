"""The Origin check behind a stock Debian nginx (SPEC "HTTP endpoints").

Debian's /etc/nginx/fastcgi_params sends `HTTP_HOST $host`, which drops the
port; the browser's Origin keeps it. The daemon takes the port from
SERVER_PORT then, so a plain `include /etc/nginx/fastcgi_params;` location
works on any port. And a browser form that is refused gets an HTML page,
never raw JSON; API clients keep JSON.
"""

import os
import socket

import pytest

from conftest import FORM_CT, USERS, Gateway, form

STOCK_PARAMS = "/etc/nginx/fastcgi_params"

CSP = ("default-src 'none'; style-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


def _v6_ok():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


V6 = _v6_ok()


class StockGateway(Gateway):
    """nginx with one plain `include fastcgi_params;` location for the daemon,
    as a new user on Debian writes it (no project snippet); also on [::1]
    when the machine has IPv6 loopback."""

    def site(self):
        # the template's site includes a snippet: here an empty one
        (self.tmp / "no-snippet.conf").write_text("")
        v6 = "        listen [::1]:%d;\n" % self.port if V6 else ""
        return {"SNIPPET": self.tmp / "no-snippet.conf", "LOCATIONS": (
            "%s"
            "        server_name localhost;\n"
            "        location /session/ {\n"
            "            include %s;\n"
            "            fastcgi_pass sessiongw;\n"
            "        }\n" % (v6, STOCK_PARAMS))}


@pytest.fixture(scope="module")
def stock():
    if not os.path.exists(STOCK_PARAMS):
        pytest.skip("no " + STOCK_PARAMS)
    with open(STOCK_PARAMS) as f:
        params = f.read()
    # the case this file is about: Debian's file sends $host (no port)
    assert "HTTP_HOST" in params and "$host;" in params, params
    g = StockGateway()
    g.start()
    try:
        yield g
    finally:
        g.close(failed=g.keep)


def sign_in(g, origin, rd="/app/", user="alice", **kw):
    return g.post("/session/login",
                  form(username=user, password=USERS[user][0], rd=rd),
                  headers=FORM_CT, origin=origin, **kw)


def assert_page(r, status):
    assert r.status == status, r
    assert r.header("Content-Type", "").startswith("text/html"), r
    assert r.header("Content-Security-Policy") == CSP, r.headers
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("Referrer-Policy") == "same-origin"
    assert r.text.lstrip().lower().startswith("<!doctype html>"), r.text
    assert '"error"' not in r.text


def test_form_sign_in_with_browser_origin(stock):
    r = sign_in(stock, "http://127.0.0.1:%d" % stock.port)
    assert r.status == 303, r
    assert r.header("Location") == "/app/"
    tok = r.token()
    assert stock.get("/session/validate", cookie=tok).status == 200


def test_json_login_with_browser_origin(stock):
    r = stock.login_response("bob", origin="http://127.0.0.1:%d" % stock.port)
    assert r.status == 200, r
    assert r.json()["user"] == "bob"


@pytest.mark.parametrize("origin", [
    "http://127.0.0.1",               # the port dropped: not this site
    "http://127.0.0.1:1",             # another port
    "https://127.0.0.1:{port}",       # another scheme
    "http://evil.example:{port}",
])
def test_wrong_origin_is_403_page(stock, origin):
    mark = stock.audit_mark()
    r = sign_in(stock, origin.format(port=stock.port))
    assert_page(r, 403)
    assert r.cookies() == []
    assert stock.wait_audit(mark, "origin_rejected")
    assert stock.audit_since(mark, "login_success") == []


def test_wrong_origin_json_client_keeps_json(stock):
    r = stock.login_response("alice", origin="http://127.0.0.1:1")
    assert r.status == 403, r
    assert r.header("Content-Type") == "application/json"
    assert r.json()["error"] == "bad_origin"
    # a form without rd and without Accept: text/html is a script too
    r = stock.post("/session/login", form(username="alice", password="x"),
                   headers=FORM_CT, origin="http://127.0.0.1:1")
    assert r.status == 403, r
    assert r.json()["error"] == "bad_origin"


def test_wrong_origin_accept_html_form_gets_page(stock):
    tok = sign_in(stock, "http://127.0.0.1:%d" % stock.port).token()
    hdrs = dict(FORM_CT, Accept="text/html,application/xhtml+xml,*/*;q=0.8")
    r = stock.post("/session/logout", "", headers=hdrs, cookie=tok,
                   origin="http://evil.example")
    assert_page(r, 403)
    assert stock.get("/session/validate", cookie=tok).status == 200


def test_refused_browser_forms_get_pages(stock):
    html = dict(FORM_CT, Accept="text/html")
    # 404: no such endpoint
    r = stock.post("/session/nope", form(rd="/app/"), headers=FORM_CT)
    assert_page(r, 404)
    # 405: the account page is GET only; Allow is kept
    r = stock.post("/session/account", "a=b", headers=html)
    assert_page(r, 405)
    assert "GET" in r.header("Allow", "")
    # the same requests from a script: JSON
    r = stock.post("/session/nope", "a=b", headers=FORM_CT)
    assert r.status == 404 and r.json()["error"] == "not_found", r
    r = stock.post("/session/account", {"a": "b"}, headers={"Accept": "text/html"})
    assert r.status == 405 and r.json()["error"] == "method_not_allowed", r


def test_locked_out_browser_form_gets_page(make_gw):
    g = make_gw({"login": {"max_failures": 2}})
    for _ in range(2):
        r = g.post("/session/login", form(username="bob", password="wrong", rd="/"),
                   headers=FORM_CT)
        assert r.status == 401, r
    r = g.post("/session/login", form(username="bob", password=USERS["bob"][0], rd="/"),
               headers=FORM_CT)
    assert_page(r, 429)
    assert int(r.header("Retry-After")) > 0


@pytest.mark.skipif(not V6, reason="no IPv6 loopback")
def test_ipv6_host_without_port(stock):
    # http.client sends "Host: [::1]:PORT"; nginx's $host is "[::1]"
    from conftest import http_request
    origin = "http://[::1]:%d" % stock.port
    r = http_request(stock.port, "POST", "/session/login",
                     form(username="alice", password=USERS["alice"][0], rd="/"),
                     headers=FORM_CT, origin=origin, addr="::1")
    assert r.status == 303, r
    r = http_request(stock.port, "POST", "/session/login",
                     form(username="alice", password=USERS["alice"][0], rd="/"),
                     headers=FORM_CT, origin="http://[::1]", addr="::1")
    assert_page(r, 403)
