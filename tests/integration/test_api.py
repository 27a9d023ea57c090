"""Routing, error format, cache headers, healthz/metrics, the cache API."""

import pytest

from conftest import is_clearing


def assert_json_error(r, status):
    assert r.status == status, r
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    e = r.json()
    assert isinstance(e.get("error"), str) and e["error"]
    assert isinstance(e.get("message"), str) and e["message"]


def test_healthz(gw):
    r = gw.get("/session/healthz")
    assert r.status == 200
    assert r.body.strip() == b"ok"


def test_metrics(gw):
    gw.get("/session/healthz")
    r = gw.get("/session/metrics")
    assert r.status == 200
    assert "text/plain" in r.header("Content-Type", "")
    assert "sessiongw_" in r.text


@pytest.mark.parametrize("path", ["/session/nope", "/session/validate/x", "/session/login/x",
                                  "/session/healthz/", "/session/../etc/passwd"])
def test_unknown_path_404(gw, path):
    r = gw.get(path)
    if path == "/session/../etc/passwd":
        # nginx normalizes it to /etc/passwd, outside /session/: its own
        # 404 page, never the daemon's JSON
        assert r.status == 404, r
        assert "json" not in r.header("Content-Type", ""), r
        return
    assert_json_error(r, 404)


@pytest.mark.parametrize("method,path,allowed", [
    ("GET", "/session/logout", "POST"),
    ("GET", "/session/logout-all", "POST"),
    ("PUT", "/session/healthz", "GET"),
    ("DELETE", "/session", "GET"),
    ("POST", "/session/sessions", "GET"),
    ("PATCH", "/session/login", "POST"),
])
def test_wrong_method_405(gw, method, path, allowed):
    r = gw.request(method, path)
    assert_json_error(r, 405)
    allow = r.header("Allow")
    assert allow, r.headers
    assert allowed in [a.strip() for a in allow.split(",")], allow


def test_errors_are_json(gw):
    tok = gw.login()
    cases = [
        gw.get("/session"),
        gw.get("/session/sessions"),
        gw.post("/session/logout"),
        gw.post("/session/logout-all"),
        gw.login_response("alice", "bad-password"),
        gw.get("/session/cache/k"),
        gw.get("/session/cache/missing", cookie=tok),
        gw.request("PUT", "/session/cache/bad%20key", body="x", cookie=tok),
        gw.request("PUT", "/session/cache/k?ttl=-1", body="x", cookie=tok),
        gw.request("PUT", "/session/cache/k?ttl=abc", body="x", cookie=tok),
        gw.request("PUT", "/session/global/k", body="x", cookie=tok),
    ]
    for r in cases:
        assert r.status >= 400, r
        assert_json_error(r, r.status)


def test_no_store_and_vary(gw):
    tok = gw.login()
    rs = [
        gw.login_response("alice"),
        gw.validate(tok),
        gw.validate("garbage"),
        gw.get("/session", cookie=tok),
        gw.get("/session"),
        gw.get("/session/sessions", cookie=tok),
    ]
    for r in rs:
        assert "no-store" in (r.header("Cache-Control") or ""), r
        vary = [v.strip().lower() for h in r.headers_all("Vary") for v in h.split(",")]
        assert "cookie" in vary, r


# ---- cache

def test_cache_roundtrip_and_isolation(gw):
    a, b = gw.login("alice"), gw.login("bob")
    r = gw.request("PUT", "/session/cache/prefs.v1", body=b'{"theme":"dark"}', cookie=a,
                   headers={"Content-Type": "application/json"})
    assert r.status == 204, r
    r = gw.get("/session/cache/prefs.v1", cookie=a)
    assert r.status == 200 and r.body == b'{"theme":"dark"}'
    assert r.header("Content-Type").startswith("application/json")
    assert r.header("Cache-Control") == "no-store"
    # bob has his own namespace
    assert gw.get("/session/cache/prefs.v1", cookie=b).status == 404
    assert gw.request("DELETE", "/session/cache/prefs.v1", cookie=b).status == 404
    assert gw.get("/session/cache/prefs.v1", cookie=a).status == 200
    assert gw.request("DELETE", "/session/cache/prefs.v1", cookie=a).status == 204
    assert gw.get("/session/cache/prefs.v1", cookie=a).status == 404


def test_cache_key_rules(gw):
    a = gw.login()
    assert gw.request("PUT", "/session/cache/" + "k" * 250, body="x", cookie=a).status == 204
    assert gw.request("PUT", "/session/cache/" + "k" * 251, body="x", cookie=a).status == 400
    assert gw.request("PUT", "/session/cache/a%2Fb", body="x", cookie=a).status == 400
    assert gw.request("PUT", "/session/cache/", body="x", cookie=a).status == 400
    assert gw.request("PUT", "/session/cache/ok?ttl=31536001", body="x", cookie=a).status == 400
    assert gw.request("PUT", "/session/cache/ok?ttl=0", body="x", cookie=a).status == 204
    assert gw.request("PUT", "/session/cache/empty", body="", cookie=a).status == 204
    r = gw.get("/session/cache/empty", cookie=a)
    assert r.status == 200 and r.body == b""


def test_cache_value_too_large(gw):
    a = gw.login()
    r = gw.request("PUT", "/session/cache/big", body=b"x" * 65537, cookie=a)
    assert_json_error(r, 413)
    assert gw.request("PUT", "/session/cache/big", body=b"x" * 65536, cookie=a).status == 204


def test_global_cache_admin_only(gw):
    a, c = gw.login("alice"), gw.login("carol")
    assert gw.request("PUT", "/session/global/motd", body="hi", cookie=a).status == 403
    assert gw.request("PUT", "/session/global/motd", body="hi", cookie=c).status == 204
    r = gw.get("/session/global/motd", cookie=a)
    assert r.status == 200 and r.body == b"hi"
    assert gw.request("DELETE", "/session/global/motd", cookie=a).status == 403
    assert gw.request("DELETE", "/session/global/motd", cookie=c).status == 204
    assert gw.get("/session/global/motd").status == 401


def test_cache_requires_session(gw):
    assert gw.request("PUT", "/session/cache/k", body="x").status == 401
    r = gw.request("PUT", "/session/cache/k", body="x", cookie="garbage")
    assert r.status == 401
    assert any(is_clearing(a, v) for v, a in r.cookies())
