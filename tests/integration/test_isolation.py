"""The isolation proof at scale (SPEC "Isolation"): many users, each with
their own session, many concurrent client threads through nginx, thousands
of mixed cache operations on the SAME key names -- and not one response
carries another user's data, not one 5xx.

Run with `pytest -s` to see the scale and the tallies."""

import collections
import http.client
import json
import random
import re
import threading
import time

import pytest

from conftest import COOKIE, Gateway

NUSERS = 24            # >= 20
NADMINS = 2            # the first NADMINS users may write the global namespace
NTHREADS = 8           # >= 8 client threads
OPS_PER_THREAD = 1500  # 8 * 1500 = 12000 operations in the disjoint test
SHARED_OPS_PER_THREAD = 800
KEYS = ["k%d" % i for i in range(10)]
GLOBAL_KEYS = ["g%d" % i for i in range(4)]
DEADLINE = 50          # seconds per sub-test, a guard against hangs

USERS = {"iso%02d" % i: ("pw-iso%02d-%s" % (i, "Xq9!" * 2), i < NADMINS)
         for i in range(NUSERS)}


def ctype_of(user):
    return "application/x-sg-%s" % user


# --------------------------------------------------------------------------
# a kept-alive client per thread


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, token, body=None, headers=None):
        hdrs = {"Cookie": "%s=%s" % (COOKIE, token)}
        hdrs.update(headers or {})
        if body is None and method == "PUT":
            body = b""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            r = self.conn.getresponse()
            data = r.read()
        except Exception:
            self.close()
            raise
        if (r.getheader("Connection") or "").lower() == "close":
            self.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.getheaders(), data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def private_headers(hdrs_list):
    cc = [v.strip().lower() for k, h in hdrs_list if k.lower() == "cache-control"
          for v in h.split(",")]
    vary = [v.strip().lower() for k, h in hdrs_list if k.lower() == "vary"
            for v in h.split(",")]
    return "no-store" in cc and "cookie" in vary


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.failures = []

    def add(self, what):
        with self.lock:
            self.counts[what] += 1

    def fail(self, msg):
        with self.lock:
            self.counts["FAILURE"] += 1
            if len(self.failures) < 50:
                self.failures.append(msg)


# --------------------------------------------------------------------------
# the gateway: 24 users, each logged in with their own JSON login


@pytest.fixture(scope="module")
def iso():
    g = Gateway(overrides={
        # far above 24 users x 10 keys: no eviction, so expectations are exact
        "cache": {"max_entries": 100000, "max_entries_per_user": 1000,
                  "default_timeout": 3600},
        "server": {"threads": NTHREADS},
    }, users=USERS, threads=NTHREADS)
    g.start()
    try:
        toks = {}
        for u in USERS:
            r = g.login_response(u, how="json")
            assert r.status == 200, r
            assert r.json().get("user") == u, r
            toks[u] = r.token()
        assert len(set(toks.values())) == NUSERS
        # who each session is, as the daemon sees it
        for u, t in toks.items():
            r = g.get("/session", cookie=t)
            assert r.status == 200 and r.json()["user"] == u, r
        admin = [u for u, (_, adm) in USERS.items() if adm][0]
        for k in GLOBAL_KEYS:
            r = g.request("PUT", "/session/global/%s" % k, body=("global|%s|0" % k).encode(),
                          cookie=toks[admin], headers={"Content-Type": "text/x-global"})
            assert r.status == 204, r
        yield g, toks
    finally:
        g.close(failed=g.keep)


def db_rows(g):
    """(id -> name, [(scope, key, value, content_type)]) on either backend."""
    ids = {u["id"]: u["name"] for u in g.db_rows("users")}
    rows = [(r["scope"], r["key"], r["value"], r["content_type"])
            for r in g.db_rows("cache")]
    return ids, rows


GLOBAL_RE = re.compile(rb"^global\|(g\d+)\|\d+$")


