"""Cache ttl expiry and the per-user quota (own oldest entry evicted,
never another user's)."""

import time


def test_cache_ttl_expiry(make_gw):
    g = make_gw()
    t = g.login()
    # ttl 2: a ttl-1 row PUT late in a second can be gone by the next GET
    assert g.request("PUT", "/session/cache/short?ttl=2", body="v", cookie=t).status == 204
    assert g.request("PUT", "/session/cache/forever?ttl=0", body="w", cookie=t).status == 204
    assert g.get("/session/cache/short", cookie=t).status == 200
    time.sleep(3.1)
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
