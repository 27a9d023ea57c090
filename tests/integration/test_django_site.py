"""End to end with a real Django site: Debian's python3-django on gunicorn
(unix socket), behind the real nginx with conf/django/nginx-site.conf and
the project's snippets, in front of the real daemon, with the glue from
conf/django/ (settings snippet, middleware, backend, cache helpers).

Users are first made by Django itself (createsuperuser, create_user with
its PBKDF2 and argon2 hashers), dumped with `manage.py dumpdata auth.user`
and imported with `sessiongw user import`: they sign in with their old
passwords."""
import json
import os
import re
import signal
import subprocess
import sys

import pytest

from conftest import (FORM_CT, REPO, SESSIONGW_BIN, Gateway, form, is_clearing,
                      parse_set_cookie, split_site, tail, unix_connectable,
                      wait_for)

PY = "/usr/bin/python3"
DJ = REPO / "tests" / "django"
SITE = REPO / "conf" / "django" / "nginx-site.conf"
SNIPPETS = REPO / "conf" / "nginx"

OLD = {  # made by Django before the move: name -> (password, how)
    "olduser": ("old-pbkdf2-Pass-1", "pbkdf2"),
    "oldargon": ("old-argon2-Pass-2", "argon2"),
    "oldadmin": ("old-admin-Pass-33", "superuser"),
    "oldgone": ("old-gone-Pass-444", "inactive"),
}
MAKE_USERS = r"""
import json, sys
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
for name, (pw, how) in json.loads(sys.argv[1]).items():
    if how == "superuser":
        continue  # made by createsuperuser
    u = User.objects.create_user(name, password=pw)
    if how == "argon2":
        u.password = make_password(pw, hasher="argon2")
    u.is_active = how != "inactive"
    u.save()
"""


class DjangoGateway(Gateway):
    """conf/django/nginx-site.conf, pointed at this test's sockets."""

    def site(self):
        # listen and the include of sessiongw.conf are the template's
        before, body = split_site(SITE.read_text(), (
            r"listen 127\.0\.0\.1:8080;",
            r"include /etc/nginx/snippets/sessiongw\.conf;"))
        subs = [
            (before, r"server unix:/run/gunicorn/django\.sock;",
             "server unix:%s;" % self.p("gunicorn.sock")),
            (body, r"/etc/nginx/snippets/", str(SNIPPETS) + "/"),
        ]
        out = []
        for text, pat, rep in subs:
            text, n = re.subn(pat, rep, text)
            assert n >= 1, "nginx-site.conf: expected %r" % pat
            out.append(text)
        return {"HTTP": out[0], "LOCATIONS": out[1]}


class Browser:
    """A cookie jar over the test client: the gateway's and Django's."""

    def __init__(self, g):
        self.g = g
        self.jar = {}

    def req(self, method, path, **kw):
        cookie = "; ".join("%s=%s" % kv for kv in self.jar.items())
        r = self.g.request(method, path, cookie=cookie or None, **kw)
        for v in r.headers_all("Set-Cookie"):
            name, val, attrs = parse_set_cookie(v)
            if is_clearing(attrs, val):
                self.jar.pop(name, None)
            else:
                self.jar[name] = val
        return r

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def sign_in(self, name, pw, rd="/app/whoami"):
        r = self.req("POST", "/session/login", body=form(username=name, password=pw, rd=rd),
                     headers=dict(FORM_CT), origin=self.g.origin)
        return r

    def whoami(self, path="/app/whoami", **kw):
        r = self.get(path, **kw)
        assert r.status == 200, r
        return r.json()


def django_env(g):
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "sgsite.settings",
        "SG_DJANGO_DB": str(g.p("django.sqlite3")),
        "SESSIONGW_URL": "http://127.0.0.1:%d/session" % g.port,
        "PYTHONPATH": "%s:%s" % (DJ, REPO / "conf" / "django"),
        "DJANGO_SUPERUSER_PASSWORD": OLD["oldadmin"][0],
        "SESSIONGW_BIN": SESSIONGW_BIN, "SESSIONGW_CONFIG": str(g.conf),
    })
    return env


