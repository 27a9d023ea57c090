"""The seed app's cache helpers, as thin calls to the gateway's cache API.

The scope of a value is decided by the gateway from the session cookie the
browser sent with this request, which is forwarded as it is: these helpers
never name a user id, so one user's code path cannot reach another user's
values. Values are stored as JSON.

Settings:
    SESSIONGW_URL = "http://127.0.0.1:8080/session"  # the gateway through nginx
    SESSIONGW_COOKIE_NAME = "sessiongw"             # [session] cookie_name
    SESSIONGW_TIMEOUT = 2.0                         # seconds per call

timeout: None = the gateway's [cache] default_timeout; N > 0 = N seconds;
0 = do not store (Django's meaning), i.e. delete.
"""
import json
import re
import urllib.error
import urllib.request

from django.conf import settings

KEY_RE = re.compile(r"\A[A-Za-z0-9._:~-]{1,250}\Z")


class GatewayCacheError(Exception):
    """The gateway refused or could not be reached (not a miss)."""


def _cookie(request):
    name = getattr(settings, "SESSIONGW_COOKIE_NAME", "sessiongw")
    value = request.COOKIES.get(name)
    if not value:
        raise GatewayCacheError("no gateway session cookie on this request")
    return "%s=%s" % (name, value)


def _call(request, method, path, body=None):
    if not KEY_RE.match(path.rsplit("/", 1)[-1].split("?", 1)[0]):
        raise ValueError("cache key must be 1-250 characters of "
                         "A-Z a-z 0-9 . _ : ~ -")
    base = getattr(settings, "SESSIONGW_URL", "http://127.0.0.1/session")
    req = urllib.request.Request(base.rstrip("/") + path, data=body, method=method)
    req.add_header("Cookie", _cookie(request))
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(
                req, timeout=getattr(settings, "SESSIONGW_TIMEOUT", 2.0)) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError as e:
        raise GatewayCacheError("gateway unreachable: %s" % e) from None


def _set(request, scope, key, value, timeout):
    if timeout == 0:
        return _delete(request, scope, key)
    path = "/%s/%s" % (scope, key)
    if timeout is not None:
        path += "?ttl=%d" % int(timeout)
    status, body = _call(request, "PUT", path, json.dumps(value).encode())
    if status != 204:
        raise GatewayCacheError("PUT %s: %d %s" % (path, status, body[:200]))


def _get(request, scope, key, default):
    status, body = _call(request, "GET", "/%s/%s" % (scope, key))
    if status == 404:
        return default
    if status != 200:
        raise GatewayCacheError("GET %s: %d" % (key, status))
    return json.loads(body)


def _delete(request, scope, key):
    status, body = _call(request, "DELETE", "/%s/%s" % (scope, key))
    if status not in (204, 404):
        raise GatewayCacheError("DELETE %s: %d" % (key, status))


def set_user_cache(request, key, value, timeout=None):
    """Store value for the signed-in user of this request only."""
    _set(request, "cache", key, value, timeout)


def get_user_cache(request, key, default=None):
    """This request's user's value, or default."""
    return _get(request, "cache", key, default)


def delete_user_cache(request, key):
    _delete(request, "cache", key)


def set_global_cache(request, key, value, timeout=None):
    """Store in the namespace shared by all users (gateway admins only:
    GatewayCacheError with 403 for anyone else)."""
    _set(request, "global", key, value, timeout)


def get_global_cache(request, key, default=None):
    return _get(request, "global", key, default)
