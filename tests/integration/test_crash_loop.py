"""Crash loop: the daemon is killed with SIGKILL over and over while 8
client threads sign in and PUT cache values through nginx, and restarted
each time. After every kill, every write the daemon acknowledged (a 2xx
answer: a session from a sign-in, a cache value from a PUT) is in the
database byte-exact, nothing half-written is visible, and SQLite's
integrity check says "ok"; after every restart the values read back
through the API with the writer's own session.

Values are self-checking: "user|key|n|" + random padding + the SHA-256 of
all that, so a torn or mixed-up value is seen wherever it shows up. Every
key is written once, so a value is either the one acknowledged or -- if
the kill came between the commit and the answer -- the one sent without an
answer; a row that matches no sent value is a failure.

Run with `pytest -s` to see the rounds and the rows verified."""

import hashlib
import http.client
import random
import signal
import sqlite3
import threading
import time

from conftest import Gateway, sqlite_only, token_id

NTHREADS = 8           # client threads, each signing in as its own user
ROUNDS = 22            # >= 20 SIGKILLs
RELOGIN = 0.08         # share of operations that are a new sign-in
API_SAMPLE = 12        # acknowledged values read back through the API per round

USERS = {"crash%d" % i: ("pw-crash%d-%s" % (i, "Lk3$" * 2), False)
         for i in range(NTHREADS)}
CTYPE = "application/x-sg-crash"


def make_value(user, key, n, rnd):
    head = ("%s|%s|%d|" % (user, key, n)).encode()
    body = head + bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 6000)))
    return body + hashlib.sha256(body).hexdigest().encode()


def self_checks(value):
    body, digest = value[:-64], value[-64:]
    return len(value) >= 64 and hashlib.sha256(body).hexdigest().encode() == digest


