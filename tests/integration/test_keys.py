"""Key rotation: --rotate-key --keep-sessions, then SIGHUP or a restart."""

import os
import stat

from conftest import token_id, token_signed_by


def test_setup_creates_key_file_0600(gw):
    st = os.stat(gw.key_path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    keys = gw.keys()
    assert len(keys) == 1 and len(keys[0]) == 32


def test_rotate_then_hup_then_restart(make_gw):
    g = make_gw()
    tok = g.login()
    k0 = g.keys()[0]
    mark = g.audit_mark()
    g.setup("--rotate-key", "--keep-sessions")
    keys = g.keys()
    assert len(keys) == 2 and keys[1] == k0 and keys[0] != k0
    assert g.audit_since(mark, "key_rotated")
    assert g.validate(tok).status == 200, "--keep-sessions dropped the session"

    g.hup()
    r = g.validate(tok)
    assert r.status == 200, r
    c = [v for v, _ in r.cookies() if v]
    assert len(c) == 1, "cookie not re-issued under the new key: %r" % r.headers
    new = c[0]
    assert token_signed_by(new, keys[0])
    assert token_id(new) == token_id(tok)
    # fresh logins are signed with the new key
    assert token_signed_by(g.login("bob"), keys[0])

    g.restart_daemon()
    assert g.validate(tok).status == 200
    assert g.validate(new).status == 200
    assert g.validate(new).cookies() == []


def test_rotate_keeps_at_most_three_previous(make_gw):
    g = make_gw()
    first = g.keys()[0]
    tok = g.login()
    for _ in range(4):
        g.setup("--rotate-key", "--keep-sessions")
    keys = g.keys()
    assert len(keys) == 4
    assert first not in keys
    g.restart_daemon()
    assert g.validate(tok).status == 401  # its key is gone


def test_setup_without_keep_clears(make_gw):
    g = make_gw()
    tok = g.login()
    g.setup("--rotate-key")
    g.hup()
    assert g.validate(tok).status == 401


def test_hup_reopens_audit_log(make_gw):
    g = make_gw()
    g.login()
    rotated = g.p("audit.log.1")
    os.rename(g.audit_path, rotated)
    g.hup()
    g.login("bob")
    assert g.audit_path.exists(), "audit log not reopened on SIGHUP"
    assert any(e["event"] == "login_success" for e in g.audit())
