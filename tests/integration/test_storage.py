"""What is written down: the store (the SQLite file, or every Redis key,
field and member under the prefix) holds no usable session id, the audit
log holds no secret and is well-formed JSON Lines."""

import base64
import hashlib
import json
import re

from conftest import USERS, b64u, handle_of, token_id, token_tag


def secrets_of(token):
    sid = token_id(token)
    return {
        "token": token.encode(),
        "id b64url": b64u(sid).encode(),
        "id b64": base64.b64encode(sid).rstrip(b"="),
        "id hex": sid.hex().encode(),
        "id HEX": sid.hex().upper().encode(),
        "tag b64url": b64u(token_tag(token)).encode(),
        "tag hex": token_tag(token).hex().encode(),
    }, sid


def _text(v):
    try:
        return v.decode()
    except UnicodeDecodeError:
        return v


def redis_cells(g):
    r = g.redis
    for k in r.call("KEYS", g.redis_prefix + "*"):
        yield "key", "name", _text(k)
        t = r.call("TYPE", k)
        if t == "string":
            yield _text(k), "value", _text(r.call("GET", k))
        elif t == "hash":
            v = r.call("HGETALL", k)
            for i in range(0, len(v), 2):
                yield _text(k), _text(v[i]), _text(v[i + 1])
        elif t == "zset":
            for m in r.call("ZRANGE", k, 0, -1):
                yield _text(k), "member", _text(m)


def all_cells(g):
    if g.redis is not None:
        yield from redis_cells(g)
        return
    with g.db() as c:
        tables = [r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in c.execute('SELECT * FROM "%s"' % t):
                for i, v in enumerate(row):
                    yield t, row.keys()[i], v


def test_db_holds_no_session_id(gw):
    toks = [gw.login("alice"), gw.login("bob"), gw.login("carol")]
    gw.validate(toks[0], source="127.0.0.2")
    assert gw.count_sessions() >= 3
    found_hash = set()
    for t, col, v in all_cells(gw):
        if v is None or isinstance(v, (int, float)):
            continue
        b = v if isinstance(v, bytes) else str(v).encode()
        for tok in toks:
            sec, sid = secrets_of(tok)
            assert sid not in b, "raw id bytes in %s.%s" % (t, col)
            for name, s in sec.items():
                assert s not in b, "%s in %s.%s" % (name, t, col)
            h = hashlib.sha256(sid).digest()
            if h in b or h.hex().encode() in b or h.hex().upper().encode() in b:
                found_hash.add(tok)
    # the documented form: sha256(id); its first 12 hex digits are the handle
    assert found_hash == set(toks), "sessions not keyed by sha256(id)"


def test_db_password_hashes_argon2id(gw):
    cells = [(t, c, v) for t, c, v in all_cells(gw)]
    hashes = [v for t, c, v in cells if isinstance(v, str) and v.startswith("$argon2id$")]
    assert len(hashes) >= len(USERS)
    for t, c, v in cells:
        if v is None or isinstance(v, (int, float)):
            continue
        b = v if isinstance(v, bytes) else str(v).encode()
        for pw, _ in USERS.values():
            assert pw.encode() not in b, "password in %s.%s" % (t, c)


TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_audit_wellformed_and_secret_free(gw):
    toks = [gw.login("alice"), gw.login("bob")]
    gw.login_response("alice", "wrong-pw-SEEKRIT-123")
    gw.login_response("nosuchuser", "another-SEEKRIT-456")
    gw.validate(toks[0], source="127.0.0.2")
    gw.validate(toks[0][:-3] + "AAA")
    gw.post("/session/logout", cookie=toks[1])
    gw.post("/session/logout", cookie=toks[0], origin="http://evil.example")
    gw.run("user", "passwd", "carol", "--password-stdin", input="pw-carol-NEW-Zz9\n")
    text = gw.audit_path.read_bytes()
    assert text.endswith(b"\n")
    events = set()
    for line in text.decode().splitlines():
        e = json.loads(line)
        assert isinstance(e, dict)
        assert TS_RE.match(e.get("ts", "")), e
        assert isinstance(e.get("event"), str), e
        events.add(e["event"])
        if "detail" in e:
            assert isinstance(e["detail"], dict)
    assert {"daemon_started", "login_success", "login_failure", "session_created",
            "logout", "ip_changed", "origin_rejected", "session_invalid_signature",
            "password_changed", "config_verified"} <= events, events
    secrets = [pw.encode() for pw, _ in USERS.values()]
    secrets += [b"wrong-pw-SEEKRIT-123", b"another-SEEKRIT-456", b"pw-carol-NEW-Zz9"]
    for k in gw.keys():
        secrets += [k.hex().encode(), k.hex().upper().encode(), b64u(k).encode()]
    for tok in toks:
        sec, _ = secrets_of(tok)
        secrets += list(sec.values())
    for s in secrets:
        assert s not in text, "secret in audit log: %r" % s[:12]


def test_audit_request_id_and_handle(gw):
    tok = gw.login("alice", headers={"User-Agent": "audit-agent/2"})
    e = [x for x in gw.audit_events("login_success") if x.get("session") == handle_of(tok)]
    assert e, "login_success without the session handle"
    e = e[-1]
    assert e.get("user") == "alice"
    assert e.get("ip") == "127.0.0.1"
    assert e.get("ua") == "audit-agent/2"
    assert re.fullmatch(r"[0-9a-f]{32}", e.get("request_id", "")), e
