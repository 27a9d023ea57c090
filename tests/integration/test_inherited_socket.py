"""listen = inherit (systemd socket activation, spawn-fcgi): a stop leaves
the inherited listening socket usable by the next daemon."""
import signal
import socket
import subprocess

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
