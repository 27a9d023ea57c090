"""The per-user and global cache (SPEC "HTTP endpoints", "[cache]",
"Isolation"): Django cache semantics through nginx, key and ttl rules,
quota, culling, and that a read never returns another user's row."""

import re
import time

import pytest

from conftest import USERS


# --------------------------------------------------------------------------
# helpers (local to this file)

CT_JSON = {"Content-Type": "application/json"}
CT_BIN = {"Content-Type": "application/octet-stream"}


def put(g, key, body, tok, ttl=None, headers=None, kind="cache"):
    path = "/session/%s/%s" % (kind, key)
    if ttl is not None:
        path += "?ttl=%s" % ttl
    return g.request("PUT", path, body=body, cookie=tok, headers=headers)


def get(g, key, tok, kind="cache"):
    return g.get("/session/%s/%s" % (kind, key), cookie=tok)


def delete(g, key, tok, kind="cache"):
    return g.request("DELETE", "/session/%s/%s" % (kind, key), cookie=tok)


def assert_json_error(r, status):
    assert r.status == status, r
    assert r.header("Content-Type", "").startswith("application/json"), r
    e = r.json()
    assert isinstance(e.get("error"), str) and e["error"], r
    assert isinstance(e.get("message"), str) and e["message"], r


def assert_private(r):
    """A response carrying cached data must not be kept by shared caches."""
    cc = [v.strip().lower() for h in r.headers_all("Cache-Control") for v in h.split(",")]
    assert "no-store" in cc, r
    vary = [v.strip().lower() for h in r.headers_all("Vary") for v in h.split(",")]
    assert "cookie" in vary, r


def cache_rows(g):
    """The store's cache rows in insertion order, on either backend."""
    return sorted(g.db_rows("cache"), key=lambda r: r["seq"])


def user_ids(g):
    return {u["name"]: u["id"] for u in g.db_rows("users")}


def stats(g):
    r = g.run("stats")
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^\s*([A-Za-z_ ]+?)\s*[:=]?\s+(\d+)\s*$", line)
        if m:
            out[m.group(1).strip().replace(" ", "_")] = int(m.group(2))
    return out, r.stdout


@pytest.fixture(scope="module")
def toks(gw):
    return {u: gw.login(u) for u in USERS}


# --------------------------------------------------------------------------
# round trips

def test_roundtrip_json_content_type(gw, toks):
    a = toks["alice"]
    body = b'{"theme":"dark","n":[1,2,3]}'
    r = put(gw, "prefs.v1", body, a, headers=CT_JSON)
    assert r.status == 204, r
    assert r.body == b""
    r = get(gw, "prefs.v1", a)
    assert r.status == 200, r
    assert r.body == body
    assert r.header("Content-Type").split(";")[0].strip() == "application/json", r
    assert_private(r)


def test_roundtrip_binary_with_nul(gw, toks):
    a = toks["alice"]
    body = bytes(range(256)) + b"\x00\x00tail\x00" + bytes(range(255, -1, -1))
    assert put(gw, "blob_1", body, a, headers=CT_BIN).status == 204
    r = get(gw, "blob_1", a)
    assert r.status == 200, r
    assert r.body == body, "binary value altered (len %d vs %d)" % (len(r.body), len(body))
    assert r.header("Content-Type") == "application/octet-stream"
    assert_private(r)


def test_content_type_is_stored_per_value(gw, toks):
    a = toks["alice"]
    ct = "text/plain; charset=utf-8"
    assert put(gw, "note", "héllo".encode(), a, headers={"Content-Type": ct}).status == 204
    r = get(gw, "note", a)
    assert r.status == 200 and r.body == "héllo".encode()
    assert r.header("Content-Type") == ct
    # overwrite with another type: the new type comes back
    assert put(gw, "note", b"<b>x</b>", a, headers={"Content-Type": "text/html"}).status == 204
    r = get(gw, "note", a)
    assert r.body == b"<b>x</b>" and r.header("Content-Type") == "text/html", r


