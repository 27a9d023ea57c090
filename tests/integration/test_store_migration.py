"""Moving a running site from SQLite to Redis (README "Several gateways,
one store"): `user export` on the SQLite gateway, `user import` on the
Redis one. Users keep their passwords, admin and lock flags; sessions are
not moved (everyone signs in once more)."""

import json

import pytest

from conftest import USERS, Gateway, RedisServer, need_redis


@pytest.fixture
def old_and_new():
    need_redis()
    srv = RedisServer().start()
    old = new = None
    try:
        old = Gateway(backend="sqlite")     # even under SG_STORE=redis
        old.start()
        new = Gateway(redis=srv, users={})
        new.start()
        yield old, new
    finally:
        for g in (new, old):
            if g is not None:
                g.close(failed=g.keep)
        srv.close()


def test_export_from_sqlite_import_into_redis(old_and_new):
    old, new = old_and_new
    old.run("user", "lock", "bob")
    old_tok = old.login("alice")
    out = old.run("user", "export").stdout
    assert len(out.splitlines()) == len(USERS)
    path = new.p("users.jsonl")
    path.write_text(out)
    r = new.run("user", "import", str(path))
    assert "imported %d users" % len(USERS) in r.stdout, r.stdout

    rows = {u["name"]: u for u in new.db_rows("users")}
    assert set(rows) == set(USERS)
    assert rows["carol"]["admin"] == 1 and rows["alice"]["admin"] == 0
    assert rows["bob"]["locked"] == 1
    exported = {json.loads(l)["name"]: json.loads(l) for l in out.splitlines()}
    assert rows["alice"]["pwhash"] == exported["alice"]["password"]

    new.users = dict(USERS)
    tok = new.login("alice")                  # the same password
    assert new.validate(tok).status == 200
    assert new.login_response("bob").status == 401        # still locked
    assert new.validate(old_tok).status == 401   # sessions are not moved
