"""`make install DESTDIR=...`, then README's production steps with the
installed files only: a system user, its directories, the installed
config pointed at them, setup-session-security as root (files given to
[server] user), then the daemon run as that unprivileged user (setpriv, as
the unit's User= would) behind nginx with the installed snippets; SIGHUP
and SIGTERM by PID; the unit, logrotate file and docs where a Debian admin
looks for them."""
import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import REPO, Gateway, tail, unix_connectable, wait_for

USER = "sgw-install-test"
PREFIX = "/usr/local"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("useradd"),
    reason="needs root, setpriv and useradd")


def ensure_user():
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", USER], check=True)
        return pwd.getpwnam(USER)


class InstalledGateway(Gateway):
    """nginx only, with the installed upstream socket and snippet."""

    def __init__(self, root):
        super().__init__(users={})
        self.root = root

    @property
    def sock(self):
        return self.root / "run/sessiongw/sessiongw.sock"

    def site(self):
        return {"SNIPPET": self.root / "etc/nginx/snippets/sessiongw.conf"}


@pytest.fixture(scope="module")
def inst():
    root = Path(tempfile.mkdtemp(prefix="sgw-install-"))
    os.chmod(root, 0o755)  # the service user walks the installed tree
    daemon, g = None, None
    try:
        # A make of its own (not the jobserver or B= of a `make test` above).
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        r = subprocess.run(["make", "-s", "install", "DESTDIR=%s" % root,
                            "PREFIX=%s" % PREFIX], cwd=REPO, capture_output=True,
                           text=True, timeout=600, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        pw = ensure_user()
        # README "Running it for real", with every path under DESTDIR
        for d in ("var/lib/sessiongw", "var/log/sessiongw", "run/sessiongw"):
            subprocess.run(["install", "-d", "-o", USER, "-g", str(pw.pw_gid), "-m", "0700",
                            str(root / d)], check=True)
        conf = root / "etc/sessiongw/sessiongw.conf"
        text = conf.read_text()
        for a, b in (("/run/sessiongw/", "%s/run/sessiongw/" % root),
                     ("/var/lib/sessiongw/", "%s/var/lib/sessiongw/" % root),
                     ("/var/log/sessiongw/", "%s/var/log/sessiongw/" % root),
                     ("/etc/sessiongw/secret.key", "%s/etc/sessiongw/secret.key" % root)):
            assert a in text, a
            text = text.replace(a, b)
        text, n = re.subn(r"(?m)^user =.*$", "user = %s" % USER, text)
        assert n == 1
        conf.write_text(text)
        bin_ = root / PREFIX.lstrip("/") / "bin/sessiongw"
        env = dict(os.environ, SESSIONGW_CONFIG=str(conf))
        setup = subprocess.run([bin_, "setup-session-security"], env=env,
                               capture_output=True, text=True, timeout=60)
        add = subprocess.run([bin_, "user", "add", "alice", "--admin", "--password-stdin"],
                             env=env, input="install-test-pw-1\n", capture_output=True,
                             text=True, timeout=60)
        assert add.returncode == 0, add.stderr
        # the daemon as the service user, like the unit's User=
        check = subprocess.run(["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid),
                                "--clear-groups", "--", bin_, "-c", conf, "check-config"],
                               capture_output=True, text=True, timeout=60)
        log = open(root / "daemon.log", "ab")
        daemon = subprocess.Popen(
            ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--clear-groups",
             "--", bin_, "-c", conf, "serve"], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()

        def up():
            if daemon.poll() is not None:
                raise AssertionError("serve exited %d:\n%s" % (daemon.returncode,
                                                               tail(root / "daemon.log")))
            return unix_connectable(root / "run/sessiongw/sessiongw.sock")
        wait_for(up, 15, "the installed daemon's socket")
        g = InstalledGateway(root)
        g.start(daemon=False)
        yield {"root": root, "pw": pw, "setup": setup, "check": check, "daemon": daemon,
               "gw": g, "conf": conf, "bin": bin_}
    finally:
        if g is not None:
            g.close()
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait(5)
        shutil.rmtree(root, ignore_errors=True)


def test_files_where_debian_admins_look(inst):
    root = inst["root"]
    for p in ("usr/local/bin/sessiongw", "usr/local/share/man/man8/sessiongw.8",
              "usr/local/share/man/man5/sessiongw.conf.5", "etc/sessiongw/sessiongw.conf",
              "etc/systemd/system/sessiongw.service",
              "etc/systemd/system/sessiongw-clearsessions.service",
              "etc/systemd/system/sessiongw-clearsessions.timer",
              "etc/nginx/conf.d/sessiongw-upstream.conf", "etc/nginx/snippets/sessiongw.conf",
              "etc/nginx/snippets/sessiongw-app-proxy.conf",
              "etc/nginx/snippets/sessiongw-app-uwsgi.conf",
              "etc/nginx/snippets/sessiongw-app-fastcgi.conf", "etc/logrotate.d/sessiongw",
              "usr/local/share/doc/sessiongw/README.md",
              "usr/local/share/doc/sessiongw/examples/nginx/example-site.conf",
              "usr/local/share/doc/sessiongw/examples/django/settings_snippet.py",
              "usr/local/share/doc/sessiongw/examples/django/sessiongw_django/middleware.py"):
        assert (root / p).is_file(), p
    unit = (root / "etc/systemd/system/sessiongw.service").read_text()
    m = re.search(r"(?m)^Documentation=file://(\S+)$", unit)
    assert m and (root / m.group(1).lstrip("/")).is_file(), "Documentation= not installed"
    assert re.search(r"(?m)^ExecStartPre=/usr/local/bin/sessiongw -c \S+ check-config$", unit)
    assert re.search(r"(?m)^ExecReload=/bin/kill -HUP \$MAINPID$", unit)
    for f in re.findall(r"(?m)^Exec\w*=(/usr/local/\S+)", unit):
        assert (root / f.lstrip("/")).is_file(), f


def test_setup_as_root_gives_files_to_the_service_user(inst):
    root, pw = inst["root"], inst["pw"]
    assert inst["setup"].returncode == 0, inst["setup"].stdout + inst["setup"].stderr
    for p in ("etc/sessiongw/secret.key", "var/lib/sessiongw/sessiongw.db",
              "var/log/sessiongw/audit.log"):
        st = (root / p).stat()
        assert st.st_uid == pw.pw_uid, "%s owned by uid %d" % (p, st.st_uid)
    key = (root / "etc/sessiongw/secret.key").stat()
    assert stat.S_IMODE(key.st_mode) == 0o600
    assert "now owned by [server] user %s" % USER in inst["setup"].stdout


def test_check_config_as_the_service_user(inst):
    # the unit's ExecStartPre
    assert inst["check"].returncode == 0, inst["check"].stderr
    assert "cookie_name = sessiongw" in inst["check"].stdout


def test_installed_daemon_serves_as_unprivileged_user(inst):
    g, daemon, pw = inst["gw"], inst["daemon"], inst["pw"]
    with open("/proc/%d/status" % daemon.pid) as f:
        uids = [l for l in f if l.startswith("Uid:")][0].split()[1:]
    assert set(uids) == {str(pw.pw_uid)}, uids
    tok = g.login_response("alice", "install-test-pw-1").token()
    r = g.validate(tok)
    assert r.status == 200 and r.header("X-Session-User") == "alice"
    assert r.header("X-Session-Admin") == "1"


def test_reload_and_stop_by_pid(inst):
    g, daemon, root = inst["gw"], inst["daemon"], inst["root"]
    log = root / "var/log/sessiongw/audit.log"
    tok = g.login_response("alice", "install-test-pw-1").token()
    # what logrotate does, then the unit's ExecReload (kill -HUP $MAINPID)
    log.rename(log.with_suffix(".log.1"))
    daemon.send_signal(signal.SIGHUP)
    wait_for(lambda: log.exists(), 5, "the audit log reopened after SIGHUP")
    assert g.validate(tok).status == 200  # no session lost
    g.login_response("alice", "install-test-pw-1")
    wait_for(lambda: "login_success" in log.read_text(), 5, "an event in the new log")
    assert log.stat().st_uid == inst["pw"].pw_uid
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(15) == 0


def test_logrotate_file(inst):
    root = inst["root"]
    text = (root / "etc/logrotate.d/sessiongw").read_text()
    assert re.search(r"postrotate\s+systemctl reload sessiongw", text)
    if not shutil.which("logrotate"):
        pytest.skip("no logrotate")
    # the installed file, pointed at this install's log directory
    conf = root / "logrotate.conf"
    conf.write_text(text.replace("/var/log/sessiongw/", "%s/var/log/sessiongw/" % root))
    r = subprocess.run(["logrotate", "-d", "-s", str(root / "logrotate.state"), str(conf)],
                       capture_output=True, text=True)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "error" not in out.lower(), out
    assert "considering log %s/var/log/sessiongw/audit.log" % root in out, out