def test_empty_value_allowed(gw, toks):
    a = toks["alice"]
    assert put(gw, "empty", b"", a, headers=CT_BIN).status == 204
    r = get(gw, "empty", a)
    assert r.status == 200, r
    assert r.body == b""
    assert_private(r)


def test_overwrite(gw, toks):
    a = toks["alice"]
    for i in range(3):
        assert put(gw, "ow", ("v%d" % i).encode(), a).status == 204
        r = get(gw, "ow", a)
        assert r.status == 200 and r.body == ("v%d" % i).encode(), r
    rows = [x for x in cache_rows(gw) if x["key"] == "ow"]
    assert len(rows) == 1, rows


def test_delete_then_404_and_missing_delete_404(gw, toks):
    a = toks["alice"]
    assert put(gw, "gone", b"x", a).status == 204
    assert delete(gw, "gone", a).status == 204
    assert_json_error(get(gw, "gone", a), 404)
    assert_json_error(delete(gw, "gone", a), 404)
    assert_json_error(delete(gw, "never-written", a), 404)
    assert_json_error(get(gw, "never-written", a), 404)


def test_users_do_not_see_each_other(gw, toks):
    a, b = toks["alice"], toks["bob"]
    assert put(gw, "shared-name", b"alice-secret", a).status == 204
    assert get(gw, "shared-name", b).status == 404
    assert delete(gw, "shared-name", b).status == 404
    assert put(gw, "shared-name", b"bob-value", b).status == 204
    assert get(gw, "shared-name", a).body == b"alice-secret"
    assert get(gw, "shared-name", b).body == b"bob-value"
    assert delete(gw, "shared-name", b).status == 204
    assert get(gw, "shared-name", a).body == b"alice-secret"
    # the user cache and the global namespace are separate
    assert get(gw, "shared-name", a, kind="global").status == 404


# --------------------------------------------------------------------------
# ttl

@pytest.mark.slow
def test_ttl_expiry(gw, toks):
    a = toks["alice"]
    # ttl 2, not 1: expiry is in whole seconds, and a PUT late in a second
    # with ttl 1 can expire before the GET right after it (seen under ASan)
    assert put(gw, "short", b"s", a, ttl=2).status == 204
    assert put(gw, "forever", b"f", a, ttl=0).status == 204
    assert put(gw, "dflt", b"d", a).status == 204
    r = get(gw, "short", a)
    assert r.status == 200 and r.body == b"s"
    time.sleep(3.2)
    assert_json_error(get(gw, "short", a), 404)
    assert get(gw, "forever", a).body == b"f"
    assert get(gw, "dflt", a).body == b"d"  # default_timeout 300
    # an expired row is a missing one: DELETE answers 404, and it stays gone
    assert_json_error(delete(gw, "short", a), 404)
    assert get(gw, "short", a).status == 404


def test_ttl_values_stored(gw, toks):
    a = toks["alice"]
    assert put(gw, "t0", b"x", a, ttl=0).status == 204
    assert put(gw, "tdef", b"x", a).status == 204
    assert put(gw, "tempty", b"x", a, ttl="").status == 204   # empty = default
    assert put(gw, "t60", b"x", a, ttl=60).status == 204
    assert put(gw, "tmax", b"x", a, ttl=31536000).status == 204
    ids = user_ids(gw)
    rows = {r["key"]: r for r in cache_rows(gw) if r["scope"] == ids["alice"]}
    assert rows["t0"]["expires_at"] == 0
    for k, span in (("tdef", 300), ("tempty", 300), ("t60", 60), ("tmax", 31536000)):
        row = rows[k]
        assert row["expires_at"] - row["created_at"] == span, (k, row)
    for k in ("t0", "tdef", "tempty", "t60", "tmax"):
        assert get(gw, k, a).status == 200


@pytest.mark.parametrize("ttl", ["-1", "31536001", "abc", "1.5", "1e3", "0x10", "+5",
                                 "99999999999999999999", "5abc"])
