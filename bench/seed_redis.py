#!/usr/bin/python3
"""seed_redis.py - bench-only: copy a seeded SQLite store into Redis.

    seed_redis.py DB PREFIX | redis-cli -s SOCKET --pipe

Reads the users, live sessions and live cache rows of a sessiongw SQLite
database (as bench/seed.py left it) and writes the Redis commands that
hold the same rows in the Redis backend's key layout (src/store_redis.c,
"Key layout"), in the Redis protocol, for `redis-cli --pipe`. The
bench's Redis gateway then answers the same cookies as the SQLite one
(the two share the secret key), so both backends are measured on the
same data.

Expired rows are left out (Redis would drop them by TTL anyway). TTLs
are set the way the backend sets them: expiry - now + 60 s of grace.
Run it against a fresh Redis database after `setup-session-security`
wrote the layout version. A benchmark tool: never point it at a real
store.
"""
import sqlite3
import sys
import time

GRACE = 60


def cmd(out, *args):
    """One command in the Redis protocol (RESP array of bulk strings)."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))


def ttl(expires, now):
    return max(0, expires - now) + GRACE


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: seed_redis.py DB PREFIX | redis-cli --pipe")
    db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
    p = sys.argv[2].encode()
    out = sys.stdout.buffer
    now = int(time.time())

    last_id = 0
    for (uid, name, pwhash, admin, locked, must_reset, pwc,
         created) in db.execute(
            "SELECT id, name, pwhash, admin, locked, must_reset,"
            " pw_changed_at, created_at FROM users ORDER BY id"):
        cmd(out, b"HSET", p + b"user:%d" % uid, b"name", name,
            b"pwhash", pwhash, b"admin", admin, b"locked", locked,
            b"must_reset", must_reset, b"pw_changed_at", pwc,
            b"created_at", created)
        cmd(out, b"SET", p + b"uname:" + name.encode(), uid)
        cmd(out, b"ZADD", p + b"users", 0, name)
        last_id = uid
    cmd(out, b"SET", p + b"user:next", last_id)

    nsess = 0
    for (h, handle, uid, created, seen, expires, pwc, count, ip, ua,
         remember) in db.execute(
            "SELECT hash, handle, user_id, created_at, last_seen,"
            " expires_at, pw_changed_at, request_count, ip, user_agent,"
            " remember FROM sessions WHERE expires_at > ?", (now,)):
        hx = h.hex().encode()
        k = p + b"s:" + hx
        t = ttl(expires, seen)
        cmd(out, b"HSET", k, b"handle", handle, b"user_id", uid,
            b"created_at", created, b"last_seen", seen,
            b"expires_at", expires, b"pw_changed_at", pwc,
            b"request_count", count, b"ip", ip, b"ua", ua,
            b"remember", remember)
        cmd(out, b"EXPIRE", k, t)
        cmd(out, b"SET", p + b"sh:" + handle.encode(), hx, b"EX", t)
        cmd(out, b"ZADD", p + b"us:%d" % uid, created, hx)
        cmd(out, b"ZADD", p + b"sessions", created, hx)
        nsess += 1

    ncache = last_seq = 0
    for (scope, key, value, ctype, created, expires, seq) in db.execute(
            "SELECT scope, key, value, content_type, created_at,"
            " expires_at, seq FROM cache"
            " WHERE expires_at = 0 OR expires_at > ? ORDER BY seq", (now,)):
        sk = b"%d:" % scope + key.encode()
        k = p + b"c:" + sk
        cmd(out, b"HSET", k, b"v", value, b"ct", ctype, b"exp", expires,
            b"ca", created)
        if expires != 0:
            cmd(out, b"EXPIRE", k, ttl(expires, now))
        cmd(out, b"ZADD", p + b"cs:%d" % scope, seq, key)
        cmd(out, b"ZADD", p + b"cache", seq, sk)
        ncache += 1
        last_seq = seq
    cmd(out, b"SET", p + b"cache:seq", last_seq)
    out.flush()
    print("seed_redis: %d users, %d sessions, %d cache rows"
          % (last_id, nsess, ncache), file=sys.stderr)


if __name__ == "__main__":
    main()
