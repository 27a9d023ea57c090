"""The nginx side on its own: the snippet and the example site, with no
daemon (fails closed) and with a tiny FastCGI responder that records the
params nginx sends."""

import json
import os
import subprocess

import pytest

from conftest import (API_MARKER, APP_MARKER, NGINX_BIN, REPO, FakeFastCGI,
                      Gateway, is_clearing)

pytestmark = pytest.mark.nginx_only


@pytest.fixture(scope="module")
def bare():
    """nginx only; nothing listens on the upstream socket."""
    g = Gateway().start(daemon=False)
    try:
        yield g
    finally:
        g.close(failed=g.keep)


@pytest.fixture(scope="module")
def fake():
    g = Gateway().start(daemon=False)
    f = FakeFastCGI(g.sock)
    try:
        yield g, f
    finally:
        f.close()
        g.close(failed=g.keep)


def test_static_public_file(bare):
    r = bare.get("/")
    assert r.status == 200 and b"public" in r.body


def test_session_without_daemon_is_502(bare):
    for path in ("/session/healthz", "/session", "/session/login"):
        assert bare.get(path).status == 502, path


def test_protected_fails_closed_without_daemon(bare):
    # auth_request turns an upstream error into 500: nobody gets in.
    r = bare.get("/app/")
    assert r.status == 500
    assert APP_MARKER.encode() not in r.body
    r = bare.get("/api/data.json", cookie="whatever")
    assert r.status == 500
    assert API_MARKER.encode() not in r.body


def test_upstream_snippet_parses():
    """sessiongw-upstream.conf works in the http context with the snippet."""
    import tempfile
    t = tempfile.mkdtemp(prefix="sgw-ngx-")
    try:
        conf = os.path.join(t, "nginx.conf")
        with open(conf, "w") as f:
            f.write("pid %s/nginx.pid;\nevents {}\nhttp {\n include %s;\n"
                    " server { listen 127.0.0.1:1; include %s; }\n}\n" % (
                        t, REPO / "conf/nginx/sessiongw-upstream.conf",
                        REPO / "conf/nginx/sessiongw.conf"))
        r = subprocess.run([NGINX_BIN, "-t", "-p", t, "-c", conf, "-e", t + "/error.log"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    finally:
        import shutil
        shutil.rmtree(t, ignore_errors=True)


def test_app_with_good_cookie_serves_file(fake):
    g, f = fake
    n = len(f.validate_calls())
    r = g.get("/app/", cookie="good")
    assert r.status == 200, r
    assert APP_MARKER.encode() in r.body
    assert r.header("X-Session-User") == "fakeuser"
    assert "sessiongw=good2; Path=/" in r.headers_all("Set-Cookie")
    # one validation per page view, not one per internal redirect
    assert len(f.validate_calls()) - n == 1


def test_app_without_cookie_redirects_to_login(fake):
    g, f = fake
    r = g.get("/app/page.html?x=1&y=2")
    assert r.status == 302
    assert r.header("Location").endswith("/session/login?rd=/app/page.html?x=1&y=2")
    assert APP_MARKER.encode() not in r.body


def test_api_keeps_plain_401_and_clearing_cookie(fake):
    g, f = fake
    r = g.get("/api/data.json", cookie="bad")
    assert r.status == 401
    assert API_MARKER.encode() not in r.body
    cookies = r.cookies()
    assert cookies and is_clearing(cookies[0][1], cookies[0][0]), r.headers


def test_api_with_good_cookie(fake):
    g, f = fake
    r = g.get("/api/data.json", cookie="good")
    assert r.status == 200 and API_MARKER.encode() in r.body


def test_validate_subrequest_params(fake):
    g, f = fake
    n = len(f.requests)
    r = g.request("POST", "/api/data.json", body=b"x" * 5000, cookie="good",
                  headers={"Content-Type": "text/plain"}, source="127.0.0.2")
    # static files do not take POST (405), but the check ran first
    assert r.status in (200, 405)
    new = f.requests[n:]
    assert len(new) == 1
    env = new[0]["env"]
    assert env["DOCUMENT_URI"] == "/session/validate"
    assert env["REQUEST_METHOD"] == "POST"
    assert env.get("CONTENT_LENGTH", "") == ""
    assert new[0]["stdin"] == b""
    assert env["REMOTE_ADDR"] == "127.0.0.2"
    assert env["HTTP_HOST"] == "127.0.0.1:%d" % g.port
    assert len(env.get("REQUEST_ID", "")) == 32


def test_session_params(fake):
    g, f = fake
    r = g.post("/session/login?rd=/app/", body="username=a&password=b",
               headers={"Content-Type": "application/x-www-form-urlencoded",
                        "User-Agent": "ua-test/1", "Accept": "text/html"},
               cookie="sessiongw=abc; other=1", origin=g.origin)
    assert r.status == 200
    got = r.json()
    env = dict(reversed([tuple(p) for p in got["pairs"]]))
    names = [p[0] for p in got["pairs"]]
    assert names.count("HTTP_HOST") == 1, "HTTP_HOST sent twice"
    assert env["HTTP_HOST"] == "127.0.0.1:%d" % g.port  # port kept for the Origin check
    assert env["DOCUMENT_URI"] == "/session/login"
    assert env["QUERY_STRING"] == "rd=/app/"
    assert env["REQUEST_METHOD"] == "POST"
    assert env["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert env["CONTENT_LENGTH"] == str(len("username=a&password=b"))
    assert got["stdin"] == "username=a&password=b"
    assert env["HTTP_COOKIE"] == "sessiongw=abc; other=1"
    assert env["HTTP_ORIGIN"] == g.origin
    assert env["HTTP_USER_AGENT"] == "ua-test/1"
    assert env["HTTP_ACCEPT"] == "text/html"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert "HTTPS" not in env
    assert len(env["REQUEST_ID"]) == 32


def test_exact_session_location(fake):
    g, f = fake
    r = g.get("/session")
    assert r.status == 200
    env = dict(reversed([tuple(p) for p in r.json()["pairs"]]))
    assert env["DOCUMENT_URI"] == "/session"
    # /sessionfoo is not ours
    assert g.get("/sessionfoo").status == 404


def test_body_limit(fake):
    g, f = fake
    r = g.request("PUT", "/session/cache/k", body=b"x" * (1024 * 1024 + 10))
    assert r.status == 413