def check_global_get(tally, who, key, status, hdrs, hl, body, may_miss=False):
    if status == 404 and may_miss:
        return
    if status != 200:
        tally.fail("%s GET global %s -> %d %r" % (who, key, status, body[:200]))
        return
    m = GLOBAL_RE.match(body)
    if not m or m.group(1).decode() != key or hdrs.get("content-type") != "text/x-global":
        tally.fail("%s GET global %s -> foreign body %r ct %r" % (
            who, key, body[:200], hdrs.get("content-type")))
    elif not private_headers(hl):
        tally.fail("%s GET global %s lacks no-store/Vary: %r" % (who, key, hl))


def run_threads(target, n):
    errs = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # noqa: B902 - report everything
            errs.append("thread %d: %r" % (i, e))
    ts = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join(DEADLINE + 10)
    alive = [t for t in ts if t.is_alive()]
    return time.monotonic() - t0, errs, alive


def report(title, tally, users, threads, elapsed):
    ops = sum(v for k, v in tally.counts.items() if k.startswith("op "))
    print("\n=== %s ===" % title)
    print("scale: %d users x %d threads x %d operations (%.1f s, %.0f ops/s)" % (
        users, threads, ops, elapsed, ops / max(elapsed, 1e-6)))
    for k in sorted(tally.counts):
        print("  %-28s %6d" % (k, tally.counts[k]))
    for f in tally.failures[:20]:
        print("  FAIL:", f)
    return ops


# --------------------------------------------------------------------------
# 1. disjoint owners: exact expectations


def test_isolation_disjoint_exact(iso):
    g, toks = iso
    users = list(USERS)
    owned = {i: users[i::NTHREADS] for i in range(NTHREADS)}
    assert sorted(sum(owned.values(), [])) == sorted(users)
    admins = [u for u in users if USERS[u][1]]
    tally = Tally()
    models = {}            # user -> key -> bytes (or absent); only its owner touches it
    gcounter = collections.Counter()
    glock = threading.Lock()
    stop_at = time.monotonic() + DEADLINE

    def worker(i):
        rnd = random.Random(1000 + i)
        cl = Client(g.port)
        mine = owned[i]
        model = {u: {} for u in mine}
        counter = collections.Counter()
        try:
            for n in range(OPS_PER_THREAD):
                if time.monotonic() > stop_at:
                    tally.fail("thread %d hit the deadline after %d ops" % (i, n))
                    break
                u = rnd.choice(mine)
                t = toks[u]
                key = rnd.choice(KEYS)
                path = "/session/cache/" + key
                x = rnd.random()
                if x < 0.38:
                    counter[u] += 1
                    pad = b"~" * rnd.randrange(0, 64)
                    val = ("%s|%s|%d|" % (u, key, counter[u])).encode() + pad + b"\x00" + u.encode()
                    st, h, hl, body = cl.request("PUT", path, t, val,
                                                 {"Content-Type": ctype_of(u)})
                    tally.add("op PUT")
                    tally.add("PUT %d" % st)
                    if st == 204:
                        model[u][key] = val
                    else:
                        tally.fail("%s PUT %s -> %d %r" % (u, key, st, body[:200]))
                elif x < 0.78:
                    st, h, hl, body = cl.request("GET", path, t)
                    tally.add("op GET")
                    tally.add("GET %d" % st)
                    exp = model[u].get(key)
                    if exp is None:
                        if st != 404:
                            tally.fail("%s GET %s: expected 404, got %d %r" % (u, key, st, body[:200]))
                    elif st != 200 or body != exp:
                        tally.fail("%s GET %s: expected own %r, got %d %r" % (
                            u, key, exp[:60], st, body[:200]))
                    elif h.get("content-type") != ctype_of(u):
                        tally.fail("%s GET %s: content type %r" % (u, key, h.get("content-type")))
                    elif not private_headers(hl):
                        tally.fail("%s GET %s: lacks no-store/Vary: %r" % (u, key, hl))
                    if st == 200 and not body.startswith((u + "|").encode()):
                        tally.add("FOREIGN VALUE")
                elif x < 0.90:
                    st, h, hl, body = cl.request("DELETE", path, t)
                    tally.add("op DELETE")
                    tally.add("DELETE %d" % st)
                    exp_st = 204 if key in model[u] else 404
                    if st != exp_st:
                        tally.fail("%s DELETE %s: expected %d, got %d %r" % (u, key, exp_st, st, body[:200]))
                    model[u].pop(key, None)
                elif x < 0.97 or u not in admins:
                    gk = rnd.choice(GLOBAL_KEYS)
                    st, h, hl, body = cl.request("GET", "/session/global/" + gk, t)
                    tally.add("op GET global")
                    tally.add("GET global %d" % st)
                    check_global_get(tally, u, gk, st, h, hl, body)
                else:
                    gk = rnd.choice(GLOBAL_KEYS)
                    with glock:
                        gcounter[gk] += 1
                        v = gcounter[gk]
                    st, h, hl, body = cl.request(
                        "PUT", "/session/global/" + gk, t, ("global|%s|%d" % (gk, v)).encode(),
                        {"Content-Type": "text/x-global"})
                    tally.add("op PUT global")
                    tally.add("PUT global %d" % st)
                    if st != 204:
                        tally.fail("%s PUT global %s -> %d %r" % (u, gk, st, body[:200]))
                if st >= 500:
                    tally.add("5xx")
        finally:
            cl.close()
            models.update(model)

    elapsed, errs, alive = run_threads(worker, NTHREADS)
    ops = report("isolation, disjoint owners (exact expectations)", tally, NUSERS, NTHREADS, elapsed)
    assert not alive, "threads still running after the deadline"
    assert not errs, errs
    assert ops >= 4000, tally.counts
    assert tally.counts["5xx"] == 0, tally.failures
    assert tally.counts["FOREIGN VALUE"] == 0, tally.failures
    assert not tally.failures, "\n".join(tally.failures)
    for op in ("op PUT", "op GET", "op DELETE", "op GET global"):
        assert tally.counts[op] > 0, tally.counts
    assert tally.counts["GET 200"] > 0 and tally.counts["GET 404"] > 0

    # after the storm: each user sees exactly their model, over the API and in the db
    uid_name, rows = db_rows(g)
    stored = collections.defaultdict(dict)
    for scope, key, value, ct in rows:
        if scope == 0:
            continue
        stored[uid_name[scope]][key] = (bytes(value), ct)
    for u in users:
        exp = models[u]
        got = {k: v for k, (v, _) in stored.get(u, {}).items()}
        assert got == exp, "db rows of %s differ from what %s wrote" % (u, u)
        for k, (v, ct) in stored.get(u, {}).items():
            assert v.startswith((u + "|").encode()) and ct == ctype_of(u), (u, k, v, ct)
        for k in KEYS:
            r = g.get("/session/cache/" + k, cookie=toks[u])
            if k in exp:
                assert r.status == 200 and r.body == exp[k], (u, k, r)
            else:
                assert r.status == 404, (u, k, r)
    print("final check: %d users x %d keys match the per-user models; %d rows in the db" % (
        NUSERS, len(KEYS), len(rows)))


