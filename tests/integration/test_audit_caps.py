"""The audit log cannot be used to fill the disk (SPEC "Audit log").

Client-controlled text is cut to 512 bytes in every field of a line, and the
events anyone can cause without a session (origin_rejected, login_locked,
...) are capped per second; the next line of the event written carries the
number left out (detail.suppressed), so lines + suppressed = events exactly.

Before the cap, 200 requests with a 7 KB User-Agent added about 1.4 MB per
event type. The figure "audit bytes under the flood" is printed (pytest -s).
"""
import threading
import time

from conftest import Gateway

N = 200
THREADS = 8
CAP = 20                      # lines per second per capped event (audit.c)
TEXT_MAX = 512                # bytes of client text per field
# A line carries at most a few clipped fields plus fixed keys; JSON escaping
# of the test's text is 1:1 (printable, non-ASCII kept as UTF-8).
LINE_MAX = 4 * TEXT_MAX + 600
# About 7 KB of User-Agent: ASCII, then two-byte characters, so that the cut
# has to land on a character boundary.
UA = "Mozilla/5.0 (flood) " + "\u00fc" * 3500
BAD_ORIGIN = "http://evil.example.com/" + "o" * 3000


def strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def flood(fn, n=N, threads=THREADS):
    """Run fn() n times on `threads` threads; returns the statuses."""
    statuses = []
    lock = threading.Lock()
    left = [n]

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            st = fn()
            with lock:
                statuses.append(st)
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return statuses


def ua_headers():
    return {"User-Agent": UA.encode("utf-8")}


def check_lines(lines, event, n, elapsed, nbytes, label):
    """Bounded bytes, clipped fields, exact accounting."""
    print("\n%s: %d events in %.2f s -> %d lines, %d bytes of audit log"
          % (label, n, elapsed, len(lines), nbytes))
    for l in lines:
        for s in strings(l):
            assert len(s.encode()) <= TEXT_MAX, \
                "%s: a field of %d bytes" % (event, len(s.encode()))
        if "ua" in l:
            # Cut on a character boundary, never re-encoded: a prefix.
            assert UA.startswith(l["ua"]) and len(l["ua"].encode()) > TEXT_MAX - 2
    # Capped per second: however long the flood took, at most CAP lines per
    # second it spanned (+1 for the line that flushes the count).
    seconds = int(elapsed) + 2
    assert len(lines) <= CAP * seconds + 1, "%d lines: not capped" % len(lines)
    assert nbytes <= (CAP * seconds + 1) * LINE_MAX, "%d bytes" % nbytes
    suppressed = sum(l.get("detail", {}).get("suppressed", 0) for l in lines)
    assert len(lines) + suppressed == n, \
        "%d lines + %d suppressed != %d events" % (len(lines), suppressed, n)


def test_origin_rejected_flood_is_capped_and_clipped():
    g = Gateway().start()
    try:
        mark = g.audit_mark()
        size0 = g.audit_path.stat().st_size
        t0 = time.monotonic()
        st = flood(lambda: g.post("/session/login",
                                  {"username": "alice", "password": "x"},
                                  origin=BAD_ORIGIN, headers=ua_headers()).status)
        elapsed = time.monotonic() - t0
        assert st == [403] * N
        time.sleep(1.1)             # a new second: this line flushes the count
        assert g.post("/session/login", {"username": "alice", "password": "x"},
                      origin=BAD_ORIGIN, headers=ua_headers()).status == 403
        time.sleep(0.2)
        lines = g.audit_since(mark, "origin_rejected")
        nbytes = g.audit_path.stat().st_size - size0
        check_lines(lines, "origin_rejected", N + 1, elapsed, nbytes,
                    "origin_rejected flood (7 KB User-Agent, 3 KB Origin)")
        assert all(l["detail"]["origin"] == BAD_ORIGIN[:TEXT_MAX] for l in lines)
        # Nothing else was written for these requests.
        assert g.audit_since(mark, "login_failure") == []
    finally:
        g.close()


def test_login_locked_flood_is_capped_and_clipped():
    g = Gateway({"login": {"max_failures": 3, "lockout": 300}}).start()
    try:
        for _ in range(3):
            assert g.login_response("alice", "wrong").status == 401
        mark = g.audit_mark()
        size0 = g.audit_path.stat().st_size
        t0 = time.monotonic()
        st = flood(lambda: g.login_response("alice", "wrong",
                                            headers=ua_headers()).status)
        elapsed = time.monotonic() - t0
        assert st == [429] * N
        time.sleep(1.1)
        assert g.login_response("alice", "wrong", headers=ua_headers()).status == 429
        time.sleep(0.2)
        lines = g.audit_since(mark, "login_locked")
        nbytes = g.audit_path.stat().st_size - size0
        check_lines(lines, "login_locked", N + 1, elapsed, nbytes,
                    "login_locked flood (7 KB User-Agent)")
        assert g.audit_since(mark, "login_failure") == []
    finally:
        g.close()


def test_uncapped_events_are_all_written():
    """The cap is per event: a flood of one event does not hide another."""
    g = Gateway().start()
    try:
        flood(lambda: g.post("/session/login", {"username": "alice", "password": "x"},
                             origin=BAD_ORIGIN).status, n=60)
        mark = g.audit_mark()
        for _ in range(5):
            g.login("alice")
        time.sleep(0.2)
        assert len(g.audit_since(mark, "login_success")) == 5
    finally:
        g.close()


def test_counts_still_owed_are_written_at_stop():
    """No later line of the event comes after a flood that just stops: the
    daemon_stopped line carries what is owed, so the accounting closes."""
    g = Gateway().start()
    try:
        mark = g.audit_mark()
        # Start just after a second begins (the daemon counts seconds of
        # CLOCK_MONOTONIC, as time.monotonic() does), so that the flood
        # normally ends inside that second, with counts owed.
        while time.monotonic() % 1.0 > 0.1:
            time.sleep(0.01)
        t0 = time.monotonic()
        st = flood(lambda: g.post("/session/login", {"username": "alice", "password": "x"},
                                  origin=BAD_ORIGIN).status)
        one_second = int(time.monotonic()) == int(t0)
        assert st == [403] * N
        assert g.stop_daemon() == 0
        lines = g.audit_since(mark, "origin_rejected")
        stopped = g.audit_since(mark, "daemon_stopped")
        assert len(stopped) == 1
        pending = stopped[0]["detail"].get("suppressed_pending", {})
        suppressed = sum(l.get("detail", {}).get("suppressed", 0) for l in lines)
        if one_second:              # else the last second may owe nothing
            assert pending.get("origin_rejected", 0) == N - CAP
        assert len(lines) + suppressed + pending.get("origin_rejected", 0) == N
    finally:
        g.close()
