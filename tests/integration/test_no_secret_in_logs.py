"""No secret (password, key, session id or token) in the daemon's log, in
/session/metrics or in an error body, even when a database fault is
logged."""
import os

from conftest import USERS, Gateway, b64u
from test_storage import secrets_of


def test_no_secret_in_daemon_log_metrics_or_errors():
    """The daemon's stderr, /session/metrics and error bodies stay clean too."""
    g = Gateway(threads=1).start()
    try:
        tok = g.login("alice")
        bodies = [g.login_response("alice", "wrong-SEEKRIT-789").body,
                  g.validate(tok[:-3] + "AAA").body,
                  g.post("/session/logout", cookie=tok,
                         origin="http://evil.example").body]
        # a database fault, so the daemon logs an error line
        g.stop_daemon()
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
