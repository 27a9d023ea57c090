"""Several gateways, one site (SPEC "Shared store"): two daemons, each
behind its own nginx, share one Redis (a redis-server this test starts on
a unix socket) and one secret key. Whatever one gateway does, the other
sees at once: sessions, revokes, users added by the CLI, login limits,
cache quotas; and the isolation rule holds across both."""

import json
import threading

import pytest

from conftest import USERS, Gateway, RedisServer, handle_of, need_redis


@pytest.fixture(scope="module")
def pair():
    need_redis()
    srv = RedisServer().start()
    g1 = g2 = None
    try:
        g1 = Gateway(redis=srv, overrides={"cache": {"max_entries_per_user": 5},
                                          "login": {"max_failures": 3}})
        g1.start()
        # the second one shares the store and the key; no setup (it would
        # clear the sessions) and no users of its own
        g2 = Gateway(redis=srv, overrides={
            "server": {"secret_key_file": g1.key_path},
            "cache": {"max_entries_per_user": 5},
            "login": {"max_failures": 3}})
        g2.start(setup=False)
        yield g1, g2, srv
    finally:
        for g in (g2, g1):
            if g is not None:
                g.close(failed=g.keep)
        srv.close(keep=bool(g1 and g1.keep))


def test_login_through_one_validates_through_other(pair):
    g1, g2, _ = pair
    tok = g1.login("alice")
    r = g2.validate(tok)
    assert r.status == 200, r
    assert r.header("X-Session-User") == "alice"
    tok2 = g2.login("bob")
    r = g1.validate(tok2)
    assert r.status == 200, r
    assert r.header("X-Session-User") == "bob"


def test_revoke_through_one_is_401_through_other(pair):
    g1, g2, _ = pair
    a1, a2 = g1.login("alice"), g2.login("alice")
    assert g2.validate(a1).status == 200
    # revoke a1 by handle through g2, logout a2 through g1
    r = g2.request("DELETE", "/session/sessions/" + handle_of(a1), cookie=a2)
    assert r.status == 204, r
    assert g1.validate(a1).status == 401
    assert g2.validate(a1).status == 401
    assert g1.post("/session/logout", cookie=a2).status == 200
    assert g2.validate(a2).status == 401


def test_sessions_listed_through_both(pair):
    g1, g2, _ = pair
    c1, c2 = g1.login("carol"), g2.login("carol")
    h = {handle_of(c1), handle_of(c2)}
    for g in (g1, g2):
        r = g.get("/session/sessions", cookie=c1)
        assert r.status == 200, r
        listed = {s["handle"] for s in r.json()["sessions"]}
        assert h <= listed, (g.port, listed)
    r = g2.post("/session/logout-all", cookie=c1)
    assert r.status == 200, r
    assert g1.validate(c2).status == 401


def test_user_added_with_one_cli_signs_in_through_other(pair):
    g1, g2, _ = pair
    g2.run("user", "add", "dave", "--password-stdin", input="pw-dave-Lk9%shore\n")
    r = g1.login_response("dave", password="pw-dave-Lk9%shore")
    assert r.status == 200, r
    assert g2.validate(r.token()).header("X-Session-User") == "dave"
    # and deleted through g1's CLI, the session dies on g2 too
    g1.run("user", "del", "dave")
    assert g2.validate(r.token()).status == 401


def test_login_limit_shared(pair):
    g1, g2, _ = pair
    g1.run("user", "add", "erin", "--password-stdin", input="pw-erin-Wq2&field\n")
    for g in (g1, g2, g1):
        r = g.login_response("erin", password="wrong-password")
        assert r.status == 401, r
    # three failures across both gateways: now locked on either
    for g in (g2, g1):
        r = g.login_response("erin", password="pw-erin-Wq2&field")
        assert r.status == 429, r


def test_cache_quota_shared(pair):
    g1, g2, _ = pair
    tok = g1.login("alice")
    for i in range(5):
        g = g1 if i % 2 == 0 else g2
        r = g.request("PUT", "/session/cache/q%d" % i, body=b"v%d" % i, cookie=tok)
        assert r.status == 204, r
    # the sixth key, through g2, evicts alice's oldest (written via g1)
    r = g2.request("PUT", "/session/cache/q5", body=b"v5", cookie=tok)
    assert r.status == 204, r
    assert g1.get("/session/cache/q0", cookie=tok).status == 404
    for i in range(1, 6):
        r = g1.get("/session/cache/q%d" % i, cookie=tok)
        assert r.status == 200, (i, r)
        assert r.body == b"v%d" % i


def test_isolation_across_gateways(pair):
    """alice and bob write the same keys through both gateways at once;
    every read returns the reader's own value, never the other's."""
    g1, g2, _ = pair
    toks = {"alice": g1.login("alice"), "bob": g2.login("bob")}
    foreign = []
    errors = []

    def worker(user, g, n):
        tok = toks[user]
        for i in range(n):
            key = "iso%d" % (i % 4)
            val = ("%s-%d" % (user, i)).encode()
            try:
                r = g.request("PUT", "/session/cache/" + key, body=val, cookie=tok)
                if r.status != 204:
                    errors.append((user, "put", r.status))
                r = g.get("/session/cache/" + key, cookie=tok)
                if r.status == 200 and not r.body.startswith(user.encode() + b"-"):
                    foreign.append((user, key, r.body))
                elif r.status != 200:
                    errors.append((user, "get", r.status))
            except Exception as e:  # noqa: BLE001 - report, not crash the thread
                errors.append((user, "exc", repr(e)))

    ts = [threading.Thread(target=worker, args=(u, g, 40))
          for u in ("alice", "bob") for g in (g1, g2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not foreign, foreign[:5]
    assert not errors, errors[:5]


def test_both_stats_see_one_store(pair):
    g1, g2, _ = pair
    g1.login("alice")
    a = json.loads(g1.run("stats", "--json").stdout)
    b = json.loads(g2.run("stats", "--json").stdout)
    assert a["users"] == b["users"] >= len(USERS)
    assert a["sessions_active"] == b["sessions_active"] >= 1