def test_bad_ttl_400(gw, toks, ttl):
    a = toks["alice"]
    r = put(gw, "badttl", b"x", a, ttl=ttl)
    assert_json_error(r, 400)
    assert get(gw, "badttl", a).status == 404, "a rejected PUT must store nothing"


# --------------------------------------------------------------------------
# keys

BAD_KEYS = [
    ("slash-encoded", "a%2Fb"),
    ("slash-encoded-lower", "a%2fb"),
    ("nul", "a%00b"),
    ("space", "a%20b"),
    ("unicode", "caf%C3%A9"),
    ("percent-twice", "a%252Fb"),     # nginx decodes once -> "a%2Fb", not decoded again
    ("percent", "a%25"),
    ("question", "a%3Fb"),
    ("hash", "a%23b"),
    ("plus", "a+b"),
    ("semicolon", "a;b"),
    ("comma", "a,b"),
    ("quote", "a%22b"),
    ("backslash", "a%5Cb"),
    ("newline", "a%0Ab"),
    ("tab", "a%09b"),
    ("del", "a%7Fb"),
    ("high-byte", "a%FFb"),
    ("too-long", "k" * 251),
]


@pytest.mark.parametrize("name,key", BAD_KEYS, ids=[n for n, _ in BAD_KEYS])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_bad_key_400(gw, toks, name, key, method):
    a = toks["alice"]
    r = gw.request(method, "/session/cache/" + key, body=b"x" if method == "PUT" else None,
                   cookie=a)
    assert r.status == 400, (name, r)
    if name != "nul" or r.header("Content-Type", "").startswith("application/json"):
        assert_json_error(r, 400)  # nginx itself may reject %00 with its own page


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_empty_key_400(gw, toks, method):
    r = gw.request(method, "/session/cache/", body=b"x" if method == "PUT" else None,
                   cookie=toks["alice"])
    assert_json_error(r, 400)


def test_bad_keys_store_nothing(gw, toks):
    before = len(cache_rows(gw))
    for _, key in BAD_KEYS:
        put(gw, key, b"x", toks["bob"])
    put(gw, "", b"x", toks["bob"])
    ids = user_ids(gw)
    assert all(r["key"] != "" for r in cache_rows(gw))
    assert not [r for r in cache_rows(gw)
                if r["scope"] == ids["bob"] and not re.fullmatch(r"[A-Za-z0-9._:~-]{1,250}", r["key"])]
    assert len(cache_rows(gw)) == before


@pytest.mark.parametrize("key", ["a", "A-Z_a.z:0~9", "a..b", "...", "..x", "x..", "~",
                                 "k" * 250, "key:with:colons", "-_-"])
def test_valid_keys_roundtrip(gw, toks, key):
    a = toks["alice"]
    val = ("value of " + key).encode()
    assert put(gw, key, val, a).status == 204
    r = get(gw, key, a)
    assert r.status == 200 and r.body == val, r
    ids = user_ids(gw)
    assert [x for x in cache_rows(gw) if x["scope"] == ids["alice"] and x["key"] == key]
    assert delete(gw, key, a).status == 204
    assert get(gw, key, a).status == 404


def test_key_decoded_once_by_nginx(gw, toks):
    """%41 arrives as "A" (nginx decodes once); both spellings name one row."""
    a = toks["alice"]
    assert put(gw, "%41b%43", b"decoded", a).status == 204
    r = get(gw, "AbC", a)
    assert r.status == 200 and r.body == b"decoded", r
    ids = user_ids(gw)
    assert [x for x in cache_rows(gw) if x["scope"] == ids["alice"] and x["key"] == "AbC"]
    assert delete(gw, "AbC", a).status == 204


# --------------------------------------------------------------------------
# auth

