"""The config templates of the test harnesses (tests/template/): the shell
renderer (render.sh, used by demo, bench and the browser suite) and the
Python one (render.py, used by conftest.py) write the same file from the
same values and refuse the same mistakes, so the two cannot drift; what
conftest renders is the configuration the daemon then reads."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import REPO, STORE, Gateway, need_binary, template
from render import RenderError, render

RENDER_SH = REPO / "tests" / "template" / "render.sh"
TEMPLATES = [template.SESSIONGW_CONF, template.NGINX_CONF]

# Values with what a renderer could get wrong: sed and awk specials (& \ |
# /), shell and nginx $variables, an @NAME@ inside a value (never
# substituted again), nginx's @login, quotes, blocks with and without
# trailing newlines, an empty block and blocks left out.
TRICKY = {
    "WRITER": r"a \& b | c/d & e \\ f 'q' \"dq\" $HOME @PORT@ 100%",
    "LISTEN": "unix:/tmp/x y/s.sock", "THREADS": 4, "DATABASE": "/tmp/a&b/db",
    "AUDIT_LOG": r"/tmp/back\slash/audit.log", "SECRET_KEY": "/k/@SOCKET@",
    "SOCKET_MODE": "0666",
    "SESSION": "; a comment\ncookie_secure = false\nremember_age = 2592000\n\n",
    "STORE": "backend = redis\nredis = unix:/tmp/r.sock",
    "UI": "title = Acme & Co Portal",
    "LOGIN": "",
}
TRICKY_NGINX = {
    "WRITER": "tests $x & @login", "NGINX_DIR": "/tmp/n", "DAEMON": "off",
    "ERROR_LOG_LEVEL": "info", "WORKER_CONNECTIONS": 256, "ACCESS_LOG": "off",
    "SOCKET": "/tmp/s.sock", "PORT": 8080, "WWW": "/tmp/www",
    "SNIPPET": REPO / "conf" / "nginx" / "sessiongw.conf",
    "MAIN": "user root;",
    "LOCATIONS": "        location /app/ {\n            try_files $uri =404;\n"
                 "            error_page 401 = @login;\n        }\n"
                 "        location @login { return 302 /session/login?rd=$request_uri; }\n",
    "SERVERS": "    server { listen 127.0.0.1:1; return 204 '\\1 & \\\\'; }",
}


def render_sh(tpl, values, out):
    """render.sh's exit status and stderr; out written on success."""
    args = ["%s=%s" % (k, v) for k, v in values.items()]
    r = subprocess.run(["sh", "-c", '. "$1"; shift; render "$@"', "sh",
                        str(RENDER_SH), str(tpl), str(out)] + args,
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stderr


def both(tpl, values):
    """(shell text, python text) of one rendering; both must succeed."""
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out"
        rc, err = render_sh(tpl, values, out)
        assert rc == 0, err
        return out.read_text(), render(tpl, values)


@pytest.mark.parametrize("tpl,values", [
    (template.SESSIONGW_CONF, TRICKY), (template.NGINX_CONF, TRICKY_NGINX)],
    ids=["sessiongw.conf", "nginx.conf"])
def test_shell_and_python_write_the_same_file(tpl, values):
    sh, py = both(tpl, values)
    assert sh == py
    # and it is the filled-in template, not some other agreement: every
    # value is in it, no placeholder is left, `##` lines are gone, a
    # block's trailing newlines and an empty block write no blank lines
    rest = py
    for k, v in values.items():
        v = str(v).rstrip("\n")
        assert v in py, k
        rest = rest.replace(v, "")
    assert not re.search(r"@[A-Z][A-Z0-9_]*@", rest), rest
    assert "##" not in py
    assert "\n\n\n" not in py


def test_gateway_configs_render_the_same_in_shell():
    # conftest's real values (the default gateway and one with overrides in
    # several sections), rendered by both
    g = Gateway(overrides={"session": {"cookie_age": 3, "cookie_secure": False},
                           "cache": {"max_entries_per_user": 5},
                           "server": {"threads": 2}})
    g.tmp = Path(tempfile.mkdtemp(prefix="sgw-"))
    g.port = 12345
    try:
        for tpl, values in ((template.SESSIONGW_CONF, g.config_values()),
                            (template.NGINX_CONF, g.nginx_values())):
            sh, py = both(tpl, values)
            assert sh == py
    finally:
        shutil.rmtree(g.tmp, ignore_errors=True)


MISTAKES = [
    # a required inline value missing
    {k: v for k, v in TRICKY.items() if k != "DATABASE"},
    # a name the template does not have (a misspelt section)
    dict(TRICKY, SESION="cookie_secure = false"),
    # a multi-line value for an inline placeholder
    dict(TRICKY, THREADS="4\n5"),
]


@pytest.mark.parametrize("values", MISTAKES, ids=["missing", "unknown", "multiline"])
def test_both_refuse_the_same_mistakes(values):
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out"
        rc, err = render_sh(template.SESSIONGW_CONF, values, out)
        assert rc != 0 and err.startswith("render: "), (rc, err)
        assert not out.exists()
    with pytest.raises(RenderError):
        render(template.SESSIONGW_CONF, values)
    # the same values minus the mistake render fine (the test can tell)
    both(template.SESSIONGW_CONF, TRICKY)


def test_overrides_land_in_their_section(make_gw):
    need_binary()
    g = make_gw({"session": {"cookie_age": 3}, "cache": {"max_entries_per_user": 7},
                 "server": {"threads": 3}, "login": {"max_failures": 9}})
    r = g.run("check-config")
    sections, sec = {}, None
    for line in r.stdout.splitlines():
        if line.startswith("["):
            sec = line.strip("[]")
        elif " = " in line and sec:
            k, v = line.split(" = ", 1)
            sections.setdefault(sec, {})[k] = v
    assert sections["session"]["cookie_age"] == "3"
    assert sections["cache"]["max_entries_per_user"] == "7"
    assert sections["server"]["threads"] == "3"
    assert sections["login"]["max_failures"] == "9"
    assert sections["server"]["socket_mode"] == "0660"
    # SG_STORE=redis: conftest's [store] lines reach the daemon too
    assert sections["store"]["backend"] == STORE
    assert sections["server"]["listen"] == "unix:%s" % g.sock
    assert g.get("/session/healthz").status == 200


def test_a_section_the_template_lacks_is_refused():
    g = Gateway(overrides={"nosuchsection": {"a": 1}})
    g.tmp = Path(tempfile.mkdtemp(prefix="sgw-"))
    try:
        with pytest.raises(RenderError, match="NOSUCHSECTION"):
            g.write_config()
    finally:
        shutil.rmtree(g.tmp, ignore_errors=True)
