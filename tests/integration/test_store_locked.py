"""Degrade, don't fail: another process holds the database write-locked.

What an operator does to a live database — an open `sqlite3` shell with a
transaction, a VACUUM, a long migration, a large manual delete — is played
here by a second process holding `BEGIN EXCLUSIVE` (in WAL mode readers
still read). While it lasts:

- validate of a valid session answers 200 promptly through nginx's
  auth_request (the activity write is skipped and counted, not waited for);
- writes (login, cache PUT, logout, revoke) answer 503 + Retry-After with a
  JSON error store_busy within about a second; a browser form gets a page;
- healthz says `degraded (writes failing since ...)`;
- 16 concurrent validate clients all get their answer;

and when the lock goes everything is back with nothing lost. The original
code waited out SQLite's 5 s busy timeout on every one of these and then
answered 500, with healthz saying "ok".
"""
import contextlib
import re
import sqlite3
import subprocess
import sys
import threading
import time

from conftest import APP_MARKER, API_MARKER, FORM_CT, Gateway, form, sqlite_only

pytestmark = sqlite_only("the SQLite write lock (BEGIN EXCLUSIVE from another "
                         "process); Redis has no writer lock")

# Holds the write lock until a line arrives on stdin or `hold` seconds pass.
LOCKER = r"""
import select, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
c.execute("ROLLBACK")
c.close()
"""

# A validate must answer well inside this while the lock is held; the
# original code took 5 s (SQLite's busy timeout) for each.
PROMPT = 1.0
# A write must be refused within this (it waits about 1 s for the lock).
WRITE_BOUND = 1.8