@pytest.mark.parametrize("method,path", [
    ("GET", "/session/cache/k"), ("PUT", "/session/cache/k"), ("DELETE", "/session/cache/k"),
    ("GET", "/session/global/k"), ("PUT", "/session/global/k"), ("DELETE", "/session/global/k"),
])
@pytest.mark.parametrize("cookie", [None, "garbage", ""])
def test_401_without_session(gw, method, path, cookie):
    r = gw.request(method, path, body=b"x" if method == "PUT" else None, cookie=cookie)
    assert_json_error(r, 401)


def test_401_after_logout_and_nothing_leaks(gw):
    t = gw.login("alice")
    assert put(gw, "pre-logout", b"mine", t).status == 204
    assert gw.post("/session/logout", cookie=t).status == 200
    r = get(gw, "pre-logout", t)
    assert_json_error(r, 401)
    assert b"mine" not in r.body
    t2 = gw.login("alice")
    assert get(gw, "pre-logout", t2).body == b"mine"


# --------------------------------------------------------------------------
# global namespace

def test_global_read_by_anyone_write_by_admin(gw, toks):
    a, b, c = toks["alice"], toks["bob"], toks["carol"]
    assert USERS["carol"][1] and not USERS["alice"][1]
    r = put(gw, "motd", b'{"m":"hello"}', c, headers=CT_JSON, kind="global")
    assert r.status == 204, r
    for t in (a, b, c):
        r = get(gw, "motd", t, kind="global")
        assert r.status == 200 and r.body == b'{"m":"hello"}', r
        assert r.header("Content-Type").startswith("application/json")
        assert_private(r)
    # non-admin writes are refused and change nothing
    assert_json_error(put(gw, "motd", b"pwned", a, kind="global"), 403)
    assert_json_error(put(gw, "new-global", b"pwned", b, kind="global"), 403)
    assert_json_error(delete(gw, "motd", a, kind="global"), 403)
    assert get(gw, "motd", b, kind="global").body == b'{"m":"hello"}'
    assert get(gw, "new-global", c, kind="global").status == 404
    # global rows are not in the users' own namespaces (nor the admin's)
    assert get(gw, "motd", a).status == 404
    assert get(gw, "motd", c).status == 404
    # admin overwrite and delete
    assert put(gw, "motd", b"v2", c, kind="global").status == 204
    assert get(gw, "motd", a, kind="global").body == b"v2"
    assert delete(gw, "motd", c, kind="global").status == 204
    assert_json_error(get(gw, "motd", a, kind="global"), 404)
    assert_json_error(delete(gw, "motd", c, kind="global"), 404)
    # bad keys are 400 in the global namespace too
    assert_json_error(put(gw, "a%20b", b"x", c, kind="global"), 400)
    assert_json_error(get(gw, "a%2Fb", a, kind="global"), 400)
    assert_json_error(put(gw, "ok", b"x", c, ttl="abc", kind="global"), 400)


def test_user_row_with_global_name_not_in_global(gw, toks):
    a, c = toks["alice"], toks["carol"]
    assert put(gw, "only-mine", b"alice", a).status == 204
    assert get(gw, "only-mine", c, kind="global").status == 404
    assert put(gw, "only-mine", b"admin-global", c, kind="global").status == 204
    assert get(gw, "only-mine", a).body == b"alice"
    assert get(gw, "only-mine", a, kind="global").body == b"admin-global"
    assert delete(gw, "only-mine", c, kind="global").status == 204
    assert get(gw, "only-mine", a).body == b"alice"


# --------------------------------------------------------------------------
# size limit

def test_value_too_large_413(make_gw):
    g = make_gw({"cache": {"max_value_bytes": 1024}})
    a, c = g.login("alice"), g.login("carol")
    assert put(g, "fits", b"x" * 1024, a).status == 204
    assert len(get(g, "fits", a).body) == 1024
    assert_json_error(put(g, "big", b"x" * 1025, a), 413)
    assert get(g, "big", a).status == 404
    assert_json_error(put(g, "big", b"y" * 200000, a), 413)
    assert_json_error(put(g, "big", b"y" * 1025, c, kind="global"), 413)
    # an oversize overwrite leaves the old value in place
    assert_json_error(put(g, "fits", b"z" * 5000, a), 413)
    assert get(g, "fits", a).body == b"x" * 1024
    # the daemon still works afterwards
    assert get(g, "fits", a).status == 200


