"""`sessiongw user import` / `user export`: Django's dumpdata with hashes
made by Django itself, sign-in with the old passwords through nginx, the
re-hash to argon2id on first use, must_reset, never overwriting, all or
nothing on a malformed file, and 10,000 users in seconds."""
import json
import os
import re
import subprocess
import sys
import time

import pytest

from conftest import SESSIONGW_BIN, USERS, Gateway, sqlite_only

PY = "/usr/bin/python3"

# Django's own hashers; argon2 needs python3-argon2 (argon2-cffi).
MAKE_HASHES = r"""
import json, sys
import django
from django.conf import settings
settings.configure(PASSWORD_HASHERS=[
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
])
django.setup()
from django.contrib.auth.hashers import make_password
out = {}
for name, pw, hasher in json.load(sys.stdin):
    out[name] = make_password(pw, hasher=hasher) if pw is not None else make_password(None)
print(json.dumps(out))
"""


def django_hashes(specs):
    """[(key, password, hasher)] -> {key: hash}, computed by Django."""
    r = subprocess.run([PY, "-c", MAKE_HASHES], input=json.dumps(specs),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        pytest.fail("Django could not make hashes (python3-django, "
                    "python3-argon2 installed?):\n" + r.stderr)
    return json.loads(r.stdout)


def dj_user(pk, name, password, active=True, staff=False, su=False):
    return {"model": "auth.user", "pk": pk, "fields": {
        "password": password, "last_login": None, "is_superuser": su,
        "username": name, "first_name": "", "last_name": "", "email": "",
        "is_staff": staff, "is_active": active,
        "date_joined": "2021-04-05T06:07:08.123Z", "groups": [],
        "user_permissions": []}}


PW = {
    "dj.pbkdf2": "pbkdf2-Old-pass!1",
    "dj.sha1": "sha1-Old-pass!22",
    "dj.argon2": "argon2-Old-pass!3",
    "dj.inactive": "inactive-pass!44",
    "dj.md5": "md5-Old-pass!555",
}


@pytest.fixture(scope="module")
def imported():
    """A gateway with Django users imported; the import's stdout/stderr."""
    h = django_hashes([
        ["dj.pbkdf2", PW["dj.pbkdf2"], "pbkdf2_sha256"],
        ["dj.sha1", PW["dj.sha1"], "pbkdf2_sha1"],
        ["dj.argon2", PW["dj.argon2"], "argon2"],
        ["dj.inactive", PW["dj.inactive"], "pbkdf2_sha256"],
        ["dj.md5", PW["dj.md5"], "md5"],
        ["dj.unusable", None, None],
        ["alice", "not-alices-password", "pbkdf2_sha256"],
    ])
    dump = [
        dj_user(1, "dj.pbkdf2", h["dj.pbkdf2"], staff=True),
        dj_user(2, "dj.sha1", h["dj.sha1"]),
        dj_user(3, "dj.argon2", h["dj.argon2"], su=True),
        dj_user(4, "dj.inactive", h["dj.inactive"], active=False),
        dj_user(5, "dj.md5", h["dj.md5"]),
        dj_user(6, "dj.unusable", h["dj.unusable"]),
        dj_user(7, "alice", h["alice"], su=True),
    ]
    g = Gateway(overrides={"login": {"max_failures": 1000}})
    g.start()
    try:
        path = g.p("dump.json")
        path.write_text(json.dumps(dump, indent=2))
        alice_before = [u for u in g.db_rows("users") if u["name"] == "alice"][0]
        r = g.run("user", "import", path)
        yield g, r, h, alice_before
    finally:
        g.close(failed=g.keep)


def user_row(g, name):
    rows = [u for u in g.db_rows("users") if u["name"] == name]
    return rows[0] if rows else None


def test_import_summary_line(imported):
    g, r, _, _ = imported
    # 6 new: dj.pbkdf2 (staff) and dj.argon2 (superuser) are admins;
    # inactive, md5 and unusable are locked; md5 and unusable need a reset.
    assert r.stdout.strip() == ("imported 6 users (2 admins, 3 locked, 2 need a "
                                "password reset), skipped 1 existing"), r.stdout
    ev = g.audit_events("users_imported")
    assert len(ev) == 1
    assert ev[0]["detail"]["imported"] == 6 and ev[0]["detail"]["skipped"] == 1
    assert ev[0]["detail"]["must_reset"] == 2
    log = g.audit_path.read_text()
    for name, hsh in imported[2].items():
        if hsh.startswith(("pbkdf2", "argon2", "md5")):
            assert hsh.split("$")[-1] not in log, "a hash reached the audit log"


def test_import_keeps_hashes_and_flags(imported):
    g, _, h, _ = imported
    u = user_row(g, "dj.pbkdf2")
    assert u["pwhash"] == h["dj.pbkdf2"] and u["admin"] == 1 and u["locked"] == 0
    assert u["must_reset"] == 0
    assert u["created_at"] == 1617602828  # date_joined 2021-04-05T06:07:08Z
    u = user_row(g, "dj.argon2")
    assert u["admin"] == 1 and u["locked"] == 0
    u = user_row(g, "dj.inactive")
    assert u["locked"] == 1 and u["must_reset"] == 0 and u["admin"] == 0
    for name in ("dj.md5", "dj.unusable"):
        u = user_row(g, name)
        assert u["locked"] == 1 and u["must_reset"] == 1, u


def test_existing_user_never_overwritten(imported):
    g, _, _, before = imported
    assert user_row(g, "alice") == before
    assert g.login_response("alice", "not-alices-password").status == 401
    assert g.login_response("alice").status == 200


@pytest.mark.parametrize("name", ["dj.pbkdf2", "dj.sha1", "dj.argon2"])
def test_old_password_signs_in_and_is_rehashed(imported, name):
    g, _, h, _ = imported
    mark = g.audit_mark()
    assert g.login_response(name, "wrong-" + PW[name]).status == 401
    assert user_row(g, name)["pwhash"] == h[name], "a failed login re-hashed"
    r = g.login_response(name, PW[name])
    assert r.status == 200, r
    tok = r.token()
    row = user_row(g, name)
    assert row["pwhash"].startswith("$argon2id$v=19$m=65536,t=2,p=1$"), row["pwhash"]
    ev = g.audit_since(mark, "password_rehashed")
    assert len(ev) == 1 and ev[0]["user"] == name
    assert ev[0]["detail"] == {"from": h[name].split("$")[0], "to": "argon2id"}
    # the session made by that sign-in survives the re-hash
    assert g.validate(tok).status == 200
    # and the same password keeps working against the new hash
    assert g.login_response(name, PW[name]).status == 200
    assert len(g.audit_since(mark, "password_rehashed")) == 1
    assert g.login_response(name, "wrong-" + PW[name]).status == 401


def test_inactive_and_must_reset_cannot_sign_in(imported):
    g, _, _, _ = imported
    assert g.login_response("dj.inactive", PW["dj.inactive"]).status == 401
    assert g.login_response("dj.md5", PW["dj.md5"]).status == 401
    r = g.run("user", "unlock", "dj.md5", check=False)
    assert r.returncode == 1 and "user passwd dj.md5" in r.stderr, r.stderr
    assert user_row(g, "dj.md5")["locked"] == 1
    g.run("user", "passwd", "dj.md5", "--password-stdin", input="brand-new-pass-9\n")
    u = user_row(g, "dj.md5")
    assert u["must_reset"] == 0 and u["locked"] == 0
    assert g.login_response("dj.md5", "brand-new-pass-9").status == 200
    assert g.login_response("dj.md5", PW["dj.md5"]).status == 401


def count_users(g):
    return len(g.db_rows("users"))


@pytest.mark.parametrize("bad,where", [
    ([{"model": "auth.user", "pk": 1, "fields": {"username": "ok1", "password": "x"}},
      {"model": "auth.user", "pk": 2, "fields": {"username": "bad name", "password": "x"}}],
     "entry 2"),
    ([{"model": "auth.user", "pk": 1, "fields": {"username": "ok1", "password": "x"}},
      {"model": "auth.user", "pk": 2, "fields": {"username": "ok2", "password": "x",
                                                 "is_active": "yes"}}],
     "entry 2"),
    ([{"model": "auth.user", "pk": 1, "fields": {"username": "ok1", "password": "x"}},
      {"model": "auth.group", "pk": 1, "fields": {"name": "staff", "permissions": []}}],
     "entry 2"),
    ([{"model": "auth.user", "pk": 1, "fields": {"username": "ok1", "password": "x"}},
      {"model": "auth.user", "pk": 2, "fields": {"username": "ok1", "password": "y"}}],
     "user ok1"),
    ([{"model": "auth.user", "pk": 1, "fields": {"username": "ok1", "password": "x" * 300}}],
     "entry 1"),
    ([{"model": "auth.user", "pk": 1, "fields": {"username": "a" * 151, "password": "x"}}],
     "entry 1"),
])
def test_malformed_file_changes_nothing(gw, bad, where):
    n = count_users(gw)
    path = gw.p("bad.json")
    path.write_text(json.dumps(bad))
    r = gw.run("user", "import", path, check=False)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert where in r.stderr and "nothing imported" in r.stderr, r.stderr
    assert count_users(gw) == n
    assert user_row(gw, "ok1") is None


def test_malformed_json_lines_names_the_line(gw):
    n = count_users(gw)
    path = gw.p("bad.jsonl")
    path.write_text('{"name": "jl1", "password": "x"}\n\n{"name": "jl2", "password": \n')
    r = gw.run("user", "import", path, check=False)
    assert r.returncode == 2 and "line 3" in r.stderr, r.stderr
    assert count_users(gw) == n
    path.write_text("[{]")
    r = gw.run("user", "import", path, check=False)
    assert r.returncode == 2 and "not valid JSON" in r.stderr, r.stderr
    r = gw.run("user", "import", gw.p("missing.json"), check=False)
    assert r.returncode == 1 and "missing.json" in r.stderr
    assert count_users(gw) == n


def test_export_then_import_elsewhere(gw, make_gw):
    r = gw.run("user", "export")
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    assert sorted(x["name"] for x in rows) == sorted(USERS)
    carol = [x for x in rows if x["name"] == "carol"][0]
    assert carol["admin"] is True and carol["locked"] is False
    assert carol["must_reset"] is False
    assert carol["password"].startswith("$argon2id$")
    assert carol["created_at"].endswith("Z")
    other = make_gw(users={})
    path = other.p("users.jsonl")
    path.write_text(r.stdout)
    out = other.run("user", "import", path)
    assert out.stdout.strip() == ("imported 3 users (1 admins, 0 locked, 0 need a "
                                  "password reset), skipped 0 existing")
    for name, (pw, admin) in USERS.items():
        assert other.login_response(name, pw).status == 200, name
    # importing the same file again adds nothing and overwrites nothing
    out = other.run("user", "import", path)
    assert out.stdout.strip().endswith("skipped 3 existing")
    assert out.stdout.startswith("imported 0 users")


def test_ten_thousand_users_in_seconds(make_gw):
    g = make_gw(users={})
    h = django_hashes([["x", "ten-k-password-1", "pbkdf2_sha256"]])["x"]
    path = g.p("big.json")
    path.write_text(json.dumps([dj_user(i, "user%05d" % i, h, staff=(i % 100 == 0))
                                for i in range(10000)]))
    t0 = time.monotonic()
    r = g.run("user", "import", path)
    took = time.monotonic() - t0
    sys.stderr.write("import of 10000 users: %.2f s (%.0f users/s)\n" % (took, 10000 / took))
    assert r.stdout.startswith("imported 10000 users (100 admins, 0 locked"), r.stdout
    # hashes are copied, not recomputed; one transaction, not 10,000.
    # Recomputing (argon2id, ~0.1 s each) would take > 15 minutes.
    assert took < 20, took
    assert g.login_response("user04242", "ten-k-password-1").status == 200


@sqlite_only("SESSIONGW_FAULT_STEP fails a SQLite step; on Redis the import is "
             "one script (tests/unit/test_store_contract.c: a bad row imports nothing)")
def test_database_fault_half_way_imports_nothing(gw):
    """One transaction: a failed insert in the middle (SESSIONGW_FAULT_STEP,
    the store's test-only fault injection) leaves no user of the file."""
    n = count_users(gw)
    path = gw.p("fault.json")
    path.write_text(json.dumps([dj_user(i, "fault%03d" % i, "md5$x$y") for i in range(200)]))
    env = dict(os.environ, SESSIONGW_FAULT_STEP="120")
    r = subprocess.run([SESSIONGW_BIN, "-c", str(gw.conf), "user", "import", str(path)],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "injected fault" in r.stderr and "nothing imported" in r.stderr, r.stderr
    assert count_users(gw) == n
    # and without the fault the same file goes in whole
    r = gw.run("user", "import", path)
    assert r.stdout.startswith("imported 200 users (0 admins, 200 locked, 200 need")
    assert count_users(gw) == n + 200


def test_user_list_marks_must_reset(imported):
    g, _, _, _ = imported
    out = g.run("user", "list").stdout
    assert re.search(r"(?m)^\d+ +dj\.unusable +no +reset ", out), out
    assert re.search(r"(?m)^\d+ +dj\.inactive +no +yes ", out), out


def test_dumpdata_jsonl_and_stdin(make_gw):
    """`dumpdata --format jsonl` (one Django object per line), from stdin."""
    g = make_gw(users={})
    h = django_hashes([["x", "jsonl-password-1", "pbkdf2_sha256"]])["x"]
    lines = "\n".join(json.dumps(dj_user(i, "jl%d" % i, h, su=(i == 1)))
                      for i in range(1, 4)) + "\n"
    r = g.run("user", "import", "-", input=lines)
    assert r.stdout.strip() == ("imported 3 users (1 admins, 0 locked, 0 need a "
                                "password reset), skipped 0 existing"), r.stdout
    assert g.login_response("jl2", "jsonl-password-1").status == 200
