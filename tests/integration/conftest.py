"""
Integration harness for sessiongw: real nginx in front, the real daemon
behind it, a real SQLite file, all inside one temp dir per Gateway.

    gw = Gateway(overrides={"session": {"cookie_age": 3}})
    gw.start()                      # setup-session-security, users, serve, nginx
    r = gw.request("GET", "/session/healthz")
    gw.close()                      # stops what it started, by PID

nginx serves conf/nginx/example-site.conf's server body in the test site
of tests/template/nginx.conf.in (listen, root and the include of
conf/nginx/sessiongw.conf are the template's, pointed at the temp dir), so
the tests check the files users install; the daemon's config comes from
tests/template/sessiongw.conf.in (Gateway.config_values).

Environment: SESSIONGW_BIN (default REPO/build/sessiongw), NGINX_BIN,
SG_STORE=redis runs every Gateway on [store] backend = redis, each with its
own redis-server (a child process on a unix socket in the Gateway's temp
dir, stopped by PID); tests that look inside the SQLite file are skipped
then (sqlite_only). RedisServer can also be shared by several Gateways
(Gateway(redis=srv)): several gateways, one store.
SG_KEEP_TMP=1 keeps every temp dir. On a test failure the temp dirs of the
gateways alive at that moment are kept and their paths, the daemon's log
tail and nginx's error log tail are attached to the failure report.
Stdlib only.
"""

import atexit
import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "template"))
import render as template  # noqa: E402  (tests/template/render.py)
from render import render  # noqa: E402

SESSIONGW_BIN_ORIG = os.environ.get("SESSIONGW_BIN") or str(REPO / "build" / "sessiongw")
SESSIONGW_BIN = SESSIONGW_BIN_ORIG
NGINX_BIN = os.environ.get("NGINX_BIN") or shutil.which("nginx") or "/usr/sbin/nginx"
SNIPPET = REPO / "conf" / "nginx" / "sessiongw.conf"
EXAMPLE_SITE = REPO / "conf" / "nginx" / "example-site.conf"

TOKEN_LABEL = b"sessiongw-session-v1"
COOKIE = "sessiongw"
APP_MARKER = "APP-MARKER-5b1e9c"
API_MARKER = "API-MARKER-77d0a2"

# name -> (password, admin). Distinctive passwords so the audit/db scans can
# look for them.
USERS = {
    "alice": ("pw-alice-Qx7!vault", False),
    "bob": ("pw-bob-Zr4#harbor", False),
    "carol": ("pw-carol-Adm1n$peak", True),
}

STORE = os.environ.get("SG_STORE", "sqlite")
if STORE not in ("sqlite", "redis"):
    raise RuntimeError("SG_STORE must be sqlite or redis, not %r" % STORE)
REDIS_BIN = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def sqlite_only(reason):
    """Mark a test that looks at the SQLite file itself (or its locks)."""
    return pytest.mark.skipif(STORE == "redis", reason="SQLite only: " + reason)


def need_redis():
    """Skip without redis-server, unless CI or SG_STORE=redis asked for it."""
    if not os.access(REDIS_BIN, os.X_OK):
        if os.environ.get("CI") or STORE == "redis":
            pytest.fail("redis-server not found (%s)" % REDIS_BIN)
        pytest.skip("redis-server not installed")

# Every process any Gateway started, killed at exit if still alive.
_PROCS = []
# Gateways currently started, for failure reports.
_ACTIVE = []


def _kill_all():
    for p in _PROCS:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=5)
            except Exception:
                pass


atexit.register(_kill_all)


def _private_copy():
    """Run a copy of the binary, so a rebuild during the run (make in another
    shell) cannot swap it out half-way."""
    global SESSIONGW_BIN
    if os.environ.get("SESSIONGW_BIN"):
        # asked for explicitly (make test): give a concurrent rebuild time
        end = time.monotonic() + 20
        while not os.access(SESSIONGW_BIN_ORIG, os.X_OK) and time.monotonic() < end:
            time.sleep(0.5)
    if not os.access(SESSIONGW_BIN_ORIG, os.X_OK):
        return
    d = tempfile.mkdtemp(prefix="sgw-bin-")
    atexit.register(shutil.rmtree, d, True)
    SESSIONGW_BIN = os.path.join(d, "sessiongw")
    shutil.copy2(SESSIONGW_BIN_ORIG, SESSIONGW_BIN)


_private_copy()


def have_binary():
    return os.access(SESSIONGW_BIN, os.X_OK)


