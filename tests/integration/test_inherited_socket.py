"""Regression tests for defects found in review.

- a stop must leave an inherited listening socket (listen = inherit, as
  systemd socket activation or spawn-fcgi give) usable by the next daemon;
- concurrent wrong passwords cannot get more guesses than max_failures.
"""
import signal
import socket
import subprocess
import threading

from conftest import SESSIONGW_BIN, Gateway, _PROCS, wait_for


def _serve_inherited(g, sock):
    log = open(g.p("daemon.log"), "ab")
    try:
        d = subprocess.Popen([SESSIONGW_BIN, "-c", str(g.conf), "serve"],
                             stdin=sock.fileno(), stdout=log, stderr=log)
    finally:
        log.close()
    _PROCS.append(d)
    return d


def test_inherited_socket_survives_a_stop():
    g = Gateway(overrides={"server": {"listen": "inherit"}})
    g.start(daemon=False)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(g.sock))
        sock.listen(64)
        g.setup()
        g.add_user("alice", g.users["alice"][0])
        for round_ in range(2):
            d = _serve_inherited(g, sock)
            wait_for(lambda: g.get("/session/healthz").status == 200, 10,
                     "daemon %d on the inherited socket" % round_)
            if round_ == 0:
                token = g.login("alice")
            assert g.validate(token).status == 200
            d.send_signal(signal.SIGTERM)
            assert d.wait(timeout=10) == 0
    finally:
        sock.close()
        g.close()


def test_concurrent_wrong_passwords_bounded_by_max_failures():
    g = Gateway(overrides={"login": {"max_failures": 3, "window": 300,
                                     "lockout": 300}}, threads=8).start()
    try:
        results = []
        lock = threading.Lock()

        def attempt():
            r = g.login_response("alice", password="wrong-password")
            with lock:
                results.append(r.status)

        threads = [threading.Thread(target=attempt) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(set(results)) <= [401, 429], results
        assert results.count(401) <= 3, results
        # and the right password is refused too, until the lockout ends
        r = g.login_response("alice")
        assert r.status == 429 and r.header("Retry-After")
    finally:
        g.close()


def test_no_secret_in_daemon_log_metrics_or_errors():
    """The daemon's stderr, /session/metrics and error bodies stay clean too."""
    from test_storage import secrets_of
    from conftest import USERS, b64u

    g = Gateway(threads=1).start()
    try:
        tok = g.login("alice")
        bodies = [g.login_response("alice", "wrong-SEEKRIT-789").body,
                  g.validate(tok[:-3] + "AAA").body,
                  g.post("/session/logout", cookie=tok,
                         origin="http://evil.example").body]
        # a database fault, so the daemon logs an error line
        g.stop_daemon()
        import os
        os.environ["SESSIONGW_FAULT_STEP"] = "1"
        try:
            g.start_daemon()
        finally:
            del os.environ["SESSIONGW_FAULT_STEP"]
        bodies.append(g.validate(tok).body)
        bodies.append(g.validate(tok).body)
        metrics = g.get("/session/metrics").body
        g.stop_daemon()
        log = g.p("daemon.log").read_bytes()
        assert b"database error" in log     # the fault was logged...
        secrets = [pw.encode() for pw, _ in USERS.values()]
        secrets.append(b"wrong-SEEKRIT-789")
        for k in g.keys():
            secrets += [k.hex().encode(), b64u(k).encode()]
        sec, _ = secrets_of(tok)
        secrets += list(sec.values())
        for s in secrets:                   # ...without any secret
            assert s not in log, "secret in daemon log: %r" % s[:12]
            assert s not in metrics, "secret in metrics: %r" % s[:12]
            for b in bodies:
                assert s not in b, "secret in a response body: %r" % s[:12]
    finally:
        g.close()
