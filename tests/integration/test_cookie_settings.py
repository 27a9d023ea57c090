"""Cookie settings from the config: name, Secure, SameSite, Domain, and
cookie_secure = auto following nginx's HTTPS param."""

from conftest import http_request


def test_cookie_settings(make_gw):
    g = make_gw({"session": {"cookie_name": "sgid", "cookie_secure": True,
                             "cookie_samesite": "Strict", "cookie_domain": "example.test"}})
    r = g.login_response("alice")
    assert r.status == 200
    c = r.cookies("sgid")
    assert len(c) == 1, r.headers
    tok, attrs = c[0]
    assert attrs.get("secure") is True
    assert str(attrs.get("samesite")).lower() == "strict"
    assert attrs.get("domain", "").lstrip(".") == "example.test"
    assert r.cookies("sessionid") == []
    assert g.get("/session/validate", cookie="sgid=%s" % tok).status == 200
    assert g.get("/session/validate", cookie="sessionid=%s" % tok).status == 401


def test_samesite_none_needs_secure(make_gw):
    g = make_gw()
    g.conf.write_text(g.conf.read_text() + "\n[session]\ncookie_samesite = None\n")
    r = g.run("check-config", check=False)
    assert r.returncode == 2, (r.stdout, r.stderr)


def test_https_param_sets_secure(make_gw):
    # nginx passes HTTPS=on only over TLS; fake it with a second server
    # block that hard-codes the param, to check cookie_secure = auto.
    g = make_gw()
    extra = g.p("https.conf")
    port2 = __import__("conftest").free_port()
    extra.write_text(
        "server { listen 127.0.0.1:%d;\n"
        "  location /session/ { fastcgi_param REQUEST_METHOD $request_method;\n"
        "    fastcgi_param CONTENT_TYPE $content_type; fastcgi_param CONTENT_LENGTH $content_length;\n"
        "    fastcgi_param DOCUMENT_URI $document_uri; fastcgi_param QUERY_STRING $query_string;\n"
        "    fastcgi_param REMOTE_ADDR $remote_addr; fastcgi_param HTTP_HOST $http_host;\n"
        "    fastcgi_param HTTPS on; fastcgi_pass sessiongw; } }\n" % port2)
    conf = g.p("nginx.conf")
    g.stop_nginx()
    orig = g.write_nginx_conf
    g.write_nginx_conf = lambda: (orig(), conf.write_text(
        conf.read_text().rstrip().rstrip("}") + "\ninclude %s;\n}\n" % extra))
    g.start_nginx()
    r = http_request(port2, "POST", "/session/login",
                     body={"username": "alice", "password": g.users["alice"][0]})
    assert r.status == 200, r
    (_, attrs), = r.cookies()
    assert attrs.get("secure") is True
    (_, attrs), = g.login_response("alice").cookies()
    assert "secure" not in attrs