def need_binary():
    """Skip without a binary, unless SESSIONGW_BIN named one (make test):
    then its absence is a failure, not a skip."""
    if not have_binary():
        if os.environ.get("SESSIONGW_BIN"):
            pytest.fail("SESSIONGW_BIN=%s is not executable" % SESSIONGW_BIN_ORIG)
        pytest.skip("sessiongw binary not built: %s" % SESSIONGW_BIN_ORIG)


# --------------------------------------------------------------------------
# tokens and cookies


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def make_token(key, sid):
    """base64url(id) "." base64url(HMAC-SHA256(key, LABEL || id)), unpadded."""
    tag = hmac.new(key, TOKEN_LABEL + sid, hashlib.sha256).digest()
    return b64u(sid) + "." + b64u(tag)


def token_id(token):
    return unb64u(token.split(".", 1)[0])


def token_tag(token):
    return unb64u(token.split(".", 1)[1])


def token_signed_by(token, key):
    return hmac.compare_digest(make_token(key, token_id(token)), token)


def handle_of(token):
    return hashlib.sha256(token_id(token)).hexdigest()[:12]


def parse_set_cookie(value):
    """'n=v; Path=/; HttpOnly' -> (n, v, {'path': '/', 'httponly': True})."""
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        if not p:
            continue
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name.strip(), val.strip(), attrs


def is_clearing(attrs, value):
    if value not in ("", '""'):
        return False
    if "max-age" in attrs:
        return attrs["max-age"] in ("0", "-1") or attrs["max-age"].startswith("-")
    exp = attrs.get("expires")
    return isinstance(exp, str) and "1970" in exp


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value), repeats kept
        self.body = body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def headers_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def cookies(self, name=COOKIE):
        """Parsed Set-Cookie headers for name: list of (value, attrs)."""
        out = []
        for v in self.headers_all("Set-Cookie"):
            n, val, attrs = parse_set_cookie(v)
            if n == name:
                out.append((val, attrs))
        return out

    def token(self, name=COOKIE):
        """The (single, non-clearing) session token this response sets."""
        c = [(v, a) for v, a in self.cookies(name) if not is_clearing(a, v)]
        assert len(c) == 1, "expected one %s Set-Cookie, got %r" % (name, self.headers)
        return c[0][0]

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.headers, self.body[:300])


def http_request(port, method, path, body=None, headers=None, cookie=None,
                 origin=None, host=None, source=None, timeout=15, addr="127.0.0.1"):
    """One request on a fresh connection. body: bytes, str or dict (JSON)."""
    hdrs = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    if cookie is not None:
        hdrs["Cookie"] = cookie if "=" in cookie or cookie == "" else "%s=%s" % (COOKIE, cookie)
    if origin is not None:
        hdrs["Origin"] = origin
    if host is not None:
        hdrs["Host"] = host
    if body is None and method in ("POST", "PUT"):
        body = b""
    conn = http.client.HTTPConnection(addr, port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.getheaders(), data)
    finally:
        conn.close()


def form(**kw):
    from urllib.parse import urlencode
    return urlencode(kw)


FORM_CT = {"Content-Type": "application/x-www-form-urlencoded"}


def mount_tmpfs(path, size):
    """Make directory path and mount a tmpfs of size (mount's -o size=)
    on it; False when that is not allowed (not root)."""
    path.mkdir()
    rc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size,
                         "tmpfs", str(path)], capture_output=True)
    return rc.returncode == 0


def tmpfs_gateway(size):
    """A started Gateway (2 threads) and a tmpfs of size mounted at its
    g.tmp / "full", as (g, full); closes g and skips the test when the
    mount is not allowed (not root). The caller unmounts (umount -l)."""
    g = Gateway(threads=2).start()
    full = g.tmp / "full"
    if os.geteuid() != 0 or not mount_tmpfs(full, size):
        g.close()
        pytest.skip("needs root to mount a small tmpfs")
    return g, full


def move_database(g, dest):
    """Stop g's daemon, copy its SQLite database (with -wal and -shm) into
    directory dest, point the config there and start the daemon again."""
    assert g.stop_daemon() == 0
    for suffix in ("", "-wal", "-shm"):
        src = g.tmp / ("sg.db" + suffix)
        if src.exists():
            shutil.copy(src, dest / ("sg.db" + suffix))
    g.overrides.setdefault("server", {})["database"] = dest / "sg.db"
    g.write_config()
    g.start_daemon()


