"""The shipped deployment files keep the daemon's data to the daemon
(issue 6, item 9).

- conf/sessiongw.service: the daemon's own group, UMask=0077, state and log
  directories 0700; only the socket is given to the web server's group.
- conf/nginx/sessiongw.conf: /session/metrics answers loopback clients only.
- A TCP listen on a non-loopback address is a `warn` in check-config and
  setup-session-security (FastCGI has no authentication).
"""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import REPO, SESSIONGW_BIN, Gateway, need_binary

UNIT = REPO / "conf" / "sessiongw.service"

EXPOSED = ["0.0.0.0:9000", "192.0.2.1:9000", "[::]:9000", "gateway.example:9000"]
LOOPBACK = ["127.0.0.1:9000", "127.0.0.5:9000", "[::1]:9000", "localhost:9000"]
# setup-session-security's check lines are "warn <text>"; check-config's
# stderr lines "warn: <text>".
WARN = re.compile(r"^warn listen = (\S+) is not a loopback address: FastCGI has no "
                  r"authentication", re.M)
WARN_CHECK_CONFIG = re.compile(r"^warn: listen = (\S+) is not a loopback address: "
                               r"FastCGI has no authentication", re.M)


def unit_keys(text):
    """[Service] etc. as {section: {key: [values]}} (keys may repeat)."""
    out, sec = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            sec = out.setdefault(line.strip("[]"), {})
            continue
        k, _, v = line.partition("=")
        sec.setdefault(k.strip(), []).append(v.strip())
    return out


# ---------------------------------------------------------------- the unit

def test_unit_keeps_database_and_log_from_the_web_server_group():
    svc = unit_keys(UNIT.read_text())["Service"]
    assert svc["User"] == ["sessiongw"]
    assert svc["Group"] == ["sessiongw"], "the daemon's files would get group %s" % svc["Group"]
    assert "www-data" not in svc["Group"]
    assert svc["UMask"] == ["0077"]
    assert svc["StateDirectoryMode"] == ["0700"]
    assert svc["LogsDirectoryMode"] == ["0700"]
    assert svc["ConfigurationDirectoryMode"] == ["0700"]
    # The socket's directory: reachable by name, not readable.
    assert int(svc["RuntimeDirectoryMode"][0], 8) & 0o044 == 0
    # Membership lets the daemon give its socket to www-data (socket_group).
    assert "www-data" in " ".join(svc["SupplementaryGroups"]).split()
    assert "socket_group = www-data" in UNIT.read_text()
    # The socket is given away with fchownat(): @privileged (which holds
    # @chown) is denied, so fchownat must be allowed again after that line,
    # or systemd kills the daemon (SIGSYS) at start.
    filters = svc["SystemCallFilter"]
    deny = filters.index("~@privileged")
    assert "fchownat" in filters[deny + 1:], filters


def test_unit_file_verifies():
    """systemd-analyze verify, with ExecStart pointed at the built binary."""
    need_binary()
    sa = shutil.which("systemd-analyze")
    if sa is None:
        pytest.skip("systemd-analyze not installed (the key test above still runs)")
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / ("sgw-unit-%d" % os.getpid())
    tmp.mkdir(exist_ok=True)
    try:
        text = UNIT.read_text().replace("/usr/local/bin/sessiongw",
                                        os.path.abspath(SESSIONGW_BIN))
        (tmp / "sessiongw.service").write_text(text)
        r = subprocess.run([sa, "verify", "--man=no", str(tmp / "sessiongw.service")],
                           capture_output=True, text=True, timeout=60)
        # Lines about the unit file itself (unknown key, bad value) fail;
        # complaints about the machine (no systemd running, no such user on
        # a build box) do not concern the file.
        bad = [l for l in r.stderr.splitlines()
               if "sessiongw.service:" in l and ("Unknown" in l or "Failed to parse" in l
                                                 or "Invalid" in l or "ignoring" in l)]
        assert bad == [], r.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- the warn

def config_only(listen):
    """A gateway directory with a config and no daemon or nginx."""
    g = Gateway({"server": {"listen": listen}})
    g.tmp = Path(tempfile.mkdtemp(prefix="sgw-"))
    g.port = 0
    g.write_config()
    return g


@pytest.mark.parametrize("listen", EXPOSED + LOOPBACK + ["inherit"])
def test_check_config_warns_on_non_loopback_tcp(listen):
    need_binary()
    g = config_only(listen)
    try:
        r = g.run("check-config")
        warns = WARN_CHECK_CONFIG.findall(r.stderr)
        if listen in EXPOSED:
            assert warns == [listen], r.stderr
        else:
            assert warns == [] and "warn" not in r.stderr, r.stderr
        # stdout stays the config (a file one can install).
        assert "warn" not in r.stdout
        assert ("listen = %s" % listen) in r.stdout
    finally:
        shutil.rmtree(g.tmp, ignore_errors=True)


@pytest.mark.parametrize("listen", ["0.0.0.0:9000", "192.0.2.1:9000", "127.0.0.1:9000"])
def test_setup_warns_on_non_loopback_tcp(listen):
    """Config only: nothing listens, nothing connects to 192.0.2.1."""
    need_binary()
    g = config_only(listen)
    try:
        r = g.setup()
        warns = WARN.findall(r.stdout)
        if listen == "127.0.0.1:9000":
            assert warns == [] and ("ok   listen = %s" % listen) in r.stdout, r.stdout
        else:
            assert warns == [listen], r.stdout
    finally:
        shutil.rmtree(g.tmp, ignore_errors=True)


# ---------------------------------------------------------------- metrics

def test_metrics_only_from_loopback():
    """127.0.0.2 is loopback on Linux but not allowed by the shipped snippet
    (allow 127.0.0.1; allow ::1): a stand-in for a remote client."""
    g = Gateway().start()
    try:
        near = g.get("/session/metrics")
        assert near.status == 200
        assert "sessiongw_" in near.text
        far = g.get("/session/metrics", source="127.0.0.2")
        assert far.status == 403
        assert "sessiongw_" not in far.text
        # Only metrics: the rest of /session/ answers everyone.
        assert g.get("/session/healthz", source="127.0.0.2").status == 200
        tok = g.login("alice")
        assert g.get("/session/validate", source="127.0.0.2", cookie=tok).status == 200
    finally:
        g.close()


# ---------------------------------------------------------------- setup

def test_setup_creates_private_files_and_warns_on_readable_ones():
    """setup-session-security run from a shell with umask 022 still creates
    the database, key and audit log 0600; a database left readable by
    others (an old deployment) is a warn with the fix."""
    need_binary()
    g = config_only("unix:/run/sessiongw-test-unused.sock")
    old = os.umask(0o022)
    try:
        r = g.setup()
        for p in (g.db_path, g.audit_path, g.key_path):
            assert os.stat(p).st_mode & 0o077 == 0, "%s mode %o" % (p, os.stat(p).st_mode)
        assert "is accessible by group/others" not in r.stdout
        os.chmod(g.db_path, 0o644)
        r = g.setup()
        assert ("warn database %s is accessible by group/others (mode 644): chmod 600"
                % g.db_path) in r.stdout, r.stdout
    finally:
        os.umask(old)
        shutil.rmtree(g.tmp, ignore_errors=True)