@contextlib.contextmanager
def write_locked(db, hold=20):
    p = subprocess.Popen([sys.executable, "-c", LOCKER, str(db), str(hold)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked", "lock holder failed"
        yield p
    finally:
        try:
            p.stdin.write("\n")
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


def really_locked(db):
    """A write from yet another connection fails at once: the lock is real."""
    c = sqlite3.connect(str(db), isolation_level=None, timeout=0)
    try:
        c.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        return "locked" in str(e)
    else:
        c.execute("ROLLBACK")
        return False
    finally:
        c.close()


def timed(fn, *a, **kw):
    t0 = time.monotonic()
    r = fn(*a, **kw)
    return r, time.monotonic() - t0


def metric(g, name):
    """A counter's value; None when the daemon does not have it."""
    text = g.get("/session/metrics").text
    m = re.search(r"^sessiongw_%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


def session_row(g, token):
    from conftest import handle_of
    with g.db() as c:
        row = c.execute("SELECT last_seen, expires_at, request_count FROM sessions "
                        "WHERE handle = ?", (handle_of(token),)).fetchone()
    return dict(row) if row else None


def assert_busy_503(r, dt, what):
    assert r.status == 503, "%s while locked: %r" % (what, r)
    assert r.json()["error"] == "store_busy", "%s: %r" % (what, r)
    ra = r.header("Retry-After")
    assert ra is not None and ra.isdigit() and int(ra) >= 1, "%s: %r" % (what, r)
    assert dt < WRITE_BOUND, "%s took %.2f s while locked" % (what, dt)


def test_validate_answers_from_the_read_while_locked():
    g = Gateway(threads=4).start()
    try:
        token = g.login("alice")
        time.sleep(1.1)          # the activity write is due on every request
        before = session_row(g, token)
        skipped0 = metric(g, "activity_writes_skipped_total")
        with write_locked(g.db_path):
            assert really_locked(g.db_path)
            worst = 0.0
            end = time.monotonic() + 3.0
            n = 0
            while time.monotonic() < end:
                for path, marker in (("/app/", APP_MARKER), ("/api/data.json", API_MARKER)):
                    r, dt = timed(g.get, path, cookie=token)
                    assert r.status == 200, "%s while locked: %r" % (path, r)
                    assert marker in r.text
                    worst = max(worst, dt)
                    n += 1
                time.sleep(0.2)
            assert worst < PROMPT, "slowest protected page %.2f s while locked" % worst
            # the direct endpoint: 200 with the user, as auth_request sees it
            r, dt = timed(g.validate, token)
            assert r.status == 200 and r.header("X-Session-User") == "alice", r
            assert dt < PROMPT
            # a bad cookie is still refused: nothing is waved through
            assert g.validate("x" + token[1:]).status == 401
            skipped = metric(g, "activity_writes_skipped_total")
            assert skipped is not None and skipped > (skipped0 or 0), skipped
            busy = re.search(r'^sessiongw_store_errors_total\{kind="busy"\} (\d+)$',
                             g.get("/session/metrics").text, re.M)
            assert busy and int(busy.group(1)) >= 1
            # the row was not written during the lock: expiry never slid
            assert session_row(g, token) == before
        # the lock is gone: the skipped write is made by a later request
        deadline = time.monotonic() + 5
        while True:
            assert g.validate(token).status == 200
            after = session_row(g, token)
            if after["last_seen"] > before["last_seen"]:
                break
            assert time.monotonic() < deadline, "activity never written after the lock"
            time.sleep(0.3)
        assert after["expires_at"] > before["expires_at"]
    finally:
        g.close()


def test_writes_answer_503_promptly_and_healthz_degrades():
    g = Gateway(threads=4).start()
    try:
        token = g.login("alice")
        bob = g.login("bob")
        bob_handle = g.get("/session", cookie=bob).json()["handle"]
        r = g.request("PUT", "/session/cache/kept", body=b"before-the-lock", cookie=token,
                      headers={"Content-Type": "text/plain"})
        assert r.status == 204
        mark = g.audit_mark()
        assert g.get("/session/healthz").text.strip() == "ok"
        with write_locked(g.db_path):
            r, dt = timed(g.login_response, "carol")
            assert_busy_503(r, dt, "login")
            assert not r.cookies(), "a refused login must set no cookie: %r" % r
            r, dt = timed(g.request, "PUT", "/session/cache/new", body=b"v", cookie=token,
                          headers={"Content-Type": "text/plain"})
            assert_busy_503(r, dt, "cache PUT")
            r, dt = timed(g.request, "DELETE", "/session/cache/kept", cookie=token)
            assert_busy_503(r, dt, "cache DELETE")
            r, dt = timed(g.request, "DELETE", "/session/sessions/%s" % bob_handle, cookie=bob)
            assert_busy_503(r, dt, "revoke")
            r, dt = timed(g.post, "/session/logout", cookie=token)
            assert_busy_503(r, dt, "logout")
            r, dt = timed(g.post, "/session/logout-all", cookie=bob)
            assert_busy_503(r, dt, "logout-all")
            # a browser's form gets a page, not JSON
            r, dt = timed(g.post, "/session/login",
                          form(username="alice", password=g.users["alice"][0], rd="/app/"),
                          headers=dict(FORM_CT, Accept="text/html"))
            assert r.status == 503 and dt < WRITE_BOUND, r
            assert r.header("Content-Type", "").startswith("text/html"), r
            assert r.header("Retry-After") is not None
            assert "<html" in r.text and "busy" in r.text
            # reads still work
            r = g.get("/session/cache/kept", cookie=token)
            assert r.status == 200 and r.body == b"before-the-lock"
            assert g.get("/session", cookie=token).status == 200
            r, dt = timed(g.get, "/session/healthz")
            assert r.status == 200 and dt < PROMPT, r
            assert re.match(r"degraded \(writes failing since "
                            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)", r.text), r.text
            # the log records the outage, not every request
            time.sleep(0.2)
            ev = g.audit_since(mark, "store_unavailable")
            assert 1 <= len(ev) <= 2, ev
            assert ev[0]["detail"]["kind"] == "busy"
        # back to normal, nothing lost
        r = g.get("/session/healthz")
        assert r.status == 200 and r.text.strip() == "ok", r.text
        assert g.validate(token).status == 200
        assert g.validate(bob).status == 200      # the refused revoke did nothing
        assert g.get("/session/cache/kept", cookie=token).body == b"before-the-lock"
        assert g.request("GET", "/session/cache/new", cookie=token).status == 404
        r = g.request("PUT", "/session/cache/new", body=b"after", cookie=token,
                      headers={"Content-Type": "text/plain"})
        assert r.status == 204
        assert g.login_response("carol").status == 200
        assert g.post("/session/logout", cookie=token).status == 200
        assert g.validate(token).status == 401
    finally:
        g.close()


def test_sixteen_concurrent_validates_all_answered_while_locked():
    g = Gateway(threads=4).start()
    try:
        tokens = [g.login(u) for u in ("alice", "bob", "carol")]
        time.sleep(1.1)
        results = []
        lock = threading.Lock()

        def client(i):
            out = []
            for _ in range(5):
                try:
                    r, dt = timed(g.get, "/app/", cookie=tokens[i % len(tokens)], timeout=15)
                    out.append((r.status, dt))
                except Exception as e:  # a timeout is a starved worker
                    out.append((repr(e), 99.0))
            with lock:
                results.extend(out)

        with write_locked(g.db_path):
            threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            total = time.monotonic() - t0
        assert len(results) == 80
        bad = [x for x in results if x[0] != 200]
        assert not bad, "not all answered 200 while locked: %r" % bad[:5]
        worst = max(dt for _, dt in results)
        # 80 requests on 4 workers: the old code needed 5 s per request
        assert worst < 3.0, "slowest of 80 concurrent validates: %.2f s" % worst
        assert total < 10.0, "80 validates took %.1f s while locked" % total
    finally:
        g.close()
