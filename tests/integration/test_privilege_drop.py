"""`serve` started as root with [server] user never gives away a file it
did not create for itself (issue 6, item 2).

The audit log is opened with O_NOFOLLOW and changed to the daemon user
through the open descriptor; the unix socket likewise (O_PATH descriptor
opened right after bind). A symlink (or a hard link) where the audit log
should be is refused with an error naming the file, and what it points at
stays root-owned. These tests need root; they skip otherwise.
"""
import grp
import os
import pwd
import shutil
import stat
import subprocess

import pytest

from conftest import (Gateway, SESSIONGW_BIN, _PROCS, need_binary, sqlite_only,
                      unix_connectable, wait_for)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

USER = "nobody"
GROUP = "www-data"


def gateway(check=True, **server):
    """A set-up gateway (database, key) with no daemon running."""
    over = {"server": dict({"user": USER}, **server)}
    g = Gateway(over).start(daemon=False)
    g.setup(check=check)
    return g


def root_file(g, name="root-owned"):
    p = g.p(name)
    p.write_text("root's file\n")
    os.chown(p, 0, 0)
    os.chmod(p, 0o644)
    return p


def serve_until_exit(g, timeout=10):
    """Run serve; it must exit (refuse) within timeout. Returns (rc, stderr)."""
    need_binary()
    p = subprocess.Popen([SESSIONGW_BIN, "-c", str(g.conf), "serve"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate(timeout=5)
        return None, err
    return p.returncode, err


def assert_untouched(p):
    st = os.lstat(p)
    assert (st.st_uid, st.st_gid) == (0, 0), \
        "%s is now owned by %d:%d" % (p, st.st_uid, st.st_gid)
    assert stat.S_IMODE(st.st_mode) == 0o644
    assert p.read_text() == "root's file\n", "written through the link"


def test_symlinked_audit_log_is_refused():
    g = gateway()
    try:
        target = root_file(g)
        g.audit_path.unlink()
        os.symlink(target, g.audit_path)
        rc, err = serve_until_exit(g)
        assert_untouched(target)
        assert rc is not None, "serve ran on a symlinked audit log"
        assert rc != 0
        assert str(g.audit_path) in err and "symbolic link" in err, err
        assert not g.sock.exists()
    finally:
        g.close()


def test_hard_linked_audit_log_is_refused():
    g = gateway()
    try:
        target = root_file(g)
        g.audit_path.unlink()
        os.link(target, g.audit_path)
        rc, err = serve_until_exit(g)
        assert rc is not None and rc != 0, "serve ran on a hard-linked log"
        assert str(g.audit_path) in err and "hard link" in err, err
        assert_untouched(target)
    finally:
        g.close()


def test_symlink_at_the_socket_path_is_refused():
    g = gateway()
    try:
        target = root_file(g)
        os.symlink(target, g.sock)
        rc, err = serve_until_exit(g)
        assert rc is not None and rc != 0
        assert str(g.sock) in err, err
        assert_untouched(target)
        assert os.path.islink(g.sock)
    finally:
        g.close()


def test_socket_and_log_are_given_to_the_daemon_user():
    """The positive case: the files it created go to user (and socket_group)."""
    g = gateway(socket_group=GROUP)
    uid = pwd.getpwnam(USER).pw_uid
    ngid = pwd.getpwnam(USER).pw_gid
    wgid = grp.getgrnam(GROUP).gr_gid
    try:
        g.audit_path.unlink()           # the daemon creates it
        g.start_daemon(wait=False)
        wait_for(lambda: unix_connectable(g.sock) or g.daemon.poll() is not None,
                 15, "the socket")
        assert g.daemon.poll() is None, open(g.p("daemon.log")).read()
        wait_for(lambda: g.audit_path.exists() and g.audit_path.stat().st_uid == uid,
                 5, "the audit log owned by %s" % USER)
        s = os.lstat(g.sock)
        assert stat.S_ISSOCK(s.st_mode)
        assert (s.st_uid, s.st_gid) == (uid, wgid)
        assert stat.S_IMODE(s.st_mode) == 0o660
        a = os.lstat(g.audit_path)
        assert (a.st_uid, a.st_gid) == (uid, ngid)
        # Only the daemon user reads the log: not www-data, not others.
        assert stat.S_IMODE(a.st_mode) & 0o077 == 0
    finally:
        g.close()


def test_unknown_socket_group_is_refused():
    g = gateway(check=False, socket_group="no-such-group-sgw")
    try:
        r = g.setup(check=False)
        assert r.returncode == 1
        assert "FAIL [server] socket_group = no-such-group-sgw" in r.stdout
        rc, err = serve_until_exit(g)
        assert rc is not None and rc != 0
        assert "no-such-group-sgw" in err
        assert not g.sock.exists()
    finally:
        g.close()


@sqlite_only("also checks the owner of the SQLite file")
def test_unprivileged_daemon_gives_socket_to_socket_group():
    """The shipped unit's way: started as sessiongw:sessiongw with www-data
    as a supplementary group (here nobody:nogroup + www-data), the daemon
    gives only its socket to socket_group; nginx signs in through it."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) not installed")
    g = gateway(user="", socket_group=GROUP)
    pw = pwd.getpwnam(USER)
    wgid = grp.getgrnam(GROUP).gr_gid
    try:
        g.add_user("alice", "pw-alice-Qx7!vault")
        for root, dirs, files in os.walk(g.tmp):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
        os.chown(g.tmp, pw.pw_uid, pw.pw_gid)
        log = open(g.p("daemon.log"), "ab")
        g.daemon = subprocess.Popen(
            [setpriv, "--reuid", USER, "--regid", str(pw.pw_gid), "--groups", GROUP,
             SESSIONGW_BIN, "-c", str(g.conf), "serve"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        _PROCS.append(g.daemon)
        wait_for(lambda: unix_connectable(g.sock) or g.daemon.poll() is not None,
                 15, "the socket")
        assert g.daemon.poll() is None, open(g.p("daemon.log")).read()
        s = os.lstat(g.sock)
        assert (s.st_uid, s.st_gid) == (pw.pw_uid, wgid)
        assert stat.S_IMODE(s.st_mode) == 0o660
        # The daemon's files keep its own group, not www-data.
        assert os.lstat(g.db_path).st_gid == pw.pw_gid
        assert g.login("alice")
    finally:
        g.close()