# --------------------------------------------------------------------------
# quota and culling

def test_per_user_quota_evicts_only_own_oldest(make_gw):
    g = make_gw({"cache": {"max_entries_per_user": 3, "max_entries": 1000}})
    a, b = g.login("alice"), g.login("bob")
    for i in range(3):
        assert put(g, "b%d" % i, ("bob-%d" % i).encode(), b).status == 204
    for i in range(5):
        assert put(g, "a%d" % i, ("alice-%d" % i).encode(), a).status == 204
    for i in range(2):
        assert_json_error(get(g, "a%d" % i, a), 404)
    for i in range(2, 5):
        r = get(g, "a%d" % i, a)
        assert r.status == 200 and r.body == ("alice-%d" % i).encode(), r
    for i in range(3):
        r = get(g, "b%d" % i, b)
        assert r.status == 200 and r.body == ("bob-%d" % i).encode(), r
    ids = user_ids(g)
    rows = cache_rows(g)
    assert sorted(r["key"] for r in rows if r["scope"] == ids["alice"]) == ["a2", "a3", "a4"]
    assert sorted(r["key"] for r in rows if r["scope"] == ids["bob"]) == ["b0", "b1", "b2"]
    # overwriting an existing key at quota evicts nothing
    assert put(g, "a2", b"alice-2b", a).status == 204
    rows = cache_rows(g)
    assert sorted(r["key"] for r in rows if r["scope"] == ids["alice"]) == ["a2", "a3", "a4"]
    # same key names as another user count in each user's own quota
    for i in range(3):
        assert put(g, "b%d" % i, ("alice-as-b%d" % i).encode(), a).status == 204
    for i in range(3):
        assert get(g, "b%d" % i, b).body == ("bob-%d" % i).encode()
        assert get(g, "b%d" % i, a).body == ("alice-as-b%d" % i).encode()
    # the global namespace is not a user's quota
    c = g.login("carol")
    for i in range(5):
        assert put(g, "g%d" % i, b"G", c, kind="global").status == 204
    for i in range(5):
        assert get(g, "g%d" % i, a, kind="global").status == 200


def test_global_cull_never_crosses_users(make_gw):
    maxe = 10
    g = make_gw({"cache": {"max_entries": maxe, "cull_frequency": 2,
                           "max_entries_per_user": 100}})
    toks = {u: g.login(u) for u in USERS}
    written = {u: {} for u in USERS}   # user -> key -> value (last written)
    sizes = []
    for rnd in range(6):
        for u, t in toks.items():
            for k in range(4):
                key = "k%d" % k
                val = ("%s|r%d|k%d" % (u, rnd, k)).encode()
                r = put(g, key, val, t)
                assert r.status == 204, r
                written[u][key] = val
                n = len(cache_rows(g))
                sizes.append(n)
                assert n <= maxe, "cache table has %d rows > max_entries %d" % (n, maxe)
            # every read is the caller's own latest value or a miss
            for uu, tt in toks.items():
                for k in range(4):
                    key = "k%d" % k
                    r = get(g, key, tt)
                    if r.status == 404:
                        continue
                    assert r.status == 200, r
                    assert r.body == written[uu].get(key), (
                        "user %s read %r for %s, expected own value %r" % (
                            uu, r.body, key, written[uu].get(key)))
    # culling actually happened (72 writes into 10 slots) and the newest row survived
    assert max(sizes) <= maxe
    rows = cache_rows(g)
    last_u = list(USERS)[-1]
    assert get(g, "k3", toks[last_u]).body == written[last_u]["k3"]
    ids = {v: k for k, v in user_ids(g).items()}
    for r in rows:  # every stored value belongs to its scope's user
        assert r["value"].decode().split("|")[0] == ids[r["scope"]], r