# [server] keys with a line of their own in tests/template/sessiongw.conf.in
# (the placeholder each one fills); every other key goes in its section's
# block.
CONF_INLINE = {"listen": "LISTEN", "threads": "THREADS", "database": "DATABASE",
               "audit_log": "AUDIT_LOG", "secret_key_file": "SECRET_KEY",
               "socket_mode": "SOCKET_MODE"}


def split_site(text, deploy):
    """An nginx site file (comments, http-level blocks, one `server {`
    block ending at the last `}` line) as (what is before the server,
    the server's body), indented for tests/template/nginx.conf.in, with
    each line matching a pattern of deploy (the site's deployment lines
    that the template writes) taken out of the body: exactly one each, or
    AssertionError."""
    m = re.search(r"(?ms)^server \{\n(.*)^\}\s*\Z", text)
    if not m:
        raise AssertionError("no server { ... } block at the end of the site file")
    before, body = text[:m.start()], m.group(1)
    for pat in deploy:
        body, n = re.subn(r"(?m)^[ \t]*%s[ \t]*\n" % pat, "", body)
        if n != 1:
            raise AssertionError("site file: expected one %r" % pat)
    return textwrap.indent(before, "    "), textwrap.indent(body, "    ")


def free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise TimeoutError("timed out waiting for " + what)


