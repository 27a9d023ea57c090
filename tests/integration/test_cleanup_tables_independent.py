"""A cleanup pass sweeps each table whatever happened to the one before.

A sessions batch that failed (under load: the store busy with the activity
writes of a whole site) used to end the pass, so expired cache rows were
never swept while the load lasted (bench/README.md, "Cache rows in the
storm"). Here a trigger makes every delete from sessions fail.
"""

import sqlite3
import time

import pytest

from conftest import sqlite_only


@sqlite_only("a trigger on the SQLite file makes the sessions sweep fail")
@pytest.mark.slow
def test_cache_swept_when_sessions_sweep_fails(make_gw):
    g = make_gw({"cleanup": {"interval": 1}})
    g.login("alice")
    uid = g.db_rows("users")[0]["id"]
    c = sqlite3.connect(g.db_path, timeout=10)
    with c:
        c.execute("UPDATE sessions SET expires_at = 1")
        c.execute("INSERT INTO cache (scope, key, value, content_type, "
                  "created_at, expires_at, seq) VALUES "
                  "(?, 'stale', x'00', 'text/plain', 1, 2, 1)", (uid,))
        c.execute("CREATE TRIGGER hold_sessions BEFORE DELETE ON sessions "
                  "BEGIN SELECT RAISE(ABORT, 'held by the test'); END")
    c.close()
    end = time.monotonic() + 5
    while g.db_rows("cache") and time.monotonic() < end:
        g.get("/session/healthz")
        time.sleep(0.3)
    assert g.db_rows("cache") == [], "expired cache row not swept"
    # the sessions sweep really failed: the expired row is still there
    assert g.count_sessions() == 1
