"""The identity-header snippets (conf/nginx/sessiongw-app-{proxy,uwsgi,
fastcgi}.conf): behind the real nginx and the real daemon, an app reached by
proxy_pass, uwsgi_pass or fastcgi_pass sees X-Session-User / -User-Id /
-Admin of the validated session in a protected location, and never a value
the client sent, in protected and unprotected locations alike."""
import http.server
import json
import re
import struct
import threading

import pytest

from conftest import REPO, FakeFastCGI, Gateway, UnixSocketServer, free_port

SNIPPETS = REPO / "conf" / "nginx"
FORGED = {"X-Session-User": "carol", "X-Session-User-Id": "3",
          "X-Session-Admin": "1"}
IDENT = ("HTTP_X_SESSION_USER", "HTTP_X_SESSION_USER_ID", "HTTP_X_SESSION_ADMIN")


class EchoHTTP(http.server.BaseHTTPRequestHandler):
    """proxy_pass backend: answers the request headers as CGI-style names."""

    def do_GET(self):
        env = {}
        for k, v in self.headers.items():
            env.setdefault("HTTP_" + k.upper().replace("-", "_"), v)
        body = json.dumps({"env": env}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class EchoUwsgi(UnixSocketServer):
    """uwsgi_pass backend on a unix socket: answers the vars it got."""

    def _accepted(self, c):
        with c:
            c.settimeout(5)
            try:
                self._serve(c)
            except (OSError, EOFError):
                pass

    def _serve(self, c):
        _, size, _ = struct.unpack("<BHB", self._read(c, 4))
        data, i, pairs = self._read(c, size), 0, []
        while i < len(data):
            kl = struct.unpack("<H", data[i:i + 2])[0]
            k = data[i + 2:i + 2 + kl].decode("latin-1")
            i += 2 + kl
            vl = struct.unpack("<H", data[i:i + 2])[0]
            v = data[i + 2:i + 2 + vl].decode("latin-1")
            i += 2 + vl
            pairs.append((k, v))
        body = json.dumps({"pairs": pairs}).encode()
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)


class AppGateway(Gateway):
    """The real daemon behind nginx with three app backends, each in a
    protected and a public location that include the matching snippet."""

    def site(self):
        locs = []
        for kind, pass_ in (("proxy", "proxy_pass http://127.0.0.1:%d" % self.http_port),
                            ("uwsgi", "uwsgi_pass unix:%s" % self.p("uwsgi.sock")),
                            ("fastcgi", "fastcgi_pass unix:%s" % self.p("fcgi.sock"))):
            snip = SNIPPETS / ("sessiongw-app-%s.conf" % kind)
            locs.append("""
    location /%(k)s/private/ {
        auth_request /session/validate;
        include %(snip)s;
        %(pass)s;
    }
    location /%(k)s/public/ {
        include %(snip)s;
        %(pass)s;
    }
    location /%(k)s/unsafe/ {
        %(pass)s;
    }""" % {"k": kind, "snip": snip, "pass": pass_})
        return {"LOCATIONS": "".join(locs)}


@pytest.fixture(scope="module")
def app():
    g = AppGateway()
    g.http_port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", g.http_port), EchoHTTP)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    backends = []
    try:
        g.start(daemon=True, setup=True)
        backends = [EchoUwsgi(g.p("uwsgi.sock")), FakeFastCGI(g.p("fcgi.sock"))]
        yield g
    finally:
        g.close(failed=g.keep)
        for b in backends:
            b.close()
        httpd.shutdown()
        httpd.server_close()


def seen(r):
    """The identity vars the app got (first occurrence wins, like apps)."""
    assert r.status == 200, r
    got = r.json()
    if "env" in got:
        env = got["env"]
    else:
        env = {}
        for k, v in got["pairs"]:
            env.setdefault(k, v)
    return {k: env.get(k) for k in IDENT}


KINDS = ["proxy", "uwsgi", "fastcgi"]


@pytest.mark.parametrize("kind", KINDS)
def test_protected_location_passes_the_validated_user(app, kind):
    tok = app.login("alice")
    got = seen(app.get("/%s/private/x" % kind, cookie=tok))
    alice_id = [u for u in app.db_rows("users") if u["name"] == "alice"][0]["id"]
    assert got == {"HTTP_X_SESSION_USER": "alice",
                   "HTTP_X_SESSION_USER_ID": str(alice_id),
                   "HTTP_X_SESSION_ADMIN": "0"}
    # a forged admin header on top of a real session changes nothing
    got = seen(app.get("/%s/private/x" % kind, cookie=tok, headers=FORGED))
    assert got["HTTP_X_SESSION_USER"] == "alice"
    assert got["HTTP_X_SESSION_ADMIN"] == "0"


@pytest.mark.parametrize("kind", KINDS)
def test_forged_headers_never_reach_the_app(app, kind):
    # no session at a protected location: nginx answers 401, no app call
    r = app.get("/%s/private/x" % kind, headers=FORGED)
    assert r.status == 401, r
    # a public location: the app runs, and sees no identity at all
    got = seen(app.get("/%s/public/x" % kind, headers=FORGED))
    expect_absent = None if kind == "proxy" else ""
    assert got == {k: expect_absent for k in IDENT}, got
    # even with a valid session cookie a public location names nobody
    tok = app.login("bob")
    got = seen(app.get("/%s/public/x" % kind, cookie=tok, headers=FORGED))
    assert got == {k: expect_absent for k in IDENT}, got


@pytest.mark.parametrize("kind", KINDS)
def test_location_without_snippet_is_the_hole_it_closes(app, kind):
    # the control: without the include the forged header does get through,
    # so the tests above would catch a snippet that did nothing
    got = seen(app.get("/%s/unsafe/x" % kind, headers=FORGED))
    assert got["HTTP_X_SESSION_USER"] == "carol"


def test_admin_flag(app):
    tok = app.login("carol")
    got = seen(app.get("/proxy/private/x", cookie=tok))
    assert got["HTTP_X_SESSION_USER"] == "carol"
    assert got["HTTP_X_SESSION_ADMIN"] == "1"


def app_locations(text):
    """(header, body) of each location block of an nginx file (no nesting)."""
    return re.findall(r"(location[^{]*)\{([^}]*)\}", text)


@pytest.mark.parametrize("conf", ["conf/nginx/example-site.conf",
                                  "conf/django/nginx-site.conf"])
def test_shipped_sites_include_the_snippet_wherever_they_pass_to_an_app(conf):
    text = re.sub(r"#[^\n]*", "", (REPO / conf).read_text())
    passing = 0
    for head, body in app_locations(text):
        m = re.search(r"\b(proxy|uwsgi|fastcgi)_pass\s+([^;]+);", body)
        if not m or m.group(2).strip() == "sessiongw":
            continue
        passing += 1
        assert "sessiongw-app-%s.conf" % m.group(1) in body, (conf, head)
    assert passing >= 2, "expected a protected and a public app location in " + conf