def unix_connectable(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.settimeout(0.5)
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def tcp_connectable(port, addr="127.0.0.1"):
    try:
        socket.create_connection((addr, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def tail(path, n=40):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no %s)" % path
    return "\n".join(lines[-n:])


# --------------------------------------------------------------------------
# the gateway


def _resp_read(f):
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return rest.decode()
    if t == b"-":
        raise AssertionError("redis: %s" % rest.decode())
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise AssertionError("redis: bad reply %r" % line)


class RedisServer:
    """A redis-server child process on a unix socket in its own temp dir
    (AOF on, fsync always, no RDB snapshots), never the system service.
    kill() is SIGKILL (an outage), start() again replays the AOF."""

    def __init__(self, aof=True, extra=(), port=None):
        # port: listen on 127.0.0.1:port instead of the unix socket
        # (Sentinel needs TCP addresses)
        self.dir = Path(tempfile.mkdtemp(prefix="sgr-"))
        os.chmod(self.dir, 0o700)
        self.aof = aof
        self.extra = list(extra)
        self.port = port
        self.proc = None

    @property
    def sock(self):
        return self.dir / "redis.sock"

    @property
    def addr(self):
        if self.port:
            return "127.0.0.1:%d" % self.port
        return "unix:%s" % self.sock

    def args(self):
        where = (["--port", str(self.port), "--bind", "127.0.0.1"] if self.port else
                 ["--port", "0", "--unixsocket", str(self.sock), "--unixsocketperm", "700"])
        return [REDIS_BIN] + where + ["--dir", str(self.dir),
                "--save", "", "--appendonly", "yes" if self.aof else "no",
                "--appendfsync", "always", "--logfile", str(self.dir / "redis.log"),
                "--daemonize", "no"] + self.extra

    def start(self):
        need_redis()
        assert self.proc is None or self.proc.poll() is not None
        self.proc = subprocess.Popen(self.args(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _PROCS.append(self.proc)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("redis-server exited %d:\n%s" % (
                    self.proc.returncode, tail(self.dir / "redis.log")))
            # with the default user off, NOAUTH also says it is serving
            out = self.cli("PING", check=False)
            return out.strip() == "PONG" or "NOAUTH" in out
        wait_for(up, 15, "redis-server")
        return self

    def cli(self, *args, check=True):
        where = ["-p", str(self.port)] if self.port else ["-s", str(self.sock)]
        r = subprocess.run([REDIS_CLI] + where + [str(a) for a in args],
                           capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError("redis-cli %s: %s" % (args, r.stderr))
        return r.stdout

    def call(self, *args):
        """One command over RESP (binary-safe, unlike redis-cli output)."""
        if self.port:
            c = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        else:
            c = socket.socket(socket.AF_UNIX)
            c.settimeout(10)
            c.connect(str(self.sock))
        try:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            c.sendall(out)
            return _resp_read(c.makefile("rb"))
        finally:
            c.close()

    def kill(self, sig=signal.SIGKILL):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        try:
            os.unlink(self.sock)
        except OSError:
            pass

    def close(self, keep=False):
        self.kill(signal.SIGTERM)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def redis_gateway(overrides, before_close=None):
    """A Gateway (4 threads) on a fresh RedisServer child, for the tests
    that stop or kill that Redis: yields (g, srv); at the end calls
    before_close(srv) if given, then closes both (kept on failure)."""
    need_redis()
    srv = RedisServer().start()
    g = Gateway(redis=srv, threads=4, overrides=overrides)
    try:
        g.start()
        yield g, srv
    finally:
        if before_close is not None:
            before_close(srv)
        g.close(failed=g.keep)
        srv.close(keep=g.keep)


def timed(fn):
    """fn()'s result and how long it took, in seconds."""
    t = time.monotonic()
    r = fn()
    return r, time.monotonic() - t


class Gateway:
    """One daemon + one nginx in a fresh temp dir."""

    def __init__(self, overrides=None, users=USERS, fallback_files=0, threads=4,
                 redis=None, redis_prefix="sessiongw:", backend=None):
        # redis: a RedisServer shared with other Gateways (not stopped
        # here); with SG_STORE=redis and none given, one of our own.
        self.redis = redis
        self.own_redis = None
        self.backend = backend or ("redis" if redis is not None else STORE)
        self.redis_prefix = redis_prefix
        self.overrides = overrides or {}
        self.users = dict(users)
        self.nfallback = fallback_files
        self.threads = threads
        self.tmp = None
        self.daemon = None
        self.nginx = None
        self.keep = bool(os.environ.get("SG_KEEP_TMP"))
        self.port = None

    # paths
    def p(self, name):
        return self.tmp / name

    @property
    def conf(self):
        return self.p("sessiongw.conf")

    @property
    def sock(self):
        return self.p("sg.sock")

    @property
    def db_path(self):
        return self.p("sg.db")

    @property
    def audit_path(self):
        return self.p("audit.log")

    @property
    def key_path(self):
        return self.p("secret.key")

    def fallback_path(self, i):
        return self.p("fallback%d.key" % i)

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.port

    # lifecycle
    def start(self, daemon=True, setup=True):
        self.tmp = Path(tempfile.mkdtemp(prefix="sgw-"))
        os.chmod(self.tmp, 0o700)
        _ACTIVE.append(self)
        try:
            self.port = free_port()
            if self.redis is None and self.backend == "redis":
                self.own_redis = self.redis = RedisServer().start()
            for i in range(self.nfallback):
                self.write_keyfile(self.fallback_path(i), [os.urandom(32)])
            self.write_config()
            self.write_www()
            if daemon:
                need_binary()
                if setup:
                    self.setup()
                    for name, (pw, admin) in self.users.items():
                        self.add_user(name, pw, admin)
                self.start_daemon()
            self.start_nginx()
        except BaseException:
            self.close()
            raise
        return self

    def close(self, failed=False):
        self.stop_nginx()
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait(timeout=5)
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if self.own_redis is not None:
            self.own_redis.close(keep=self.keep or failed)
        # make check: a sanitizer report in the daemon's log fails the test
        # even when no request noticed it.
        report = None
        if self.tmp:
            log = tail(self.p("daemon.log"), 100000)
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                           "runtime error:", "ThreadSanitizer"):
                if marker in log:
                    report = log[log.index(marker) - 200 if log.index(marker) > 200 else 0:][:4000]
                    failed = True
                    break
        if self.tmp and not (self.keep or failed):
            shutil.rmtree(self.tmp, ignore_errors=True)
        if report:
            raise AssertionError("sanitizer report in %s:\n%s" % (self.p("daemon.log"), report))

    def debug_report(self):
        return "temp dir: %s\n--- daemon log ---\n%s\n--- nginx error.log ---\n%s\n" % (
            self.tmp, tail(self.p("daemon.log")), tail(self.p("error.log"), 15))

    # files
    def config_dict(self):
        t = self.tmp
        c = {
            "server": {
                "listen": "unix:%s" % self.sock,
                "threads": self.threads,
                "socket_mode": "0660",
                "database": t / "sg.db",
                "audit_log": t / "audit.log",
                "secret_key_file": t / "secret.key",
            },
            "session": {},
            "login": {},
        }
        if self.redis is not None:
            c["store"] = {"backend": "redis", "redis": self.redis.addr,
                          "redis_prefix": self.redis_prefix}
        if self.nfallback:
            c["server"]["secret_key_fallback_files"] = ",".join(
                str(self.fallback_path(i)) for i in range(self.nfallback))
        for sec, kv in self.overrides.items():
            for k, v in kv.items():
                c.setdefault(sec, {})[k] = v
        return c

    def config_values(self):
        """config_dict() as the values of tests/template/sessiongw.conf.in:
        the [server] keys the template gives a line of their own, every
        other key as a line of its section's block. A section or a key the
        template has no place for is a RenderError, not a dropped line."""
        v = {"WRITER": "tests/integration/conftest.py"}
        for sec, kv in self.config_dict().items():
            lines = []
            for k, val in kv.items():
                if val is None:
                    continue
                if isinstance(val, bool):
                    val = "true" if val else "false"
                if sec == "server" and k in CONF_INLINE:
                    v[CONF_INLINE[k]] = val
                else:
                    lines.append("%s = %s" % (k, val))
            v[sec.upper()] = "\n".join(lines)
        return v

    def write_config(self):
        self.conf.write_text(render(template.SESSIONGW_CONF, self.config_values()))

    @staticmethod
    def write_keyfile(path, keys):
        path = Path(path)
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("".join(k.hex() + "\n" for k in keys))
        os.chmod(path, 0o600)

    @staticmethod
    def read_keyfile(path):
        return [bytes.fromhex(l.strip()) for l in Path(path).read_text().splitlines()
                if l.strip()]

    def keys(self):
        return self.read_keyfile(self.key_path)

    def write_www(self):
        www = self.p("www")
        (www / "app").mkdir(parents=True)
        (www / "api").mkdir(parents=True)
        (www / "index.html").write_text("<p>public</p>\n")
        (www / "app" / "index.html").write_text("<p>%s</p>\n" % APP_MARKER)
        (www / "app" / "page.html").write_text("<p>%s page</p>\n" % APP_MARKER)
        (www / "api" / "index.json").write_text('{"marker":"%s"}\n' % API_MARKER)
        (www / "api" / "data.json").write_text('{"marker":"%s"}\n' % API_MARKER)

    def site(self):
        """This gateway's site in tests/template/nginx.conf.in, as values
        of its placeholders: LOCATIONS (and HTTP, SERVERS, SNIPPET when a
        test needs them). Here conf/nginx/example-site.conf's server body;
        its three deployment lines (listen, root, include of the snippet)
        are the template's own, pointed at this temp dir."""
        _, body = split_site(EXAMPLE_SITE.read_text(), (
            r"listen 127\.0\.0\.1:8080;", r"root /var/www/example;",
            r"include /etc/nginx/snippets/sessiongw\.conf;"))
        # the app identity snippets (sessiongw-app-proxy.conf, ...)
        body = body.replace("/etc/nginx/snippets/sessiongw-app-",
                            str(SNIPPET.parent / "sessiongw-app-"))
        return {"LOCATIONS": body}

    def nginx_values(self):
        t = self.tmp
        v = {
            "WRITER": "tests/integration/conftest.py",
            "MAIN": "user root;" if os.geteuid() == 0 else "",
            "NGINX_DIR": t, "DAEMON": "off", "ERROR_LOG_LEVEL": "info",
            "WORKER_CONNECTIONS": 256, "ACCESS_LOG": t / "access.log",
            "SOCKET": self.sock, "PORT": self.port, "WWW": self.p("www"),
            "SNIPPET": SNIPPET,
            "HTTP": "    include /etc/nginx/mime.types;\n"
                    "    default_type application/octet-stream;",
        }
        site = dict(self.site())
        if "HTTP" in site:
            v["HTTP"] += "\n" + site.pop("HTTP")
        v.update(site)
        return v

    def write_nginx_conf(self):
        self.p("nginx.conf").write_text(render(template.NGINX_CONF, self.nginx_values()))

    # the CLI
    def run(self, *args, input=None, check=True, timeout=60):
        need_binary()
        r = subprocess.run([SESSIONGW_BIN, "-c", str(self.conf)] + [str(a) for a in args],
                           input=input, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("sessiongw %s: exit %d\nstdout:\n%s\nstderr:\n%s" % (
                " ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
        return r

    def setup(self, *extra, check=True):
        return self.run("setup-session-security", *extra, check=check)

    def add_user(self, name, pw, admin=False):
        args = ["user", "add", name, "--password-stdin"] + (["--admin"] if admin else [])
        return self.run(*args, input=pw + "\n")

    # the daemon
    def start_daemon(self, wait=True):
        assert self.daemon is None or self.daemon.poll() is not None
        log = open(self.p("daemon.log"), "ab")
        try:
            self.daemon = subprocess.Popen(
                [SESSIONGW_BIN, "-c", str(self.conf), "serve"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        finally:
            log.close()
        _PROCS.append(self.daemon)
        if wait:
            def up():
                if self.daemon.poll() is not None:
                    raise AssertionError("sessiongw serve exited %d:\n%s" % (
                        self.daemon.returncode, tail(self.p("daemon.log"))))
                return unix_connectable(self.sock)
            wait_for(up, 15, "the daemon's socket")
        return self.daemon

    def stop_daemon(self, sig=signal.SIGTERM, timeout=15):
        """Signal the daemon and wait; returns its exit code."""
        d = self.daemon
        if d is None or d.poll() is not None:
            return d.returncode if d else None
        d.send_signal(sig)
        try:
            return d.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            d.kill()
            d.wait(timeout=5)
            raise AssertionError("daemon did not exit within %ds of signal %d" % (timeout, sig))

    def restart_daemon(self):
        rc = self.stop_daemon()
        assert rc == 0, "daemon exit status %r after SIGTERM" % rc
        self.start_daemon()

    def hup(self, settle=0.3):
        self.daemon.send_signal(signal.SIGHUP)
        time.sleep(settle)
        assert self.daemon.poll() is None, "daemon died on SIGHUP"

    # nginx
    def start_nginx(self):
        self.write_nginx_conf()
        t = self.tmp
        r = subprocess.run([NGINX_BIN, "-t", "-p", str(t), "-c", str(t / "nginx.conf"),
                            "-e", str(t / "error.log")], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("nginx -t failed:\n" + r.stderr)
        log = open(t / "nginx.out", "ab")
        try:
            self.nginx = subprocess.Popen(
                [NGINX_BIN, "-p", str(t), "-c", str(t / "nginx.conf"), "-e", str(t / "error.log")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        finally:
            log.close()
        _PROCS.append(self.nginx)

        def up():
            if self.nginx.poll() is not None:
                raise AssertionError("nginx exited:\n" + tail(t / "error.log"))
            return tcp_connectable(self.port)
        wait_for(up, 10, "nginx")

    def stop_nginx(self):
        n = self.nginx
        if n is not None and n.poll() is None:
            n.send_signal(signal.SIGQUIT)  # graceful; workers exit with it
            try:
                n.wait(timeout=10)
            except subprocess.TimeoutExpired:
                n.kill()
                n.wait(timeout=5)
        self.nginx = None

    # HTTP
    def request(self, method, path, **kw):
        return http_request(self.port, method, path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def login_response(self, user, password=None, how="json", **kw):
        if password is None:
            password = self.users[user][0]
        if how == "json":
            return self.post("/session/login", {"username": user, "password": password}, **kw)
        hdrs = dict(FORM_CT)
        hdrs.update(kw.pop("headers", {}))
        return self.post("/session/login", form(username=user, password=password),
                         headers=hdrs, **kw)

    def login(self, user="alice", **kw):
        r = self.login_response(user, **kw)
        assert r.status == 200, "login %s: %r" % (user, r)
        return r.token()

    def validate(self, token, **kw):
        return self.get("/session/validate", cookie=token, **kw)

    # the records
    def audit(self):
        try:
            text = self.audit_path.read_text()
        except FileNotFoundError:
            return []
        return [json.loads(l) for l in text.splitlines() if l.strip()]

    def audit_events(self, event):
        return [e for e in self.audit() if e.get("event") == event]

    def audit_mark(self):
        """Number of audit lines now; pass to audit_since()."""
        return len(self.audit())

    def audit_since(self, mark, event=None):
        lines = self.audit()[mark:]
        return [e for e in lines if event is None or e.get("event") == event]

    def wait_audit(self, mark, event, timeout=3):
        end = time.monotonic() + timeout
        while True:
            ev = self.audit_since(mark, event)
            if ev or time.monotonic() > end:
                return ev
            time.sleep(0.05)

    def db(self):
        c = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True, timeout=10)
        c.row_factory = sqlite3.Row
        return c

    def db_rows(self, table):
        """The rows of a store table, on either backend (Redis: read back
        from its keys into the SQLite table's column names)."""
        if self.redis is not None:
            return self._redis_rows(table)
        with self.db() as c:
            return [dict(r) for r in c.execute("SELECT * FROM %s" % table)]

    def count_sessions(self):
        return len(self.db_rows("sessions"))

    def _redis_rows(self, table):
        r, p = self.redis, self.redis_prefix.encode()

        def keys(pat):
            return sorted(r.call("KEYS", p + pat))

        def h(key):
            v = r.call("HGETALL", key)
            return {v[i].decode(): v[i + 1] for i in range(0, len(v), 2)}

        def num(b):
            return int(b) if b is not None else None
        rows = []
        if table == "users":
            for k in keys(b"user:*"):
                if k.endswith(b":next"):
                    continue
                u = h(k)
                rows.append({"id": int(k[len(p) + 5:]), "name": u["name"].decode(),
                             "pwhash": u["pwhash"].decode(), "admin": num(u["admin"]),
                             "locked": num(u["locked"]), "must_reset": num(u["must_reset"]),
                             "pw_changed_at": num(u["pw_changed_at"]),
                             "created_at": num(u["created_at"]),
                             "mfa_secret": u.get("mfa_secret"),
                             "mfa_last_step": num(u.get("mfa_last_step")) or 0,
                             "mfa_recovery": u.get("mfa_recovery"),
                             "mfa_recovery_used": num(u.get("mfa_recovery_used")) or 0})
        elif table == "sessions":
            for k in keys(b"s:*"):
                v = h(k)
                if not v:
                    continue
                rows.append({"hash": bytes.fromhex(k[len(p) + 2:].decode()),
                             "handle": v["handle"].decode(), "user_id": num(v["user_id"]),
                             "created_at": num(v["created_at"]),
                             "last_seen": num(v["last_seen"]),
                             "expires_at": num(v["expires_at"]),
                             "pw_changed_at": num(v["pw_changed_at"]),
                             "request_count": num(v["request_count"]),
                             "ip": v["ip"].decode(), "user_agent": v["ua"].decode(),
                             "remember": num(v.get("remember")) or 0})
        elif table == "cache":
            seq = r.call("ZRANGE", p + b"cache", 0, -1, "WITHSCORES")
            seqs = {seq[i]: int(float(seq[i + 1])) for i in range(0, len(seq), 2)}
            for k in keys(b"c:*"):
                v = h(k)
                if not v:
                    continue
                member = k[len(p) + 2:]
                scope, key = member.split(b":", 1)
                rows.append({"scope": int(scope), "key": key.decode(), "value": v["v"],
                             "content_type": v["ct"].decode(),
                             "expires_at": num(v["exp"]), "created_at": num(v.get("ca")),
                             "seq": seqs.get(member)})
            rows.sort(key=lambda x: x["seq"] or 0)
        elif table == "login_failures":
            for k in keys(b"f:*"):
                v = h(k)
                kind, key = k[len(p) + 2:].split(b":", 1)
                rows.append({"kind": "u" if kind == b"u" else "i", "key": key.decode(),
                             "count": num(v["count"]), "first_at": num(v["first_at"]),
                             "last_at": num(v["last_at"])})
        elif table == "mfa_pending":
            for k in keys(b"mp:*"):
                v = r.call("GET", k)
                if v is None:
                    continue
                uid, exp, enrol = v.split()
                rows.append({"hash": bytes.fromhex(k[len(p) + 3:].decode()),
                             "user_id": int(uid), "expires_at": int(exp),
                             "enrol": int(enrol)})
        else:
            raise AssertionError("no Redis rows for table %s" % table)
        return rows


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def gw():
    """A default gateway shared by a test module."""
    g = Gateway()
    g.start()
    try:
        yield g
    finally:
        g.close(failed=g.keep)


@pytest.fixture
def make_gw():
    """Factory for per-test gateways with config overrides."""
    made = []

    def make(overrides=None, **kw):
        g = Gateway(overrides, **kw)
        made.append(g)
        return g.start()
    try:
        yield make
    finally:
        for g in made:
            g.close(failed=g.keep)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for g in list(_ACTIVE):
            g.keep = True
            rep.sections.append(("gateway %s" % g.tmp, g.debug_report()))


# Tests in files this branch must not edit (test_more.py,
# test_review_fixes.py; by function name, so a rename of the file keeps
# them) that look at SQLite itself: skipped under SG_STORE=redis.
SQLITE_ONLY_ELSEWHERE = {
    "test_cleanup_deletes_expired_sessions":
        "cleanup deletes SQLite rows; Redis expires keys by TTL",
    "test_no_secret_in_daemon_log_metrics_or_errors":
        "SESSIONGW_FAULT_STEP fails a SQLite step",
}


def pytest_collection_modifyitems(config, items):
    if STORE != "redis":
        return
    for item in items:
        reason = SQLITE_ONLY_ELSEWHERE.get(item.originalname or item.name)
        if reason:
            item.add_marker(pytest.mark.skip(reason="SQLite only: " + reason))


def pytest_configure(config):
    config.addinivalue_line("markers", "html: browser sign-in pages (SPEC 'Browser sign-in')")
    config.addinivalue_line("markers", "slow: sleeps for expiry")
    config.addinivalue_line("markers", "nginx_only: needs no sessiongw binary")


# --------------------------------------------------------------------------
# a tiny FastCGI responder, to check the nginx side without the daemon


class UnixSocketServer:
    """A fake backend on a unix socket (mode 0666, so nginx's workers can
    connect): an accept loop in a daemon thread that hands each connection
    to self._accepted(c), and close(), which stops the loop. Subclasses set
    their own state before calling __init__ (the loop starts at once) and
    set UNLINK_ON_CLOSE to remove the socket file when closed."""

    UNLINK_ON_CLOSE = False

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
        if self.UNLINK_ON_CLOSE:
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def _loop(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._accepted(c)

    def _accepted(self, c):
        raise NotImplementedError

    @staticmethod
    def _read(c, n):
        """Exactly n bytes from c; EOFError when the peer closes first."""
        b = b""
        while len(b) < n:
            x = c.recv(n - len(b))
            if not x:
                raise EOFError
            b += x
        return b


class FakeFastCGI(UnixSocketServer):
    """Threaded FastCGI responder on a unix socket. Records every request's
    params; answers /session/validate with 200 for Cookie sessiongw=good
    (plus X-Session-User and a Set-Cookie) and 401 otherwise; everything else
    with 200 and the params as JSON."""

    UNLINK_ON_CLOSE = True

    def __init__(self, path):
        self.requests = []
        self.lock = threading.Lock()
        super().__init__(path)

    def _accepted(self, c):
        threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _pairs(data):
        out, i = [], 0

        def ln():
            nonlocal i
            if data[i] < 128:
                i += 1
                return data[i - 1]
            v = struct.unpack(">I", data[i:i + 4])[0] & 0x7FFFFFFF
            i += 4
            return v
        while i < len(data):
            nl = ln()
            vl = ln()
            out.append((data[i:i + nl].decode("latin-1"), data[i + nl:i + nl + vl].decode("latin-1")))
            i += nl + vl
        return out

    @staticmethod
    def _rec(t, rid, content):
        out = b""
        for off in range(0, max(len(content), 1), 65535):
            chunk = content[off:off + 65535]
            out += struct.pack(">BBHHBx", 1, t, rid, len(chunk), 0) + chunk
            if not content:
                break
        return out

    def _serve(self, c):
        c.settimeout(10)
        try:
            params, stdin, rid = b"", b"", 1
            while True:
                h = self._read(c, 8)
                _, t, rid, clen, plen = struct.unpack(">BBHHBx", h)
                content = self._read(c, clen)
                self._read(c, plen)
                if t == 4:
                    params += content
                elif t == 5:
                    stdin += content
                    if clen == 0:
                        break
            pairs = self._pairs(params)
            env = dict(reversed(pairs))  # first occurrence wins, like FCGX_GetParam
            with self.lock:
                self.requests.append({"pairs": pairs, "env": env, "stdin": stdin})
            uri = env.get("DOCUMENT_URI", "")
            if uri == "/session/validate":
                if "sessiongw=good" in env.get("HTTP_COOKIE", ""):
                    head = ("Status: 200 OK\r\nX-Session-User: fakeuser\r\n"
                            "Set-Cookie: sessiongw=good2; Path=/\r\n\r\n")
                else:
                    head = ("Status: 401 Unauthorized\r\n"
                            "Set-Cookie: sessiongw=; Path=/; Max-Age=0\r\n"
                            "Content-Type: application/json\r\n\r\n"
                            '{"error":"no_session","message":"x"}')
                out = head.encode()
            else:
                body = json.dumps({"pairs": pairs, "stdin": stdin.decode("latin-1")}).encode()
                out = b"Status: 200 OK\r\nContent-Type: application/json\r\n\r\n" + body
            c.sendall(self._rec(6, rid, out) + self._rec(6, rid, b"")
                      + self._rec(3, rid, struct.pack(">IB3x", 0, 0)))
        except (EOFError, OSError):
            pass
        finally:
            c.close()

    def validate_calls(self):
        with self.lock:
            return [r for r in self.requests if r["env"].get("DOCUMENT_URI") == "/session/validate"]
