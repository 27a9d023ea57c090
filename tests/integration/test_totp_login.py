"""Second factor (SPEC "Second factor and account self-service"): TOTP
enrolment over JSON, JSON login with otp, replay refused, wrong codes count
toward the login limits, recovery codes once, totp = required (the browser
is sent to enrolment and gets no session until it completes), the
half-done sign-in cookie, user mfa-reset, and the audit trail."""

import base64
import hashlib
import hmac
import re
import struct
import time
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import COOKIE, STORE, form

HTML = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


def totp(secret_b32, t=None, step_offset=0):
    """RFC 6238, SHA-1, 6 digits, 30 s: computed here, independently."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if t is None else t) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 15
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code


def fresh_step():
    """Sleep into a new 30-s step unless well inside one (codes of the
    step we use must stay valid during the test's next requests)."""
    left = 30 - time.time() % 30
    if left < 4:
        time.sleep(left + 0.2)


def enrol(gw, user):
    tok = gw.login(user)
    r = gw.get("/session/mfa", cookie=tok)
    assert r.status == 200, r
    info = r.json()
    assert info["enrolled"] is False and info["totp"] == "optional"
    uri = urlparse(info["otpauth"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    q = parse_qs(uri.query)
    assert q["secret"] == [info["secret"]]
    assert q["issuer"] == ["sessiongw"]
    assert uri.path == "/sessiongw:" + user
    fresh_step()
    # a wrong code does not enrol
    bad = "%06d" % ((int(totp(info["secret"])) + 1) % 1000000)
    r = gw.post("/session/mfa", {"enrolment": info["enrolment"], "otp": bad},
                cookie=tok)
    assert r.status == 400 and r.json()["error"] == "bad_code", r
    r = gw.post("/session/mfa", {"enrolment": info["enrolment"],
                                 "otp": totp(info["secret"])}, cookie=tok)
    assert r.status == 200, r
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}", c) for c in codes)
    r = gw.get("/session/mfa", cookie=tok)
    assert r.json() == {"totp": "optional", "enrolled": True,
                        "recovery_codes_left": 10}
    return info["secret"], codes


def user_row(gw, name):
    return [u for u in gw.db_rows("users") if u["name"] == name][0]


def login_otp(gw, user, otp=None, password=None):
    body = {"username": user, "password": password or gw.users[user][0]}
    if otp is not None:
        body["otp"] = otp
    return gw.post("/session/login", body)


@pytest.fixture(scope="module")
def enrolled(gw):
    secret, codes = enrol(gw, "bob")
    return secret, codes


def test_secret_stored_sealed_codes_hashed(gw, enrolled):
    secret, codes = enrolled
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    row = user_row(gw, "bob")
    assert row["mfa_secret"] is not None and len(row["mfa_secret"]) == 60
    assert raw not in bytes(row["mfa_secret"])
    blob = bytes(row["mfa_recovery"])
    assert len(blob) == 176
    for c in codes:
        assert bytes.fromhex(c.replace("-", "")) not in blob
    if STORE == "sqlite":
        dump = gw.db_path.read_bytes()
        assert raw not in dump and secret.encode() not in dump


def test_json_login_needs_otp_without_telling_the_password(gw, enrolled):
    r = login_otp(gw, "bob")
    assert r.status == 401 and r.json()["error"] == "otp_required", r
    assert r.cookies() == {} or COOKIE not in r.cookies()
    r = login_otp(gw, "bob", password="wrong password here")
    assert r.status == 401 and r.json()["error"] == "otp_required", r
    # a user without a factor still gets the plain answer
    r = login_otp(gw, "alice", password="wrong password here")
    assert r.json()["error"] == "bad_credentials"


def test_json_login_with_code_then_replay_refused(gw, enrolled):
    secret, _ = enrolled
    fresh_step()
    # a step not used before: the next one (the window allows +1)
    code = totp(secret, step_offset=1)
    r = login_otp(gw, "bob", code)
    assert r.status == 200, r
    assert r.token()
    r = login_otp(gw, "bob", code)
    assert r.status == 401 and r.json()["error"] == "bad_credentials", r
    # an older step than the one accepted is refused as well
    r = login_otp(gw, "bob", totp(secret))
    assert r.status == 401, r
    ev = gw.audit_events("mfa_failure")
    assert ev and ev[-1]["user"] == "bob"


def test_recovery_code_once(gw, enrolled):
    _, codes = enrolled
    mark = gw.audit_mark()
    r = login_otp(gw, "bob", codes[3].upper())
    assert r.status == 200, r
    r = login_otp(gw, "bob", codes[3])
    assert r.status == 401, r
    used = gw.audit_since(mark, "recovery_code_used")
    assert len(used) == 1 and used[0]["detail"]["remaining"] == 9
    tok = r = login_otp(gw, "bob", codes[4].replace("-", "")).token()
    assert gw.get("/session/mfa", cookie=tok).json()["recovery_codes_left"] == 8
    for line in gw.audit_path.read_text().splitlines():
        for c in codes:
            assert c not in line and c.replace("-", "") not in line


def test_wrong_codes_count_toward_the_limit(make_gw):
    gw = make_gw({"login": {"max_failures": 3}})
    secret, _ = enrol(gw, "alice")
    for _ in range(3):
        r = login_otp(gw, "alice", "000000" if totp(secret) != "000000" else "111111")
        assert r.status == 401, r
    fresh_step()
    r = login_otp(gw, "alice", totp(secret, step_offset=1))
    assert r.status == 429, r
    assert r.header("Retry-After")
    fails = [e for e in gw.audit_events("login_failure")
             if e["detail"].get("reason") == "bad_otp"]
    assert len(fails) == 3


def pending_cookie(r):
    for v in r.headers_all("Set-Cookie"):
        if v.startswith(COOKIE + "_mfa="):
            return v
    return None


def test_browser_two_pages(make_gw):
    gw = make_gw()
    secret, _ = enrol(gw, "alice")
    r = gw.post("/session/login", form(username="alice",
                password=gw.users["alice"][0], rd="/app/x"), headers=HTML)
    assert r.status == 200, r
    assert COOKIE not in r.cookies()
    pc = pending_cookie(r)
    assert pc is not None
    attrs = [a.strip() for a in pc.split(";")]
    assert "HttpOnly" in attrs and "SameSite=Strict" in attrs
    assert "Path=/session" in attrs and "Max-Age=300" in attrs
    page = r.text
    assert 'action="/session/login/otp"' in page
    assert 'value="/app/x"' in page
    # the password is not kept in the page
    assert gw.users["alice"][0] not in page and 'type="password"' not in page
    pend = pc.split(";")[0]
    # the half-done state is no session
    assert gw.get("/session/validate", cookie=pend).status == 401
    assert gw.get("/session", cookie=pend).status == 401
    rows = gw.db_rows("mfa_pending")
    assert len(rows) == 1
    assert pend.split("=", 1)[1].encode() not in bytes(rows[0]["hash"])
    # wrong code: the code page again, counted
    r = gw.post("/session/login/otp", form(otp="12345x", rd="/app/x"),
                headers=HTML, cookie=pend)
    assert r.status == 401 and 'name="otp"' in r.text, r
    fresh_step()
    r = gw.post("/session/login/otp", form(otp=totp(secret, step_offset=1),
                rd="/app/x"), headers=HTML, cookie=pend)
    assert r.status == 303, r
    assert r.header("Location") == "/app/x"
    tok = r.token()
    assert gw.validate(tok).status == 200
    cleared = pending_cookie(r)
    assert cleared is not None and "Max-Age=0" in cleared
    # the half-done state is spent
    r = gw.post("/session/login/otp", form(otp=totp(secret), rd="/"),
                headers=HTML, cookie=pend)
    assert r.status == 401 and 'name="password"' in r.text
    # without the cookie: back to the password page
    r = gw.post("/session/login/otp", form(otp="123456"), headers=HTML)
    assert r.status == 401 and 'name="password"' in r.text


def test_required_mode_enrols_before_any_session(make_gw):
    gw = make_gw({"mfa": {"totp": "required"}})
    r = login_otp(gw, "alice")
    assert r.status == 403 and r.json()["error"] == "mfa_enrolment_required"
    assert COOKIE not in r.cookies()
    r = gw.post("/session/login", form(username="alice",
                password=gw.users["alice"][0], rd="/app/"), headers=HTML)
    assert r.status == 200, r
    assert COOKIE not in r.cookies()
    page = r.text
    assert "<svg" in page and "otpauth://totp/" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    enrolment = re.search(r'name="enrolment" value="([^"]+)"', page).group(1)
    pend = pending_cookie(r).split(";")[0]
    assert gw.get("/session/validate", cookie=pend).status == 401
    r = gw.post("/session/login/otp", form(otp="000000" if totp(secret) != "000000"
                else "111111", enrolment=enrolment, rd="/app/"),
                headers=HTML, cookie=pend)
    assert r.status == 401 and COOKIE not in r.cookies()
    fresh_step()
    r = gw.post("/session/login/otp", form(otp=totp(secret), enrolment=enrolment,
                rd="/app/"), headers=HTML, cookie=pend)
    assert r.status == 200, r
    codes = re.findall(r"<li><code>([0-9a-f-]{19})</code></li>", r.text)
    assert len(codes) == 10
    assert 'href="/app/"' in r.text
    tok = r.token()
    assert gw.validate(tok).status == 200
    # from now on: password + code
    r = login_otp(gw, "alice")
    assert r.json()["error"] == "otp_required"
    r = login_otp(gw, "alice", codes[0])
    assert r.status == 200


def test_mfa_reset_and_audit_cycle(make_gw):
    gw = make_gw()
    mark = gw.audit_mark()
    secret, codes = enrol(gw, "alice")
    fresh_step()
    assert login_otp(gw, "alice", totp(secret, step_offset=1)).status == 200
    assert login_otp(gw, "alice", codes[0]).status == 200
    out = gw.run("user", "mfa-reset", "alice")
    assert out.returncode == 0
    row = user_row(gw, "alice")
    assert row["mfa_secret"] is None and row["mfa_recovery"] is None
    r = login_otp(gw, "alice")
    assert r.status == 200, r
    events = [e["event"] for e in gw.audit_since(mark)
              if e["event"] in ("mfa_enrolled", "mfa_failure", "mfa_reset",
                                "recovery_code_used", "login_success")]
    assert events == ["login_success", "mfa_enrolled", "login_success",
                      "recovery_code_used", "login_success", "mfa_reset",
                      "login_success"], events
    reset = gw.audit_events("mfa_reset")[-1]
    assert reset["user"] == "alice"
    assert gw.run("user", "mfa-reset", "nobody", check=False).returncode == 1


def test_totp_off_ignores_factor(make_gw):
    gw = make_gw({"mfa": {"totp": "off"}})
    r = gw.get("/session/mfa", cookie=gw.login("alice"))
    assert r.json() == {"totp": "off", "enrolled": False}
    r = gw.post("/session/mfa", {"enrolment": "x", "otp": "123456"},
                cookie=gw.login("alice"))
    assert r.status == 403


def test_enrolment_survives_key_rotation(make_gw):
    gw = make_gw()
    secret, _ = enrol(gw, "alice")
    gw.setup("--rotate-key", "--keep-sessions")
    gw.hup()
    assert len(gw.keys()) == 2
    fresh_step()
    r = login_otp(gw, "alice", totp(secret, step_offset=1))
    assert r.status == 200, r
    # a key file without the key that sealed it: the factor cannot be
    # read, the sign-in is refused and the audit line says why
    gw.write_keyfile(gw.key_path, gw.keys()[:1])
    gw.hup()
    r = login_otp(gw, "alice", totp(secret))
    assert r.status == 401, r
    assert gw.audit_events("mfa_failure")[-1]["detail"]["reason"] == "secret_unreadable"


def test_refused_code_form_is_a_page(gw):
    """A browser's code form refused before its endpoint (bad Origin) gets
    an HTML page, not JSON; so does a code form with no half-done sign-in."""
    r = gw.post("/session/login/otp", form(otp="123456", rd="/app/"),
                headers=HTML, origin="https://evil.example")
    assert r.status == 403 and "text/html" in r.header("Content-Type"), r
    r = gw.post("/session/mfa", form(enrolment="x", otp="123456"),
                headers=HTML)
    assert r.status == 401 and "text/html" in r.header("Content-Type"), r
