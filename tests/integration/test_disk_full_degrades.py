"""Degrade, don't fail: the database's disk is full.

The database lives on a small tmpfs filled to the last byte by another
file. Reads work, writes cannot: validate keeps answering 200 from what it
reads (the activity write is skipped and counted), logins and cache writes
answer 503 store_full with Retry-After, healthz says degraded; when room
is made everything works again and nothing committed is lost. The original
code answered validate with 500 as soon as the activity write was due.
"""
import errno
import os
import re
import subprocess
import time

import pytest

from conftest import APP_MARKER, move_database, sqlite_only, tmpfs_gateway

pytestmark = sqlite_only("a full tmpfs under the database file; an unreachable "
                         "Redis: test_redis_outage.py")


def fill(path):
    """Write path until the file system says ENOSPC."""
    chunk = b"\0" * 4096
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                break
        for n in (1024, 256, 64, 1):      # the last scraps too
            while True:
                try:
                    f.write(chunk[:n])
                except OSError:
                    break


def metric_full(g):
    m = re.search(r'^sessiongw_store_errors_total\{kind="full"\} (\d+)$',
                  g.get("/session/metrics").text, re.M)
    return int(m.group(1)) if m else None


@pytest.fixture
def gw_on_tmpfs():
    g, full = tmpfs_gateway("2m")
    try:
        g.token = g.login("alice")
        r = g.request("PUT", "/session/cache/kept?ttl=0", body=b"kept-value",
                      cookie=g.token, headers={"Content-Type": "text/plain"})
        assert r.status == 204
        move_database(g, full)
        g.full = full
        yield g
    finally:
        g.close()
        subprocess.run(["umount", "-l", str(full)], capture_output=True)


def test_full_disk_validate_200_writes_503_healthz_degraded(gw_on_tmpfs):
    g = gw_on_tmpfs
    token = g.token
    assert g.validate(token).status == 200
    assert g.get("/session/healthz").text.strip() == "ok"
    time.sleep(1.1)                 # the activity write is due again
    fill(g.full / "filler")

    # validate answers from the read, promptly, every time
    for _ in range(3):
        t0 = time.monotonic()
        r = g.get("/app/", cookie=token)
        dt = time.monotonic() - t0
        assert r.status == 200 and APP_MARKER in r.text, r
        assert dt < 1.0, "protected page took %.2f s on a full disk" % dt
        time.sleep(0.6)

    # writes say why, and when to come back
    r = g.login_response("bob")
    assert r.status == 503, r
    assert r.json()["error"] == "store_full", r
    assert r.header("Retry-After", "").isdigit(), r
    assert not r.cookies()
    r = g.request("PUT", "/session/cache/new", body=b"x" * 20000, cookie=token,
                  headers={"Content-Type": "text/plain"})
    assert r.status == 503 and r.json()["error"] == "store_full", r

    # reads still work; healthz tells the truth
    r = g.get("/session/cache/kept", cookie=token)
    assert r.status == 200 and r.body == b"kept-value"
    r = g.get("/session/healthz")
    assert r.status == 200 and r.text.startswith("degraded"), r.text
    assert (metric_full(g) or 0) >= 1
    assert g.daemon.poll() is None

    # room again: back to normal, nothing lost
    os.unlink(g.full / "filler")
    assert g.login_response("bob").status == 200
    r = g.request("PUT", "/session/cache/new", body=b"after", cookie=token,
                  headers={"Content-Type": "text/plain"})
    assert r.status == 204, r
    assert g.get("/session/cache/kept", cookie=token).body == b"kept-value"
    assert g.validate(token).status == 200
    deadline = time.monotonic() + 15
    while g.get("/session/healthz").text.strip() != "ok":
        assert time.monotonic() < deadline, "healthz never ok again after the disk emptied"
        time.sleep(0.5)
