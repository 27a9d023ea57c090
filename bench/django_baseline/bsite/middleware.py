"""The three middlewares of the seed's stack, kept as small as they are
there: validation (401 without a signed-in user), activity tracking (last
seen, address, request count in the session and the cache), cleanup
(expired sessions at most once a minute, found through the cache)."""
import time

from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone


class SessionValidationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return HttpResponse(status=401)
        return self.get_response(request)


class ActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        s = request.session
        s["last_seen"] = int(time.time())
        s["ip"] = request.META.get("REMOTE_ADDR", "")
        s["ua"] = request.META.get("HTTP_USER_AGENT", "")
        s["count"] = s.get("count", 0) + 1
        cache.set("activity:%s" % request.user.pk, s["last_seen"], 1200)
        return self.get_response(request)


class CleanupMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if cache.add("cleanup-lock", 1, 60):
            Session.objects.filter(expire_date__lt=timezone.now()).delete()
        return response
