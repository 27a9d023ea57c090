from django.urls import path

from . import views

urlpatterns = [
    path("app/whoami", views.whoami),
    path("whoami", views.whoami),
    path("app/form", views.form),
    path("app/cache/<str:key>", views.user_cache),
    path("app/global/<str:key>", views.global_cache),
]
