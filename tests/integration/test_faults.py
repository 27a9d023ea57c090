"""Faults: a failing database step, a full disk, a killed daemon.

Each must give a precise status (500 JSON on a database fault, 503
store_full on a full disk, never a crash), lose no committed data, and leave the daemon serving.
"""
import os
import signal
import subprocess

import pytest

from conftest import Gateway, move_database, sqlite_only, tmpfs_gateway


def _restart_with_env(g, **env):
    assert g.stop_daemon() == 0
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        g.start_daemon()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@sqlite_only("SESSIONGW_FAULT_STEP fails a SQLite step")
def test_database_fault_is_clean_500():
    """SESSIONGW_FAULT_STEP=N fails the Nth SQLite step of each worker."""
    g = Gateway(threads=1).start()
    try:
        token = g.login("alice")
        _restart_with_env(g, SESSIONGW_FAULT_STEP="3")
        statuses = []
        for _ in range(6):
            r = g.validate(token)
            statuses.append(r.status)
            if r.status == 500:
                assert r.json()["error"] == "internal_error"
                assert token not in r.text
        assert statuses.count(500) == 1, statuses
        assert statuses.count(200) == 5, statuses
        assert g.daemon.poll() is None, "daemon died on a database fault"
        assert g.get("/session/healthz").status == 200
    finally:
        g.close()


@sqlite_only("the database file made unreadable; Redis: test_redis_outage.py")
def test_healthz_503_when_reads_fail():
    """healthz is 503 only when the database cannot be read (its first
    step, the read, is the injected fault), and ok again after."""
    g = Gateway(threads=1).start()
    try:
        _restart_with_env(g, SESSIONGW_FAULT_STEP="1")
        r = g.get("/session/healthz")
        assert r.status == 503, r
        assert "unavailable" in r.text
        r = g.get("/session/healthz")
        assert r.status == 200 and r.text.strip() == "ok", r
    finally:
        g.close()


@sqlite_only("a full tmpfs under the database file; Redis: test_redis_outage.py")
def test_full_disk_gives_503_and_recovers():
    g, full = tmpfs_gateway("600k")
    try:
        token = g.login("alice")
        move_database(g, full)
        assert g.validate(token).status == 200

        # fill the disk with cache rows until the database says no
        value = os.urandom(60000)
        statuses = set()
        stored = []
        for i in range(40):
            r = g.request("PUT", "/session/cache/fill%d?ttl=0" % i, body=value,
                          cookie=token,
                          headers={"Content-Type": "application/octet-stream"})
            statuses.add(r.status)
            if r.status == 204:
                stored.append(i)
            else:
                # a full store is a 503 that says so (test_disk_full_degrades)
                assert r.status == 503, r
                assert r.json()["error"] == "store_full"
                assert r.header("Retry-After") is not None
                break
        assert 503 in statuses, "the disk never filled: %r" % statuses
        assert g.daemon.poll() is None, "daemon died on a full disk"

        # what was stored before the disk filled is intact
        for i in stored[:3]:
            r = g.request("GET", "/session/cache/fill%d" % i, cookie=token)
            assert r.status == 200 and r.body == value

        # make room: the daemon serves again
        for i in stored:
            g.request("DELETE", "/session/cache/fill%d" % i, cookie=token)
        assert g.validate(token).status == 200
        assert g.get("/session/healthz").status == 200
    finally:
        g.close()
        subprocess.run(["umount", "-l", str(full)], capture_output=True)


def test_sigkill_loses_no_committed_session():
    g = Gateway().start()
    try:
        tokens = [g.login(u) for u in ("alice", "bob")]
        g.daemon.send_signal(signal.SIGKILL)
        g.daemon.wait(timeout=10)
        g.start_daemon()            # replaces the stale socket
        for t in tokens:
            assert g.validate(t).status == 200
    finally:
        g.close()


def test_oversized_login_body_413():
    g = Gateway().start()
    try:
        r = g.post("/session/login", b"username=a&password=" + b"x" * 20000,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 413
        assert r.json()["error"] == "too_large"
        assert g.daemon.poll() is None
    finally:
        g.close()
