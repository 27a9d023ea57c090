#!/usr/bin/python3
"""seed.py - bench-only: fill a sessiongw database with rows, fast.

    seed.py DB KEYFILE [--users N] [--sessions N] [--tokens N FILE]
            [--expired-sessions N] [--cache N] [--expired-cache N]
            [--cookie-name NAME] [--cookie-age S]

Inserts users, live sessions, expired sessions and cache rows straight
into the tables with sqlite3, in ONE transaction, and writes the first
--tokens sessions' cookies ("NAME=TOKEN", one a line) to FILE. Tokens are
signed with line 1 of KEYFILE, the way the daemon signs them (SPEC
"Cookie"; tests/integration/conftest.py make_token):

    TOKEN = base64url(id) "." base64url(HMAC-SHA256(key, LABEL || id))

and the row holds only sha256(id) and its first 12 hex digits (handle).
Minting 10,000 sessions through POST /session/login would spend minutes in
argon2id, which is not what the benchmark measures.

Seeded users get an unusable password hash ("!"): nobody can sign in as
them. The daemon must be stopped, or idle, while this runs (one long
write transaction). A benchmark tool: never point it at a real database.
"""
import argparse
import base64
import hashlib
import hmac
import os
import sqlite3
import sys
import time

TOKEN_LABEL = b"sessiongw-session-v1"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def read_key(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                return bytes.fromhex(line)
    sys.exit("seed: no key in %s" % path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("keyfile")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--sessions", type=int, default=0)
    ap.add_argument("--tokens", nargs=2, metavar=("N", "FILE"))
    ap.add_argument("--expired-sessions", type=int, default=0)
    ap.add_argument("--cache", type=int, default=0,
                    help="live cache rows, keys k0.. per user")
    ap.add_argument("--expired-cache", type=int, default=0)
    ap.add_argument("--cookie-name", default="sessiongw")
    ap.add_argument("--cookie-age", type=int, default=1200)
    a = ap.parse_args()

    key = read_key(a.keyfile)
    now = int(time.time())
    db = sqlite3.connect(a.db, isolation_level=None, timeout=30)
    db.execute("PRAGMA foreign_keys = ON")
    # one big transaction: keep its pages in memory until the commit
    db.execute("PRAGMA cache_size = -400000")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN IMMEDIATE")

    # users: reuse the seeded ones if a previous call made them
    have = [r[0] for r in db.execute(
        "SELECT id FROM users WHERE name LIKE 'seed%' ORDER BY id")]
    if len(have) < a.users:
        db.executemany(
            "INSERT INTO users (name, pwhash, admin, locked, pw_changed_at,"
            " created_at) VALUES (?, '!', 0, 0, ?, ?)",
            (("seed%07d" % i, now - 3600, now - 3600)
             for i in range(len(have), a.users)))
        have = [r[0] for r in db.execute(
            "SELECT id FROM users WHERE name LIKE 'seed%' ORDER BY id")]
    uids = have[:a.users]
    pw_at = now - 3600

    ntok = int(a.tokens[0]) if a.tokens else 0
    out = open(a.tokens[1], "w") if a.tokens else None

    def sessions(n, live):
        for i in range(n):
            sid = os.urandom(32)
            h = hashlib.sha256(sid).digest()
            if live and i < ntok:
                tag = hmac.new(key, TOKEN_LABEL + sid, hashlib.sha256).digest()
                out.write("%s=%s.%s\n" % (a.cookie_name, b64u(sid), b64u(tag)))
            created = now - 60 if live else now - 7200
            expires = now + a.cookie_age if live else now - 60
            yield (h, h.hex()[:12], uids[i % len(uids)], created, created,
                   expires, pw_at, "127.0.0.1", "")

    ins = ("INSERT INTO sessions (hash, handle, user_id, created_at,"
           " last_seen, expires_at, pw_changed_at, request_count, ip,"
           " user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)")
    db.executemany(ins, sessions(a.sessions, True))
    db.executemany(ins, sessions(a.expired_sessions, False))
    if out:
        out.close()

    seq0 = db.execute("SELECT IFNULL(MAX(seq), 0) FROM cache").fetchone()[0]
    per = max(1, a.cache // len(uids))

    def cache(n, live, base):
        for i in range(n):
            yield (uids[i % len(uids)],
                   ("k%d" % (i // len(uids))) if live else "x%d" % i,
                   b"cached value for the benchmark", "text/plain",
                   now - 60, now + 86400 if live else now - 60,
                   base + i + 1)

    db.executemany(
        "INSERT INTO cache (scope, key, value, content_type, created_at,"
        " expires_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (scope, key) DO NOTHING",
        cache(a.cache, True, seq0))
    db.executemany(
        "INSERT INTO cache (scope, key, value, content_type, created_at,"
        " expires_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (scope, key) DO NOTHING",
        cache(a.expired_cache, False, seq0 + a.cache))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print("seed: %d users, %d live + %d expired sessions (%d tokens), "
          "%d live (%d keys a user) + %d expired cache rows"
          % (len(uids), a.sessions, a.expired_sessions, ntok, a.cache, per,
             a.expired_cache))


if __name__ == "__main__":
    main()
