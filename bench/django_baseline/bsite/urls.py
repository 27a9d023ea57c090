from django.http import HttpResponse
from django.urls import path


def validate(request):
    r = HttpResponse(status=200)
    r["X-Session-User"] = request.user.get_username()
    return r


urlpatterns = [path("django/validate", validate)]
