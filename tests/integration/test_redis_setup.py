"""[store] backend = redis in production: setup-session-security checks
connectivity and warns about a Redis that can lose keys (AOF off, an
evicting maxmemory-policy); an ACL user with a password file (refused when
others can read it); metrics and stats name the backend."""

import json
import os

import pytest

from conftest import Gateway, RedisServer, need_redis

REDIS_PW = "pw-redis-Hq8*lantern"


@pytest.fixture
def redis_srv():
    made = []

    def make(**kw):
        need_redis()
        s = RedisServer(**kw).start()
        made.append(s)
        return s
    try:
        yield make
    finally:
        for s in made:
            s.close()


def lines(out, level):
    return [l for l in out.splitlines() if l.startswith(level)]


def test_setup_warns_aof_off_and_evicting_policy(redis_srv):
    srv = redis_srv(aof=False, extra=["--maxmemory-policy", "allkeys-lru"])
    g = Gateway(redis=srv)
    try:
        g.start(daemon=False)
        r = g.setup()
        warns = "\n".join(lines(r.stdout + r.stderr, "warn"))
        assert "AOF" in warns and "appendonly yes" in warns, r.stdout
        assert "maxmemory-policy" in warns and "noeviction" in warns, r.stdout
        assert "redis %s reachable" % srv.addr in r.stdout, r.stdout
    finally:
        g.close()


def test_setup_quiet_on_safe_redis(redis_srv):
    srv = redis_srv(aof=True)
    g = Gateway(redis=srv)
    try:
        g.start(daemon=False)
        r = g.setup()
        out = r.stdout + r.stderr
        assert "ok   redis AOF is on" in out, out
        assert "ok   redis maxmemory-policy noeviction" in out, out
        assert not [l for l in lines(out, "warn") if "redis" in l.lower()], out
    finally:
        g.close()


def test_setup_fails_when_redis_is_down(redis_srv):
    srv = redis_srv()
    srv.kill()
    g = Gateway(redis=srv)
    try:
        g.start(daemon=False)
        r = g.setup(check=False)
        assert r.returncode == 1, r
        assert any("redis" in l for l in lines(r.stdout + r.stderr, "FAIL")), r.stdout
    finally:
        g.close()


def test_acl_user_and_password_file(redis_srv):
    srv = redis_srv(extra=["--user", "gw", "on", ">" + REDIS_PW, "~*", "&*", "+@all",
                           "--user", "default", "off"])
    g = Gateway(redis=srv)
    try:
        g.start(daemon=False, setup=False)
        pwfile = g.p("redis.pw")
        pwfile.write_text(REDIS_PW + "\n")
        os.chmod(pwfile, 0o644)
        g.overrides["store"] = {"redis_username": "gw", "redis_password_file": str(pwfile)}
        g.write_config()
        # readable by others: refused, and the password is never printed
        r = g.setup(check=False)
        assert r.returncode == 1, r
        assert "redis.pw" in r.stdout + r.stderr and "chmod 600" in r.stdout + r.stderr
        assert REDIS_PW not in r.stdout + r.stderr
        os.chmod(pwfile, 0o600)
        r = g.setup()
        for name, (pw, admin) in g.users.items():
            g.add_user(name, pw, admin)
        g.start_daemon()
        tok = g.login("alice")
        assert g.validate(tok).status == 200
        # a wrong password: the store is refused, closed not open
        pwfile.write_text("wrong-password\n")
        r = g.run("user", "list", check=False)
        assert r.returncode != 0, r
        assert REDIS_PW not in r.stdout + r.stderr
        assert "wrong-password" not in r.stdout + r.stderr
    finally:
        g.close()


def test_metrics_and_stats_name_the_backend(redis_srv):
    srv = redis_srv()
    g = Gateway(redis=srv)
    try:
        g.start()
        g.login("alice")
        r = g.get("/session/metrics")
        assert r.status == 200, r
        assert 'sessiongw_store_info{backend="redis"} 1' in r.text, r.text
        assert 'sessiongw_store_errors_total{kind="unreachable"} 0' in r.text
        st = json.loads(g.run("stats", "--json").stdout)
        assert st["sessions_active"] == 1, st
        assert st["database_bytes"] > 0, st
    finally:
        g.close()