class Ledger:
    """What the clients sent and what the daemon acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}          # (user, key) -> value, acknowledged or not
        self.acked = {}         # (user, key) -> value
        self.sessions = {}      # token -> user, acknowledged sign-ins
        self.last_token = {}    # user -> newest acknowledged token
        self.counts = {"PUT 204": 0, "PUT other": 0, "login 200": 0,
                       "login other": 0, "no answer": 0}

    def snapshot(self):
        with self.lock:
            return dict(self.sent), dict(self.acked), dict(self.sessions), \
                dict(self.last_token)


def writer(g, ledger, i, stop, errors):
    user = "crash%d" % i
    pw = USERS[user][0]
    rnd = random.Random(7000 + i)
    token = None
    n = 0
    while not stop.is_set():
        try:
            if token is None or rnd.random() < RELOGIN:
                r = g.login_response(user, pw, timeout=30)
                if r.status == 200:
                    token = r.token()
                    with ledger.lock:
                        ledger.sessions[token] = user
                        ledger.last_token[user] = token
                        ledger.counts["login 200"] += 1
                else:
                    with ledger.lock:
                        ledger.counts["login other"] += 1
                    if r.status not in (502, 503, 504):
                        errors.append("%s login -> %r" % (user, r))
                    time.sleep(0.05)
                continue
            n += 1
            key = "t%d-%d" % (i, n)
            val = make_value(user, key, n, rnd)
            with ledger.lock:
                ledger.sent[(user, key)] = val
            r = g.request("PUT", "/session/cache/" + key, body=val, cookie=token,
                          headers={"Content-Type": CTYPE}, timeout=30)
            with ledger.lock:
                if r.status == 204:
                    ledger.acked[(user, key)] = val
                    ledger.counts["PUT 204"] += 1
                else:
                    ledger.counts["PUT other"] += 1
            if r.status != 204:
                # nginx answers 502 while the daemon is down; anything
                # else from a live daemon is a failure
                if r.status not in (502, 503, 504):
                    errors.append("%s PUT %s -> %r" % (user, key, r))
                time.sleep(0.05)
        except (OSError, http.client.HTTPException):
            # the connection went down with the daemon: no answer, no ack
            with ledger.lock:
                ledger.counts["no answer"] += 1
            time.sleep(0.05)
        except Exception as e:  # noqa: B902 - a client bug fails the test
            errors.append("%s: %r" % (user, e))
            return


def check_db(g, sent, acked, sessions):
    """With the daemon dead: the file as the kill left it. Returns the
    number of cache rows and session rows verified."""
    c = sqlite3.connect("file:%s?mode=ro" % g.db_path, uri=True, timeout=10)
    try:
        ok = c.execute("PRAGMA integrity_check").fetchall()
        assert ok == [("ok",)], ok
        names = {uid: name for uid, name in c.execute("SELECT id, name FROM users")}
        rows = c.execute("SELECT scope, key, value, content_type FROM cache").fetchall()
        hashes = {bytes(h) for (h,) in c.execute("SELECT hash FROM sessions")}
    finally:
        c.close()
    stored = {}
    for scope, key, value, ct in rows:
        value = bytes(value)
        who = (names.get(scope), key)
        assert self_checks(value), "half-written value in the db: %r %r" % (who, value[:80])
        assert who in sent and sent[who] == value, "db row %r is no value sent for it" % (who,)
        assert ct == CTYPE, (who, ct)
        stored[who] = value
    for who, value in acked.items():
        assert who in stored, "acknowledged PUT %r lost by a SIGKILL" % (who,)
        assert stored[who] == value, "acknowledged PUT %r changed" % (who,)
    for tok, user in sessions.items():
        h = hashlib.sha256(token_id(tok)).digest()
        assert h in hashes, "acknowledged sign-in of %s lost by a SIGKILL" % user
    return len(rows), len(sessions)


def check_api(g, acked, last_token, rnd):
    """With the daemon up again: a sample of acknowledged values, read with
    the writer's own session, and every writer's newest session."""
    for user, tok in last_token.items():
        r = g.validate(tok)
        assert r.status == 200 and r.header("X-Session-User") == user, (user, r)
    sample = rnd.sample(sorted(acked), min(API_SAMPLE, len(acked)))
    for user, key in sample:
        r = g.get("/session/cache/" + key, cookie=last_token[user])
        assert r.status == 200, (user, key, r)
        assert r.body == acked[(user, key)], "value of %s/%s read back differs" % (user, key)
        assert self_checks(r.body)
    return len(sample)


@sqlite_only("checks the SQLite file (rows, integrity_check) after each kill; "
             "Redis: test_redis_outage.py")
def test_sigkill_loop_keeps_every_acknowledged_write():
    # max_failures high: a sign-in killed while it ran is never finished,
    # and under the rule of today (attempts counted before the password
    # check) it would count against the address; the limit is not what
    # this test is about (test_concurrent_guesses.py is).
    g = Gateway(overrides={"cache": {"max_entries": 1000000,
                                     "max_entries_per_user": 1000000},
                           "login": {"max_failures": 100000}},
                users=USERS, threads=NTHREADS).start()
    stop = threading.Event()
    errors = []
    ledger = Ledger()
    rnd = random.Random(42)
    threads = [threading.Thread(target=writer, args=(g, ledger, i, stop, errors), daemon=True)
               for i in range(NTHREADS)]
    rows_checked = sessions_checked = api_checked = 0
    t0 = time.monotonic()
    try:
        for t in threads:
            t.start()
        for rnd_no in range(1, ROUNDS + 1):
            time.sleep(rnd.uniform(0.4, 1.0))
            g.daemon.send_signal(signal.SIGKILL)
            g.daemon.wait(timeout=10)
            # Nothing is acknowledged after this point until the restart:
            # the snapshot holds every write the dead daemon answered.
            sent, acked, sessions, last_token = ledger.snapshot()
            rows, sess = check_db(g, sent, acked, sessions)
            rows_checked += rows
            sessions_checked += sess
            g.start_daemon()
            api_checked += check_api(g, acked, last_token, rnd)
            print("round %2d: %5d cache rows, %4d acknowledged PUTs, %3d sessions verified"
                  % (rnd_no, rows, len(acked), sess))
        stop.set()
        for t in threads:
            t.join(60)
        assert not [t for t in threads if t.is_alive()], "client threads hung"
        assert not errors, errors[:5]
        assert g.stop_daemon() == 0
        sent, acked, sessions, last_token = ledger.snapshot()
        rows, sess = check_db(g, sent, acked, sessions)
        rows_checked += rows
        sessions_checked += sess
        # each round saw writes: a kill during no traffic proves nothing
        assert ledger.counts["PUT 204"] >= 10 * ROUNDS, ledger.counts
        assert ledger.counts["login 200"] >= NTHREADS * 2, ledger.counts
        print("crash loop: %d SIGKILLs in %.0f s; %d acknowledged PUTs, %d sign-ins; "
              "verified %d cache rows and %d sessions in the db, %d values via the API; %r"
              % (ROUNDS, time.monotonic() - t0, len(acked), len(sessions),
                 rows_checked, sessions_checked, api_checked, ledger.counts))
    finally:
        stop.set()
        g.close()
