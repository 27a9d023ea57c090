"""Forged cookies cannot flood the audit log.

At most 20 session_invalid_signature lines are written per second; the
next line written says how many were left out (detail.suppressed), so the
accounting stays exact.
"""
import time

from conftest import Gateway, b64u, make_token


def test_bad_cookie_audit_is_capped_and_accounted():
    g = Gateway().start()
    try:
        mark = g.audit_mark()
        forged = make_token(b"\x02" * 32, b"\x01" * 32)   # unknown key
        n = 150
        for _ in range(n):
            assert g.validate(forged).status == 401
        time.sleep(1.1)                    # a new second: one more line
        assert g.validate(forged).status == 401
        time.sleep(0.2)
        lines = g.audit_since(mark, "session_invalid_signature")
        suppressed = sum(l.get("detail", {}).get("suppressed", 0) for l in lines)
        assert len(lines) < n + 1, "no cap: %d lines" % len(lines)
        assert suppressed > 0
        assert len(lines) + suppressed == n + 1
        assert b64u(b"\x01" * 32) not in g.audit_path.read_text()
    finally:
        g.close()
