"""The seed's own stack, for the side-by-side benchmark (bench/README.md).

What a Django site does to answer "is this session valid" without
sessiongw: database sessions saved on every request, the database cache,
and three small middlewares (session validation, activity tracking,
cleanup). Debian's python3-django 3.2 on gunicorn. Paths come from the
environment (bench/run.sh sets BENCH_DJANGO_DIR); never a real site.
"""
import os

BASE = os.environ.get("BENCH_DJANGO_DIR", "/tmp/bench-django")
SECRET_KEY = "bench-only-not-a-secret-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bsite.urls"
WSGI_APPLICATION = "bsite.wsgi.application"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "bsite.middleware.SessionValidationMiddleware",
    "bsite.middleware.ActivityMiddleware",
    "bsite.middleware.CleanupMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(BASE, "django.db"),
        "OPTIONS": {"timeout": 20},
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "bench_cache",
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_AGE = 1200
SESSION_COOKIE_NAME = "sessionid"
LOGGING_CONFIG = None