# --------------------------------------------------------------------------
# 2. shared users across threads: "the caller's own value, or 404"


def shared_storm(g, toks, title, ops_per_thread=SHARED_OPS_PER_THREAD, global_may_miss=False):
    users = list(toks)
    tally = Tally()
    stop_at = time.monotonic() + DEADLINE

    def worker(i):
        rnd = random.Random(2000 + i)
        cl = Client(g.port)
        try:
            for n in range(ops_per_thread):
                if time.monotonic() > stop_at:
                    tally.fail("thread %d hit the deadline after %d ops" % (i, n))
                    break
                u = rnd.choice(users)
                t = toks[u]
                key = rnd.choice(KEYS)
                path = "/session/cache/" + key
                x = rnd.random()
                if x < 0.4:
                    val = ("%s|%s|t%d|%d" % (u, key, i, n)).encode()
                    st, h, hl, body = cl.request("PUT", path, t, val, {"Content-Type": ctype_of(u)})
                    tally.add("op PUT")
                    tally.add("PUT %d" % st)
                    if st != 204:
                        tally.fail("%s PUT %s -> %d %r" % (u, key, st, body[:200]))
                elif x < 0.8:
                    st, h, hl, body = cl.request("GET", path, t)
                    tally.add("op GET")
                    tally.add("GET %d" % st)
                    if st == 200:
                        if not body.startswith(("%s|%s|" % (u, key)).encode()):
                            tally.add("FOREIGN VALUE")
                            tally.fail("%s GET %s got %r" % (u, key, body[:200]))
                        elif h.get("content-type") != ctype_of(u):
                            tally.fail("%s GET %s content type %r" % (u, key, h.get("content-type")))
                        elif not private_headers(hl):
                            tally.fail("%s GET %s lacks no-store/Vary" % (u, key))
                    elif st != 404:
                        tally.fail("%s GET %s -> %d %r" % (u, key, st, body[:200]))
                elif x < 0.9:
                    st, h, hl, body = cl.request("DELETE", path, t)
                    tally.add("op DELETE")
                    tally.add("DELETE %d" % st)
                    if st not in (204, 404):
                        tally.fail("%s DELETE %s -> %d %r" % (u, key, st, body[:200]))
                else:
                    gk = rnd.choice(GLOBAL_KEYS)
                    st, h, hl, body = cl.request("GET", "/session/global/" + gk, t)
                    tally.add("op GET global")
                    tally.add("GET global %d" % st)
                    check_global_get(tally, u, gk, st, h, hl, body, global_may_miss)
                if st >= 500:
                    tally.add("5xx")
        finally:
            cl.close()

    elapsed, errs, alive = run_threads(worker, NTHREADS)
    ops = report(title, tally, len(users), NTHREADS, elapsed)
    assert not alive, "threads still running after the deadline"
    assert not errs, errs
    assert ops >= 0.95 * NTHREADS * ops_per_thread, tally.counts
    assert tally.counts["5xx"] == 0, tally.failures
    assert tally.counts["FOREIGN VALUE"] == 0, tally.failures
    assert not tally.failures, "\n".join(tally.failures)
    assert tally.counts["GET 200"] > 0
    return tally