def manage(g, *args, check=True):
    r = subprocess.run([PY, str(DJ / "manage.py")] + list(args), env=django_env(g),
                       capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError("manage.py %s: %s\n%s" % (args, r.stdout, r.stderr))
    return r


@pytest.fixture(scope="module")
def site():
    g = DjangoGateway(overrides={"login": {"max_failures": 100}})
    guni = None
    try:
        g.start()
        manage(g, "migrate", "--noinput")
        manage(g, "createsuperuser", "--noinput", "--username", "oldadmin",
               "--email", "admin@example.com")
        manage(g, "shell", "-c", MAKE_USERS.replace("sys.argv[1]", repr(json.dumps(OLD))))
        dump = manage(g, "dumpdata", "auth.user", "--indent", "2").stdout
        g.p("dump.json").write_text(dump)
        g.import_out = g.run("user", "import", g.p("dump.json")).stdout
        log = open(g.p("gunicorn.log"), "ab")
        guni = subprocess.Popen(
            [PY, "-m", "gunicorn", "--bind", "unix:%s" % g.p("gunicorn.sock"),
             "--workers", "2", "--chdir", str(DJ), "sgsite.wsgi:application"],
            env=django_env(g), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()

        def up():
            if guni.poll() is not None:
                raise AssertionError("gunicorn exited:\n" + tail(g.p("gunicorn.log")))
            return unix_connectable(g.p("gunicorn.sock"))
        wait_for(up, 30, "gunicorn's socket")
        yield g
    finally:
        if guni is not None and guni.poll() is None:
            guni.send_signal(signal.SIGTERM)
            try:
                guni.wait(timeout=15)
            except subprocess.TimeoutExpired:
                guni.kill()
                guni.wait(5)
        g.close(failed=g.keep)


def test_django_users_imported_with_their_hashes(site):
    assert site.import_out.strip() == ("imported 4 users (1 admins, 1 locked, 0 need a "
                                       "password reset), skipped 0 existing"), site.import_out


@pytest.mark.parametrize("name", ["olduser", "oldargon", "oldadmin"])
def test_imported_user_signs_in_with_old_password(site, name):
    b = Browser(site)
    r = b.sign_in(name, OLD[name][0] + "x")
    assert r.status == 401, r
    r = b.sign_in(name, OLD[name][0])
    assert r.status == 303 and r.header("Location") == "/app/whoami", r
    me = b.whoami()
    assert me["authenticated"] and me["user"] == name
    assert me["is_staff"] == me["is_superuser"] == (name == "oldadmin")
    assert me["gateway_user_id"].isdigit()


def test_inactive_django_user_stays_out(site):
    r = Browser(site).sign_in("oldgone", OLD["oldgone"][0])
    assert r.status == 401, r


def test_form_sign_in_and_admin_sees_staff(site):
    b = Browser(site)
    r = b.sign_in("carol", site.users["carol"][0])
    assert r.status == 303
    assert "sessiongw" in b.jar and "sessionid" not in b.jar
    me = b.whoami()
    assert me == dict(me, authenticated=True, user="carol", is_staff=True, is_superuser=True)
    b2 = Browser(site)
    b2.sign_in("alice", site.users["alice"][0])
    me = b2.whoami()
    assert me["user"] == "alice" and me["is_staff"] is False


def test_django_session_persists_beside_the_gateway(site):
    b = Browser(site)
    b.sign_in("alice", site.users["alice"][0])
    assert b.whoami()["n"] == 1
    assert "sessionid" in b.jar and "sessiongw" in b.jar  # two cookies, two names
    assert b.whoami()["n"] == 2
    # a public page: anonymous to Django, but the same Django session
    pub = b.whoami("/whoami")
    assert pub["authenticated"] is False and pub["n"] == 3
    assert b.whoami()["n"] == 4 and b.whoami()["user"] == "alice"


def test_csrf_protected_post(site):
    b = Browser(site)
    b.sign_in("bob", site.users["bob"][0])
    tok = b.get("/app/form").json()["csrf"]
    assert "csrftoken" in b.jar
    hdrs = dict(FORM_CT)
    r = b.req("POST", "/app/form", body=form(csrfmiddlewaretoken=tok, field="v"), headers=hdrs)
    assert r.status == 200 and r.json() == {"ok": True, "user": "bob", "field": "v"}, r
    r = b.req("POST", "/app/form", body=form(field="v"), headers=hdrs)
    assert r.status == 403, r  # Django's CSRF check is still on
    # the gateway session survived Django's cookies being set around it
    assert b.whoami()["user"] == "bob"


def test_gateway_sign_out_is_django_sign_out(site):
    b = Browser(site)
    b.sign_in("alice", site.users["alice"][0])
    assert b.whoami()["user"] == "alice"
    django_session = b.jar["sessionid"]
    r = b.req("POST", "/session/logout", origin=site.origin)
    assert r.status == 200 and "sessiongw" not in b.jar
    r = b.get("/app/whoami")
    assert r.status == 302, r
    assert r.header("Location").endswith("/session/login?rd=/app/whoami"), r
    pub = b.whoami("/whoami")
    assert pub["authenticated"] is False and pub["user"] is None
    assert b.jar["sessionid"] == django_session  # Django's session itself kept


# mallory is a name no one ever signs in with
FORGED = {"X-Session-User": "mallory", "X-Session-User-Id": "3", "X-Session-Admin": "1"}


def test_forged_headers_never_reach_a_view(site):
    b = Browser(site)
    # unprotected location: the view sees nobody, and no header at all
    pub = b.whoami("/whoami", headers=FORGED)
    assert pub["authenticated"] is False and pub["meta"] == {}, pub
    pub = b.whoami("/whoami", headers={"X_Session_User": "mallory"})
    assert pub["authenticated"] is False and pub["meta"] == {}, pub
    # protected location without a session: nginx stops it
    r = b.get("/app/whoami", headers=FORGED)
    assert r.status == 302, r
    # with alice's session, forged admin headers change nothing
    b.sign_in("alice", site.users["alice"][0])
    me = b.whoami(headers=FORGED)
    assert me["user"] == "alice" and me["is_staff"] is False
    assert me["meta"]["HTTP_X_SESSION_USER"] == "alice"
    assert me["meta"]["HTTP_X_SESSION_ADMIN"] == "0"
    # and Django created no user for the forged name's sake
    names = manage(site, "shell", "-c",
                   "from django.contrib.auth.models import User;"
                   "print(sorted(u.username for u in User.objects.all()))").stdout
    assert "'alice'" in names and "mallory" not in names, names


def test_cache_helpers_isolate_users(site):
    a, b = Browser(site), Browser(site)
    a.sign_in("alice", site.users["alice"][0])
    b.sign_in("bob", site.users["bob"][0])

    def put(br, path, v):
        r = br.req("POST", path, body=json.dumps(v), headers={"Content-Type": "application/json"})
        return r

    assert put(a, "/app/cache/prefs", {"theme": "dark"}).json() == {"stored": True}
    assert a.whoami("/app/cache/prefs") == {"value": {"theme": "dark"}}
    assert b.whoami("/app/cache/prefs") == {"value": None}
    assert put(b, "/app/cache/prefs", {"theme": "light"}).status == 200
    assert a.whoami("/app/cache/prefs") == {"value": {"theme": "dark"}}
    assert b.whoami("/app/cache/prefs") == {"value": {"theme": "light"}}
    # the global namespace: only a gateway admin writes, everyone reads
    r = put(a, "/app/global/motd", "hi")
    assert r.status == 502 and "403" in r.json()["error"], r
    c = Browser(site)
    c.sign_in("carol", site.users["carol"][0])
    assert put(c, "/app/global/motd", "hello all").status == 200
    assert a.whoami("/app/global/motd") == {"value": "hello all"}


def test_sync_marks_gone_users_inactive(site):
    b = Browser(site)
    b.sign_in("olduser", OLD["olduser"][0])
    assert b.whoami()["user"] == "olduser"
    site.run("user", "lock", "olduser")
    out = manage(site, "sessiongw_sync").stdout
    assert "deactivated" in out
    active = manage(site, "shell", "-c",
                    "from django.contrib.auth.models import User;"
                    "print(User.objects.get(username='olduser').is_active)").stdout.strip()
    assert active == "False"
    site.run("user", "unlock", "olduser")
    manage(site, "sessiongw_sync")
    active = manage(site, "shell", "-c",
                    "from django.contrib.auth.models import User;"
                    "print(User.objects.get(username='olduser').is_active)").stdout.strip()
    assert active == "True"
