"""A cache value can never run as a page of the site (SPEC "HTTP
endpoints"): every cache GET, user and global, answers with
X-Content-Type-Options: nosniff and Content-Security-Policy: sandbox;
default-src 'none', whatever Content-Type the value was stored with.
"""

import pytest

CSP = "sandbox; default-src 'none'"
PAYLOAD = b"<!doctype html><script>fetch('/session').then(r=>r.text())</script>"


def assert_inert(r):
    assert r.status == 200, r
    assert r.headers_all("X-Content-Type-Options") == ["nosniff"], r.headers
    assert r.headers_all("Content-Security-Policy") == [CSP], r.headers


@pytest.mark.parametrize("ctype", ["text/html", "text/html; charset=utf-8",
                                   "image/svg+xml", "application/octet-stream"])
def test_user_cache_get_is_inert(gw, ctype):
    tok = gw.login()
    r = gw.request("PUT", "/session/cache/page", body=PAYLOAD, cookie=tok,
                   headers={"Content-Type": ctype})
    assert r.status == 204, r
    r = gw.get("/session/cache/page", cookie=tok)
    assert_inert(r)
    assert r.header("Content-Type") == ctype
    assert r.body == PAYLOAD


def test_global_cache_get_is_inert(gw):
    admin = gw.login("carol")
    r = gw.request("PUT", "/session/global/page", body=PAYLOAD, cookie=admin,
                   headers={"Content-Type": "text/html"})
    assert r.status == 204, r
    r = gw.get("/session/global/page", cookie=gw.login("bob"))
    assert_inert(r)
    assert r.body == PAYLOAD


def test_head_carries_the_headers_too(gw):
    tok = gw.login()
    assert gw.request("PUT", "/session/cache/h", body=b"x", cookie=tok,
                      headers={"Content-Type": "text/html"}).status == 204
    r = gw.request("HEAD", "/session/cache/h", cookie=tok)
    assert_inert(r)
