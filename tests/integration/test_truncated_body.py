"""A cut-off body is refused (SPEC "HTTP endpoints"): a FastCGI request
whose body is shorter than CONTENT_LENGTH, or whose CONTENT_LENGTH is not a
non-negative integer, is 400 and nothing is acted on — no login, no stored
value, no session change.

nginx never forwards a cut-off upload, so these tests talk FastCGI to the
daemon's unix socket directly, with a small client written here.
"""

import socket
import struct

import pytest

from conftest import COOKIE, USERS, form

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6
FCGI_RESPONDER = 1


def _record(rtype, content, rid=1):
    return struct.pack(">BBHHBx", 1, rtype, rid, len(content), 0) + content


def _nv_len(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def _pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        out += _nv_len(len(k)) + _nv_len(len(v)) + k + v
    return out


def fastcgi(sock_path, params, stdin, timeout=15):
    """One FastCGI request: BEGIN_REQUEST, PARAMS, the STDIN bytes given
    (whatever CONTENT_LENGTH says), the empty STDIN record. Returns
    (status, headers dict (lower-case names), body bytes)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(str(sock_path))
        msg = _record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", FCGI_RESPONDER, 0))
        msg += _record(FCGI_PARAMS, _pairs(params)) + _record(FCGI_PARAMS, b"")
        for off in range(0, len(stdin), 32768):
            msg += _record(FCGI_STDIN, stdin[off:off + 32768])
        msg += _record(FCGI_STDIN, b"")
        s.sendall(msg)
        out, buf, ended = b"", b"", False
        while not ended:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 8:
                _, rtype, _, clen, plen = struct.unpack(">BBHHBx", buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
                if rtype == FCGI_STDOUT:
                    out += content
                elif rtype == FCGI_END_REQUEST:
                    ended = True
        assert ended, "no END_REQUEST from the daemon: %r" % out[:300]
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n"):
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    status = int(headers.get("status", ["200"])[0].split()[0])
    return status, headers, body


def params_for(method, uri, content_type, content_length, cookie=None):
    p = {
        "REQUEST_METHOD": method,
        "DOCUMENT_URI": uri,
        "SCRIPT_NAME": uri,
        "REQUEST_URI": uri,
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": content_length,
    }
    if cookie is not None:
        p["HTTP_COOKIE"] = "%s=%s" % (COOKIE, cookie)
    return p


LOGIN_BODY = form(username="alice", password=USERS["alice"][0]).encode()
FORM = "application/x-www-form-urlencoded"


def login_raw(gw, content_length, body=LOGIN_BODY):
    return fastcgi(gw.sock, params_for("POST", "/session/login", FORM, content_length), body)


def test_whole_body_logs_in(gw):
    """The client itself is right: a whole body signs in."""
    status, headers, body = login_raw(gw, str(len(LOGIN_BODY)))
    assert status == 200, body
    assert any(v.startswith(COOKIE + "=") for v in headers.get("set-cookie", []))


@pytest.mark.parametrize("content_length", [
    len(LOGIN_BODY) + 1,        # one byte missing
    len(LOGIN_BODY) + 40,
    4096,
])
def test_cut_off_login_is_400_and_no_login(gw, content_length):
    sessions = gw.count_sessions()
    mark = gw.audit_mark()
    # the whole, valid form arrives, but less than CONTENT_LENGTH announced
    status, headers, body = login_raw(gw, str(content_length))
    assert status == 400, body
    assert b"bad_request" in body
    assert "set-cookie" not in headers
    assert gw.count_sessions() == sessions
    assert gw.audit_since(mark, "login_success") == []
    assert gw.audit_since(mark, "session_created") == []


@pytest.mark.parametrize("content_length", ["-1", "abc", "1e3", " 47", "+47",
                                            "99999999999999999999999"])
def test_bad_content_length_is_400(gw, content_length):
    sessions = gw.count_sessions()
    status, headers, body = login_raw(gw, content_length)
    assert status == 400, body
    assert "set-cookie" not in headers
    assert gw.count_sessions() == sessions


def test_cut_off_cache_put_stores_nothing(gw):
    tok = gw.login("bob")
    value = b"v" * 50
    put = params_for("PUT", "/session/cache/cutoff", "text/plain", "100", cookie=tok)
    status, _, body = fastcgi(gw.sock, put, value)
    assert status == 400, body
    r = gw.get("/session/cache/cutoff", cookie=tok)
    assert r.status == 404, r
    assert not [r for r in gw.db_rows("cache") if "cutoff" in r["key"]]
    # the same PUT, whole, is stored: the refusal was the length
    put["CONTENT_LENGTH"] = "50"
    status, _, body = fastcgi(gw.sock, put, value)
    assert status == 204, body
    r = gw.get("/session/cache/cutoff", cookie=tok)
    assert r.status == 200 and r.body == value, r


def test_overwrite_with_cut_off_body_keeps_old_value(gw):
    tok = gw.login("bob")
    assert gw.request("PUT", "/session/cache/keep", body=b"old value",
                      cookie=tok, headers={"Content-Type": "text/plain"}).status == 204
    put = params_for("PUT", "/session/cache/keep", "text/plain", "20", cookie=tok)
    status, _, body = fastcgi(gw.sock, put, b"new")
    assert status == 400, body
    r = gw.get("/session/cache/keep", cookie=tok)
    assert r.status == 200 and r.body == b"old value", r