def check_db_rows_belong(g, max_rows=None):
    uid_name, rows = db_rows(g)
    for scope, key, value, ct in rows:
        if scope == 0:
            assert GLOBAL_RE.match(bytes(value)), (key, value)
            continue
        u = uid_name[scope]
        assert bytes(value).startswith(("%s|%s|" % (u, key)).encode()), (u, key, value)
        assert ct == ctype_of(u), (u, key, ct)
    if max_rows is not None:
        assert len(rows) <= max_rows, "%d cache rows > max_entries %d" % (len(rows), max_rows)
    return rows


def test_isolation_shared_users(iso):
    g, toks = iso
    shared_storm(g, toks, "isolation, users shared across threads (own value or 404)")
    check_db_rows_belong(g)
    # the sessions are still each user's own
    for u, t in toks.items():
        r = g.get("/session", cookie=t)
        assert r.status == 200 and r.json()["user"] == u, r


def test_isolation_under_quota_and_cull(make_gw):
    """The same storm with a tiny cache: per-user quota evictions and
    whole-table culls of anyone's rows run all the time, yet a read still
    returns only the caller's own value or 404, and the table stays within
    max_entries."""
    maxe = 60
    g = make_gw({"cache": {"max_entries": maxe, "cull_frequency": 3,
                           "max_entries_per_user": 4, "default_timeout": 3600}},
                users=USERS, threads=NTHREADS)
    toks = {u: g.login(u) for u in USERS}
    admin = [u for u, (_, adm) in USERS.items() if adm][0]
    for k in GLOBAL_KEYS:
        r = g.request("PUT", "/session/global/%s" % k, body=("global|%s|0" % k).encode(),
                      cookie=toks[admin], headers={"Content-Type": "text/x-global"})
        assert r.status == 204, r
    tally = shared_storm(g, toks, "isolation under quota (4/user) and cull (max_entries %d)" % maxe,
                         ops_per_thread=600, global_may_miss=True)
    rows = check_db_rows_belong(g, max_rows=maxe)
    per_user = collections.Counter(scope for scope, _, _, _ in rows if scope != 0)
    assert max(per_user.values()) <= 4, per_user
    print("after the storm: %d rows, at most %d per user" % (len(rows), max(per_user.values())))
    # global rows may be culled too ("a cache is not storage"): a miss is fine
    assert tally.counts["GET global 200"] + tally.counts["GET global 404"] == \
        tally.counts["op GET global"]
