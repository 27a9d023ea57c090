"""Cookie name prefixes are checked when the config is loaded: a
`__Host-` name with a cookie_domain, a cookie_path other than `/`, or
cookie_secure other than `true`, and a `__Secure-` name without
cookie_secure = true, are config errors (exit 2) naming the file, the key
and its value; browsers would silently drop such a cookie.
"""

import pytest

from conftest import Gateway, need_binary


@pytest.fixture
def cfg(tmp_path):
    need_binary()
    g = Gateway()
    g.tmp = tmp_path
    return g


def check(g, session):
    g.overrides = {"session": session}
    g.write_config()
    return g.run("check-config", check=False)


@pytest.mark.parametrize("session,key,value", [
    ({"cookie_name": "__Host-sg"}, "cookie_secure", "auto"),
    ({"cookie_name": "__Host-sg", "cookie_secure": "false"}, "cookie_secure", "false"),
    ({"cookie_name": "__Host-sg", "cookie_secure": "true",
      "cookie_domain": "example.com"}, "cookie_domain", "example.com"),
    ({"cookie_name": "__Host-sg", "cookie_secure": "true",
      "cookie_path": "/app"}, "cookie_path", "/app"),
    ({"cookie_name": "__Secure-sg", "cookie_secure": "auto"}, "cookie_secure", "auto"),
])
def test_prefix_rule_broken_is_exit_2(cfg, session, key, value):
    r = check(cfg, session)
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert str(cfg.conf) in err
    assert "cookie_name = %s" % session["cookie_name"] in err
    assert "%s is %s" % (key, value) in err


@pytest.mark.parametrize("session", [
    {"cookie_name": "__Host-sg", "cookie_secure": "true"},
    {"cookie_name": "__Secure-sg", "cookie_secure": "true", "cookie_path": "/app",
     "cookie_domain": "example.com"},
])
def test_prefix_rule_kept_is_accepted(cfg, session):
    r = check(cfg, session)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "cookie_name = %s" % session["cookie_name"] in r.stdout
