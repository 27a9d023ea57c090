"""Concurrent requests of several users through nginx stay each user's
own: validations and cache reads never answer with another user's data."""

import threading


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
