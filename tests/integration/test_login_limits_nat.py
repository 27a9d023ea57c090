"""Login limits count failures only (SPEC "Session rules": login limits).

- an office behind one NAT: concurrent right logins from one address all
  succeed, however low max_failures is;
- concurrent wrong guesses for one username exceed max_failures by at most
  the number of password threads, and then even the right password is 429;
- the per-address counter has its own limit, max_failures_per_ip, and counts
  IPv6 clients per /64 (checked by talking FastCGI to the daemon directly,
  since nginx on loopback only ever sends 127.0.0.1 / ::1).
"""

import json
import socket
import struct
import threading

from conftest import Gateway


def password_threads(g):
    return g.audit_events("daemon_started")[-1]["detail"]["password_threads"]


def concurrently(n, fn):
    """Run fn(i) for i < n in n threads released together; results by i."""
    out = [None] * n
    gate = threading.Barrier(n)

    def one(i):
        gate.wait()
        out[i] = fn(i)

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    return out


COLLEAGUES = {"colleague%d" % i: ("pw-colleague-%d-Tr0ub4dor" % i, False) for i in range(8)}


def test_office_behind_one_nat_signs_in_at_once():
    g = Gateway({"login": {"max_failures": 2, "max_failures_per_ip": 2}},
                users=COLLEAGUES).start()
    try:
        names = sorted(COLLEAGUES)
        # 8 colleagues at 9:00, one address
        rs = concurrently(8, lambda i: g.login_response(names[i], source="127.0.7.1"))
        assert [r.status for r in rs] == [200] * 8, rs
        assert len({r.token() for r in rs}) == 8
        # one of them on 8 devices at once
        rs = concurrently(8, lambda i: g.login_response(names[0], source="127.0.7.1"))
        assert [r.status for r in rs] == [200] * 8, rs
        assert g.db_rows("login_failures") == []
    finally:
        g.close()


def test_concurrent_wrong_guesses_bounded_by_pool_size():
    g = Gateway({"login": {"max_failures": 5, "window": 300, "lockout": 300}}).start()
    try:
        slack = password_threads(g)
        rs = concurrently(24, lambda i: g.login_response("alice", "wrong-guess-%d" % i))
        codes = [r.status for r in rs]
        assert set(codes) <= {401, 429, 503}, codes
        guessed = codes.count(401)     # a 429 never checked a password
        assert 5 <= guessed <= 5 + slack, (guessed, slack, codes)
        assert len(g.audit_events("login_failure")) == guessed
        r = g.login_response("alice")
        assert r.status == 429, r
        assert r.header("Retry-After"), r
        assert r.cookies() == []
    finally:
        g.close()


def test_per_address_limit_across_usernames():
    g = Gateway({"login": {"max_failures": 5, "max_failures_per_ip": 3}}).start()
    try:
        src = "127.0.8.1"
        for i in range(3):
            r = g.login_response("nobody%d" % i, "wrong", source=src)
            assert r.status == 401, (i, r)
        mark = g.audit_mark()
        r = g.login_response("bob", source=src)        # right password
        assert r.status == 429, r
        assert 0 < int(r.header("Retry-After")) <= 300, r
        locked = g.wait_audit(mark, "login_locked")
        assert locked and locked[0]["detail"]["scope"] == "ip", locked
        # the user is fine from another address: it was the address
        assert g.login_response("bob", source="127.0.8.2").status == 200
    finally:
        g.close()


def test_check_config_shows_the_per_address_limit():
    g = Gateway().start(daemon=False)
    try:
        out = g.run("check-config").stdout
        assert "max_failures_per_ip = 50" in out, out
        g.conf.write_text(g.conf.read_text() + "[login]\nmax_failures_per_ip = 0\n")
        r = g.run("check-config", check=False)
        assert r.returncode == 2 and "max_failures_per_ip" in r.stderr, r.stderr
    finally:
        g.close()


# ---- IPv6 per /64, straight to the daemon's FastCGI socket


def _fcgi_record(rtype, content, req_id=1):
    return struct.pack("!BBHHBx", 1, rtype, req_id, len(content), 0) + content


def _fcgi_pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)
        out += k + v
    return out


def fcgi_login(sock_path, remote_addr, username, password):
    """POST /session/login as nginx would send it; returns the status."""
    body = json.dumps({"username": username, "password": password}).encode()
    params = {
        "REQUEST_METHOD": "POST", "DOCUMENT_URI": "/session/login",
        "REQUEST_URI": "/session/login", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": remote_addr,
        "HTTP_HOST": "localhost", "SERVER_PORT": "80",
    }
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    try:
        s.connect(str(sock_path))
        s.sendall(_fcgi_record(1, struct.pack("!HB5x", 1, 0))      # BEGIN_REQUEST
                  + _fcgi_record(4, _fcgi_pairs(params)) + _fcgi_record(4, b"")
                  + _fcgi_record(5, body) + _fcgi_record(5, b""))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    stdout, pos = b"", 0
    while pos + 8 <= len(data):
        _, rtype, _, clen, plen = struct.unpack("!BBHHB", data[pos:pos + 7])
        if rtype == 6:
            stdout += data[pos + 8:pos + 8 + clen]
        pos += 8 + clen + plen
    head = stdout.split(b"\r\n\r\n", 1)[0].decode()
    for line in head.split("\r\n"):
        if line.lower().startswith("status:"):
            return int(line.split()[1])
    return 200


def test_ipv6_clients_count_per_64():
    g = Gateway({"login": {"max_failures": 5, "max_failures_per_ip": 3}}).start()
    try:
        bob = g.users["bob"][0]
        for i, addr in enumerate(["2001:db8:1:2::1", "2001:db8:1:2::2",
                                  "2001:db8:1:2:aaaa:bbbb:cccc:dddd"]):
            assert fcgi_login(g.sock, addr, "nobody%d" % i, "wrong") == 401
        # another host of the same /64: locked, right password or not
        assert fcgi_login(g.sock, "2001:db8:1:2:ffff::9", "bob", bob) == 429
        # the neighbouring /64 is someone else
        assert fcgi_login(g.sock, "2001:db8:1:3::1", "bob", bob) == 200
        keys = {r["key"] for r in g.db_rows("login_failures") if r["kind"] == "i"}
        assert keys == {"2001:db8:1:2::/64"}, keys

        # an IPv4-mapped address is its IPv4 address
        for i in range(3):
            assert fcgi_login(g.sock, "::ffff:192.0.2.1", "x%d" % i, "wrong") == 401
        assert fcgi_login(g.sock, "192.0.2.1", "bob", bob) == 429
        assert fcgi_login(g.sock, "192.0.2.2", "bob", bob) == 200
    finally:
        g.close()