@pytest.mark.slow
def test_cull_drops_expired_first(make_gw):
    maxe = 10
    g = make_gw({"cache": {"max_entries": maxe, "cull_frequency": 2,
                           "max_entries_per_user": 100}})
    a, b = g.login("alice"), g.login("bob")
    # the OLDEST rows are the fresh ones (no expiry) ...
    for i in range(5):
        assert put(g, "fresh%d" % i, ("alice-fresh-%d" % i).encode(), a, ttl=0).status == 204
    # ... then rows that will expire
    for i in range(5):
        assert put(g, "exp%d" % i, b"bob-exp", b, ttl=1).status == 204
    assert len(cache_rows(g)) == maxe
    time.sleep(2.2)
    # table full: this write must drop the expired rows, not the oldest fresh ones
    assert put(g, "new0", b"bob-new", b, ttl=0).status == 204
    rows = cache_rows(g)
    assert len(rows) <= maxe
    keys = sorted(r["key"] for r in rows)
    assert keys == sorted(["fresh%d" % i for i in range(5)] + ["new0"]), keys
    for i in range(5):
        r = get(g, "fresh%d" % i, a)
        assert r.status == 200 and r.body == ("alice-fresh-%d" % i).encode(), r
        assert get(g, "exp%d" % i, b).status == 404
    assert get(g, "new0", b).body == b"bob-new"


def test_cull_without_expired_drops_oldest_fraction(make_gw):
    maxe = 10
    g = make_gw({"cache": {"max_entries": maxe, "cull_frequency": 2,
                           "max_entries_per_user": 100}})
    a, b = g.login("alice"), g.login("bob")
    for i in range(maxe):
        t, u = (a, "alice") if i % 2 == 0 else (b, "bob")
        assert put(g, "n%d" % i, ("%s-%d" % (u, i)).encode(), t, ttl=0).status == 204
    assert len(cache_rows(g)) == maxe
    assert put(g, "last", b"alice-last", a, ttl=0).status == 204
    rows = cache_rows(g)
    # 1/2 of the 10 oldest go (n0..n4), the new row is in
    assert len(rows) == maxe - maxe // 2 + 1, rows
    assert sorted(r["key"] for r in rows) == sorted(["n5", "n6", "n7", "n8", "n9", "last"])
    for i in range(maxe):
        t, u = (a, "alice") if i % 2 == 0 else (b, "bob")
        r = get(g, "n%d" % i, t)
        if i < 5:
            assert r.status == 404, r
        else:
            assert r.body == ("%s-%d" % (u, i)).encode(), r
        # and never visible to the other user
        other = b if t is a else a
        assert get(g, "n%d" % i, other).status == 404


# --------------------------------------------------------------------------
# stats

def test_stats_shows_cache_rows(make_gw):
    g = make_gw({"cleanup": {"interval": 1}})
    a = g.login("alice")
    for i in range(7):
        assert put(g, "s%d" % i, b"x", a).status == 204
    for i in range(7):
        assert get(g, "s%d" % i, a).status == 200        # 7 hits
    for i in range(3):
        assert get(g, "miss%d" % i, a).status == 404     # 3 misses
    st, out = stats(g)
    assert "cache" in out.lower(), out
    rows_key = [k for k in st if "cache" in k.lower() and ("row" in k.lower() or "entr" in k.lower())]
    assert rows_key, out
    assert st[rows_key[0]] == len(cache_rows(g)) == 7, out


