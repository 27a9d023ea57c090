"""The Redis store goes away and comes back (SPEC "Shared store": fail
closed, resume by itself). Redis is a child process on a unix socket with
AOF (appendfsync always); "killed" is SIGKILL, "back" is a new
redis-server replaying that AOF. The daemon is never restarted."""

import threading
import time

import pytest

from conftest import redis_gateway, timed


@pytest.fixture
def redis_gw():
    with redis_gateway({
            "cache": {"max_entries": 1000000, "max_entries_per_user": 1000000},
            "store": {"redis_timeout_ms": 500}}) as pair:
        yield pair


def test_redis_killed_fails_closed_then_recovers(redis_gw):
    g, srv = redis_gw
    tok = g.login("alice")
    assert g.validate(tok).status == 200
    srv.kill()

    r, dt = timed(lambda: g.validate(tok))
    assert r.status == 500, r
    assert dt < 1.5, dt
    r, dt = timed(lambda: g.get("/session/healthz"))
    assert r.status == 503, r
    assert dt < 1.5, dt
    r, dt = timed(lambda: g.login_response("bob"))
    assert r.status == 503, r
    assert r.json()["error"] == "store_unavailable", r
    assert r.header("Retry-After"), r
    assert dt < 1.5, dt

    # more requests than workers at once: every one answered, none hangs
    out = []

    def one():
        out.append(timed(lambda: g.validate(tok)))
    ts = [threading.Thread(target=one) for _ in range(12)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert len(out) == 12
    assert all(r.status == 500 for r, _ in out), [r.status for r, _ in out]
    assert max(dt for _, dt in out) < 5, [dt for _, dt in out]

    # back from its AOF: the old session validates, no daemon restart
    srv.start()
    assert g.validate(tok).status == 200
    assert g.get("/session/healthz").status == 200
    assert g.login_response("bob").status == 200
    assert g.daemon.poll() is None


def test_acknowledged_writes_survive_kill_restart(redis_gw):
    """8 writer threads PUT cache rows while Redis is killed and restarted
    3 times; every write answered 204 is there afterwards, and every
    session whose login was answered 200 still validates."""
    g, srv = redis_gw
    tok = g.login("alice")
    acked = {}
    sessions = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        i = 0
        while not stop.is_set():
            key, val = "w%d-%d" % (n, i), b"value-%d-%d" % (n, i)
            i += 1
            try:
                r = g.request("PUT", "/session/cache/" + key, body=val, cookie=tok)
            except Exception:  # noqa: BLE001 - a refused request is no ack
                continue
            if r.status == 204:
                with lock:
                    acked[key] = val
            if n == 0 and i % 10 == 0:
                try:
                    r = g.login_response("bob")
                except Exception:  # noqa: BLE001
                    continue
                if r.status == 200:
                    with lock:
                        sessions.append(r.token())

    ts = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in ts:
        t.start()
    try:
        for _ in range(3):
            time.sleep(0.8)
            srv.kill()
            time.sleep(0.4)
            srv.start()
        time.sleep(0.8)
    finally:
        stop.set()
        for t in ts:
            t.join(60)
    assert len(acked) > 50, len(acked)
    missing = []
    for key, val in sorted(acked.items()):
        r = g.get("/session/cache/" + key, cookie=tok)
        if r.status != 200 or r.body != val:
            missing.append((key, r.status))
    assert not missing, (len(missing), missing[:5])
    assert sessions, "no login got through"
    bad = [s for s in sessions if g.validate(s).status != 200]
    assert not bad, len(bad)
    assert g.daemon.poll() is None


def test_daemon_started_while_redis_down_serves_once_it_is_up(redis_gw):
    g, srv = redis_gw
    g.stop_daemon()
    srv.kill()
    g.daemon = None
    g.start_daemon()            # starts anyway, failing closed
    assert "store not reachable yet" in open(g.p("daemon.log")).read()
    assert g.get("/session/healthz").status == 503
    assert g.login_response("alice").status == 503
    srv.start()
    assert g.get("/session/healthz").status == 200
    tok = g.login("alice")
    assert g.validate(tok).status == 200
