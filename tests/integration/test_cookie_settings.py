"""Isolation under concurrency, cleanup, cache expiry and quotas, cookie
settings."""

import threading
import time

import pytest

from conftest import http_request


def test_concurrent_validations_stay_isolated(gw):
    toks = {u: [gw.login(u) for _ in range(2)] for u in ("alice", "bob", "carol")}
    errors = []

    def worker(user, tok):
        for i in range(25):
            try:
                if i % 3 == 0:
                    r = gw.get("/session", cookie=tok)
                    ok = r.status == 200 and r.json()["user"] == user
                else:
                    r = gw.validate(tok)
                    ok = r.status == 200 and r.header("X-Session-User") == user
                if not ok:
                    errors.append((user, r))
            except Exception as e:  # a crash or hang is a failure too
                errors.append((user, repr(e)))
    ts = [threading.Thread(target=worker, args=(u, t)) for u, ts_ in toks.items() for t in ts_]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors[:3]


def test_concurrent_cache_isolation(gw):
    users = ("alice", "bob")
    toks = {u: gw.login(u) for u in users}
    errors = []

    def worker(user):
        tok = toks[user]
        for i in range(20):
            val = ("%s-%d" % (user, i)).encode()
            r = gw.request("PUT", "/session/cache/shared-key", body=val, cookie=tok)
            if r.status != 204:
                errors.append(r)
                continue
            r = gw.get("/session/cache/shared-key", cookie=tok)
            if r.status != 200 or not r.body.startswith(user.encode()):
                errors.append((user, r))
    ts = [threading.Thread(target=worker, args=(u,)) for u in users for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors[:3]


@pytest.mark.slow
def test_cleanup_deletes_expired_sessions(make_gw):
    g = make_gw({"session": {"cookie_age": 2, "absolute_age": 100},
                 "cleanup": {"interval": 1}})
    for _ in range(3):
        g.login("alice")
    assert g.count_sessions() == 3
    mark = g.audit_mark()
    time.sleep(2.2)
    fresh = g.login("carol")
    # cleanup runs after a response, at most once per interval
    end = time.monotonic() + 5
    while g.count_sessions() > 1 and time.monotonic() < end:
        g.get("/session/healthz")
        time.sleep(0.3)
    n = g.count_sessions()
    assert n == 1, "%d expired sessions not cleaned up after %.1f s" % (n - 1, time.monotonic() - end + 5)
    assert g.audit_since(mark, "cleanup")
    assert g.validate(fresh).status == 200


def test_cache_ttl_expiry(make_gw):
    g = make_gw()
    t = g.login()
    assert g.request("PUT", "/session/cache/short?ttl=1", body="v", cookie=t).status == 204
    assert g.request("PUT", "/session/cache/forever?ttl=0", body="w", cookie=t).status == 204
    assert g.get("/session/cache/short", cookie=t).status == 200
    time.sleep(2.1)
    assert g.get("/session/cache/short", cookie=t).status == 404
    assert g.get("/session/cache/forever", cookie=t).status == 200


def test_cache_per_user_quota(make_gw):
    g = make_gw({"cache": {"max_entries_per_user": 3}})
    a, b = g.login("alice"), g.login("bob")
    assert g.request("PUT", "/session/cache/b0", body="x", cookie=b).status == 204
    for i in range(3):
        assert g.request("PUT", "/session/cache/k%d" % i, body="x", cookie=a).status == 204
        time.sleep(0.01)
    # at quota: alice's own oldest entry goes, never bob's
    assert g.request("PUT", "/session/cache/k3", body="x", cookie=a).status == 204
    have = [k for k in ("k0", "k1", "k2", "k3")
            if g.get("/session/cache/" + k, cookie=a).status == 200]
    assert len(have) == 3 and "k3" in have, have
    assert g.get("/session/cache/b0", cookie=b).status == 200


def test_cookie_settings(make_gw):
    g = make_gw({"session": {"cookie_name": "sgid", "cookie_secure": True,
                             "cookie_samesite": "Strict", "cookie_domain": "example.test"}})
    r = g.login_response("alice")
    assert r.status == 200
    c = r.cookies("sgid")
    assert len(c) == 1, r.headers
    tok, attrs = c[0]
    assert attrs.get("secure") is True
    assert str(attrs.get("samesite")).lower() == "strict"
    assert attrs.get("domain", "").lstrip(".") == "example.test"
    assert r.cookies("sessionid") == []
    assert g.get("/session/validate", cookie="sgid=%s" % tok).status == 200
    assert g.get("/session/validate", cookie="sessionid=%s" % tok).status == 401


def test_samesite_none_needs_secure(make_gw):
    g = make_gw()
    g.conf.write_text(g.conf.read_text() + "\n[session]\ncookie_samesite = None\n")
    r = g.run("check-config", check=False)
    assert r.returncode == 2, (r.stdout, r.stderr)


def test_https_param_sets_secure(make_gw):
    # nginx passes HTTPS=on only over TLS; fake it with a second server
    # block that hard-codes the param, to check cookie_secure = auto.
    g = make_gw()
    extra = g.p("https.conf")
    port2 = __import__("conftest").free_port()
    extra.write_text(
        "server { listen 127.0.0.1:%d;\n"
        "  location /session/ { fastcgi_param REQUEST_METHOD $request_method;\n"
        "    fastcgi_param CONTENT_TYPE $content_type; fastcgi_param CONTENT_LENGTH $content_length;\n"
        "    fastcgi_param DOCUMENT_URI $document_uri; fastcgi_param QUERY_STRING $query_string;\n"
        "    fastcgi_param REMOTE_ADDR $remote_addr; fastcgi_param HTTP_HOST $http_host;\n"
        "    fastcgi_param HTTPS on; fastcgi_pass sessiongw; } }\n" % port2)
    conf = g.p("nginx.conf")
    g.stop_nginx()
    orig = g.write_nginx_conf
    g.write_nginx_conf = lambda: (orig(), conf.write_text(
        conf.read_text().rstrip().rstrip("}") + "\ninclude %s;\n}\n" % extra))
    g.start_nginx()
    r = http_request(port2, "POST", "/session/login",
                     body={"username": "alice", "password": g.users["alice"][0]})
    assert r.status == 200, r
    (_, attrs), = r.cookies()
    assert attrs.get("secure") is True
    (_, attrs), = g.login_response("alice").cookies()
    assert "secure" not in attrs