def test_stats_shows_hits_and_misses(make_gw):
    """SPEC: `stats` shows hit/miss counts. The hits and misses the daemon
    served must show up there (at the latest once the daemon has stopped
    cleanly)."""
    g = make_gw({"cleanup": {"interval": 1}})
    a = g.login("alice")
    assert put(g, "h", b"x", a).status == 204
    for _ in range(7):
        assert get(g, "h", a).status == 200
    for i in range(3):
        assert get(g, "miss%d" % i, a).status == 404
    st, out = stats(g)
    hk = [k for k in st if "hit" in k.lower()]
    mk = [k for k in st if "miss" in k.lower()]
    assert hk and mk, "stats lacks hit/miss counts:\n" + out
    end = time.monotonic() + 3
    while time.monotonic() < end and not (st[hk[0]] >= 7 and st[mk[0]] >= 3):
        time.sleep(0.3)
        g.get("/session/healthz")  # give a cleanup/flush pass a request to ride on
        st, out = stats(g)
    if not (st[hk[0]] >= 7 and st[mk[0]] >= 3):
        assert g.stop_daemon() == 0
        st, out = stats(g)
    m = g.get("/session/metrics").text if g.daemon.poll() is None else ""
    assert st[hk[0]] >= 7 and st[mk[0]] >= 3, (
        "daemon served 7 hits / 3 misses, `stats` says:\n%s%s" % (out, m))


# --------------------------------------------------------------------------
# methods, Origin, and nothing the client sends names another scope

@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("kind", ["cache", "global"])
def test_other_methods_405(gw, toks, method, kind):
    r = gw.request(method, "/session/%s/k" % kind, body=b"x", cookie=toks["carol"])
    assert_json_error(r, 405)
    allow = [a.strip().upper() for a in (r.header("Allow") or "").split(",")]
    for m in ("GET", "PUT", "DELETE"):
        assert m in allow, r


def test_foreign_origin_put_delete_403(gw, toks):
    a = toks["alice"]
    assert put(gw, "orig", b"kept", a).status == 204
    r = gw.request("PUT", "/session/cache/orig", body=b"evil", cookie=a,
                   origin="http://evil.example")
    assert_json_error(r, 403)
    r = gw.request("DELETE", "/session/cache/orig", cookie=a, origin="http://evil.example")
    assert_json_error(r, 403)
    assert get(gw, "orig", a).body == b"kept"
    r = gw.request("PUT", "/session/cache/orig", body=b"same-origin", cookie=a,
                   origin=gw.origin)
    assert r.status == 204, r
    assert get(gw, "orig", a).body == b"same-origin"


def test_client_cannot_name_another_scope(gw, toks):
    a, b = toks["alice"], toks["bob"]
    ids = user_ids(gw)
    assert put(gw, "scoped", b"bob-only", b).status == 204
    forged = {"X-Session-User": "bob", "X-Session-User-Id": str(ids["bob"]),
              "X-Session-Admin": "1", "X-Scope": str(ids["bob"])}
    for q in ("?scope=%d" % ids["bob"], "?user=bob", "?user_id=%d" % ids["bob"], ""):
        r = gw.get("/session/cache/scoped" + q, cookie=a, headers=forged)
        assert r.status == 404 and b"bob-only" not in r.body, r
    # a forged admin header does not open the global namespace for writing
    assert_json_error(gw.request("PUT", "/session/global/forged", body=b"x", cookie=a,
                                 headers=forged), 403)
    # with the cookie name twice, the first that validates is used: alice
    r = gw.get("/session/cache/scoped", cookie="sessiongw=garbage; sessiongw=%s" % a)
    assert r.status == 404, r
    r = gw.get("/session/cache/scoped", cookie="sessiongw=%s; sessiongw=%s" % (b, a))
    assert r.status == 200 and r.body == b"bob-only", r
    r = gw.get("/session/cache/scoped", cookie="sessiongw=%s; sessiongw=%s" % (a, b))
    assert r.status == 404, r
    # alice's PUT with bob's key name lands in alice's scope only
    assert put(gw, "scoped", b"alice-too", a, headers=forged).status == 204
    assert get(gw, "scoped", b).body == b"bob-only"
    rows = [r for r in cache_rows(gw) if r["key"] == "scoped"]
    assert sorted((r["scope"], r["value"]) for r in rows) == sorted(
        [(ids["alice"], b"alice-too"), (ids["bob"], b"bob-only")])
