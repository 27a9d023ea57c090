"""HTML sign-in pages (SPEC "Browser sign-in"). All marked `html`:
run them alone with `pytest -m html`, skip them with `-m 'not html'`."""

import html
import re

import pytest

from conftest import APP_MARKER, FORM_CT, USERS, form, handle_of, is_clearing

pytestmark = pytest.mark.html

CSP = ("default-src 'none'; style-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


def assert_page(r, status):
    assert r.status == status, r
    assert r.header("Content-Type", "").startswith("text/html"), r.headers
    assert r.header("Content-Security-Policy") == CSP
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("Referrer-Policy") == "same-origin"


def inputs(page):
    """name -> value of every <input> in the page."""
    out = {}
    for tag in re.findall(r"<input\b[^>]*>", page, re.I):
        n = re.search(r'\bname="([^"]*)"', tag)
        v = re.search(r'\bvalue="([^"]*)"', tag)
        if n:
            out[html.unescape(n.group(1))] = html.unescape(v.group(1)) if v else ""
    return out


def location_path(r):
    loc = r.header("Location")
    assert loc, r.headers
    assert not re.match(r"^[a-z]+://", loc, re.I), "Location is not relative: " + loc
    return loc


def browser_login(g, user="alice", rd="/app/", password=None):
    pw = USERS[user][0] if password is None else password
    return g.post("/session/login", form(username=user, password=pw, rd=rd), headers=FORM_CT)


def test_login_page(gw):
    r = gw.get("/session/login?rd=/app/page.html")
    assert_page(r, 200)
    page = r.text
    assert re.search(r"<form\b[^>]*method=\"post\"", page, re.I)
    f = inputs(page)
    assert "username" in f and "password" in f
    assert f.get("rd") == "/app/page.html"
    assert "<script" not in page.lower()
    assert "Sign in" in page  # [ui] title default


def test_login_page_rd_raw_query(gw):
    # nginx's @login passes $request_uri unescaped, & included
    r = gw.get("/session/login?rd=/app/page.html?a=1&b=2")
    assert_page(r, 200)
    assert inputs(r.text).get("rd") == "/app/page.html?a=1&b=2"


def test_login_page_rd_escaped(gw):
    r = gw.get('/session/login?rd=/x"><script>alert(1)</script>')
    assert r.status == 200
    assert "<script>alert(1)" not in r.text
    assert inputs(r.text).get("rd") == '/x"><script>alert(1)</script>'


def test_login_page_stylesheet(gw):
    page = gw.get("/session/login").text
    m = re.search(r'<link\b[^>]*href="([^"]+)"', page)
    assert m, "no stylesheet link"
    href = html.unescape(m.group(1))
    assert href.startswith("/session/static/")
    r = gw.get(href)
    assert r.status == 200
    assert r.header("Content-Type", "").startswith("text/css")
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert gw.get("/session/static/nope.css").status == 404


def test_form_login_redirects_to_rd(gw):
    r = browser_login(gw, rd="/app/page.html?a=1&b=2")
    assert r.status == 303, r
    assert location_path(r) == "/app/page.html?a=1&b=2"
    tok = r.token()
    a = gw.get("/app/page.html", cookie=tok)
    assert a.status == 200 and APP_MARKER.encode() in a.body


def test_form_login_empty_rd(gw):
    r = browser_login(gw, rd="")
    assert r.status == 303
    assert location_path(r) == "/"


def test_form_login_accept_html_without_rd(gw):
    r = gw.post("/session/login", form(username="alice", password=USERS["alice"][0]),
                headers=dict(FORM_CT, Accept="text/html,application/xhtml+xml"))
    assert r.status == 303
    assert location_path(r) == "/"


def test_form_without_rd_is_json_api(gw):
    r = gw.login_response("alice", how="form")
    assert r.status == 200
    assert r.json()["user"] == "alice"


@pytest.mark.parametrize("rd", [
    "//evil.example/",
    "/\\evil.example",
    "https://evil.example/",
    "evil",
    "/a\\b",
    "/a\rb",
    "/a\x7fb",
    "\t/x",
])
def test_unsafe_rd_goes_home(gw, rd):
    mark = gw.audit_mark()
    r = browser_login(gw, rd=rd)
    assert r.status == 303, r
    assert location_path(r) == "/"
    assert gw.wait_audit(mark, "redirect_rejected"), "no redirect_rejected for %r" % rd


def test_login_page_rd_percent_decoded_when_not_slash(gw):
    # https%3A%2F%2Fevil: decoded once, still not local -> home on success
    r = gw.get("/session/login?rd=https%3A%2F%2Fevil.example%2F")
    assert r.status == 200
    rd = inputs(r.text).get("rd")
    assert rd == "https://evil.example/"
    r = gw.get("/session/login?rd=%2Fapp%2F")
    assert inputs(r.text).get("rd") == "/app/"
    # beginning with '/': taken as it is, not decoded
    r = gw.get("/session/login?rd=/app/a%20b%3Fc")
    assert inputs(r.text).get("rd") == "/app/a%20b%3Fc"
    r = browser_login(gw, rd="/app/a%20b%3Fc")
    assert r.status == 303 and location_path(r) == "/app/a%20b%3Fc"


def test_form_login_failure_page(gw):
    r = browser_login(gw, password="definitely-wrong", rd="/app/")
    assert_page(r, 401)
    f = inputs(r.text)
    assert "username" in f and "password" in f
    assert f.get("rd") == "/app/"
    assert f.get("password", "") == ""  # never echoed
    assert "definitely-wrong" not in r.text
    assert r.cookies() == [] or all(is_clearing(a, v) for v, a in r.cookies())
    r2 = browser_login(gw, user="carol", password="definitely-wrong", rd="/app/")
    r3 = gw.post("/session/login", form(username="nosuch", password="x", rd="/app/"),
                 headers=FORM_CT)
    assert r3.status == 401
    # one generic message: the unknown user's page equals a known user's
    strip = lambda p: re.sub(r'value="[^"]*"', "", p)
    assert strip(r3.text) == strip(r2.text.replace("carol", "nosuch"))


def test_form_login_locked_page(make_gw):
    g = make_gw({"login": {"max_failures": 2}})
    for _ in range(2):
        browser_login(g, password="bad")
    r = browser_login(g)
    assert_page(r, 429)
    assert r.header("Retry-After", "").isdigit()


def test_account_page(gw):
    tok = browser_login(gw, rd="/").token()
    other = gw.login("alice", headers={"User-Agent": "other <b>agent</b>"})
    r = gw.get("/session/account", cookie=tok)
    assert_page(r, 200)
    assert r.header("Cache-Control") == "no-store"
    page = r.text
    assert "alice" in page
    assert handle_of(tok) in page and handle_of(other) in page
    assert "<b>agent</b>" not in page and "&lt;b&gt;agent&lt;/b&gt;" in page
    assert "/session/sessions/%s/revoke" % handle_of(other) in page
    assert "/session/logout" in page and "/session/logout-all" in page


def test_account_page_without_session(gw):
    r = gw.get("/session/account")
    assert r.status == 303
    assert location_path(r).startswith("/session/login")
    r = gw.get("/session/account", cookie="garbage")
    assert r.status == 303


def test_form_revoke(gw):
    a1 = browser_login(gw).token()
    a2 = gw.login("alice")
    b1 = gw.login("bob")
    r = gw.post("/session/sessions/%s/revoke" % handle_of(b1), "", cookie=a1, headers=FORM_CT)
    assert r.status == 404
    assert gw.validate(b1).status == 200
    r = gw.post("/session/sessions/%s/revoke" % handle_of(a2), "", cookie=a1, headers=FORM_CT)
    assert r.status == 303, r
    assert location_path(r).startswith("/session/account")
    assert gw.validate(a2).status == 401
    assert gw.validate(a1).status == 200
    r = gw.post("/session/sessions/%s/revoke" % handle_of(a1), "", cookie=a1, headers=FORM_CT)
    assert r.status == 303
    assert location_path(r).startswith("/session/login")
    assert gw.validate(a1).status == 401
    r = gw.post("/session/sessions/%s/revoke" % handle_of(b1), "", headers=FORM_CT)
    assert r.status == 303
    assert location_path(r).startswith("/session/login")
    r = gw.post("/session/sessions/%s/revoke" % handle_of(b1), "", cookie=gw.login(),
                headers=FORM_CT, origin="http://evil.example")
    assert r.status == 403
    assert gw.validate(b1).status == 200


def test_form_logout_and_logout_all(gw):
    tok = browser_login(gw).token()
    r = gw.post("/session/logout", "x=1", cookie=tok, headers=FORM_CT, origin=gw.origin)
    assert r.status == 303, r
    assert location_path(r).startswith("/session/login")
    assert gw.validate(tok).status == 401
    t1, t2 = browser_login(gw).token(), gw.login()
    r = gw.post("/session/logout-all", "x=1", cookie=t1, headers=FORM_CT)
    assert r.status == 303
    assert gw.validate(t1).status == 401 and gw.validate(t2).status == 401
    # an empty body keeps the JSON answer
    t3 = gw.login()
    r = gw.post("/session/logout", cookie=t3)
    assert r.status == 200


def test_browser_flow_through_nginx(gw):
    r = gw.get("/app/page.html?q=1")
    assert r.status == 302
    loc = r.header("Location")
    path = loc[loc.index("/session/login"):]
    page = gw.get(path)
    assert page.status == 200
    rd = inputs(page.text)["rd"]
    assert rd == "/app/page.html?q=1"
    r = browser_login(gw, rd=rd)
    assert r.status == 303 and location_path(r) == rd
    a = gw.get(rd, cookie=r.token())
    assert a.status == 200 and APP_MARKER.encode() in a.body


def test_ui_title(make_gw):
    g = make_gw({"ui": {"title": "Example <Corp>"}})
    page = g.get("/session/login").text
    assert "Example &lt;Corp&gt;" in page and "Example <Corp>" not in page
