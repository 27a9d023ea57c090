"""Views that report what Django sees, as JSON."""
import json

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sessiongw_django.cache import (GatewayCacheError, get_global_cache,
                                    get_user_cache, set_global_cache,
                                    set_user_cache)


def whoami(request):
    # Django's own session: a counter that must survive across requests.
    request.session["n"] = request.session.get("n", 0) + 1
    u = request.user
    return JsonResponse({
        "authenticated": u.is_authenticated,
        "user": u.get_username() if u.is_authenticated else None,
        "is_staff": u.is_staff, "is_superuser": u.is_superuser,
        "n": request.session["n"],
        "gateway_user_id": getattr(request, "sessiongw_user_id", None),
        "meta": {k: v for k, v in request.META.items() if "SESSION" in k},
    })


@require_http_methods(["GET", "POST"])
def form(request):
    # CsrfViewMiddleware checks the POST before this view runs.
    if request.method == "GET":
        return JsonResponse({"csrf": get_token(request)})
    return JsonResponse({"ok": True, "user": request.user.get_username(),
                         "field": request.POST.get("field")})


def _cache_view(request, key, get, put):
    try:
        if request.method == "POST":
            put(request, key, json.loads(request.body), timeout=60)
            return JsonResponse({"stored": True})
        return JsonResponse({"value": get(request, key)})
    except GatewayCacheError as e:
        return JsonResponse({"error": str(e)}, status=502)


# The cache views take JSON from the test client; CSRF is tested on /app/form.
@csrf_exempt
def user_cache(request, key):
    return _cache_view(request, key, get_user_cache, set_user_cache)


@csrf_exempt
def global_cache(request, key):
    return _cache_view(request, key, get_global_cache, set_global_cache)
