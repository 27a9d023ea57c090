"""Settings of the test site: a plain Django project, plus the project's
conf/django/settings_snippet.py applied as a user would paste it."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SECRET_KEY = "test-only-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "sgsite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ["SG_DJANGO_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TEMPLATES = []
# Hashes as the site made them before the move: PBKDF2 (Django's default)
# and argon2 (Argon2PasswordHasher, parallelism 8).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]

exec((REPO / "conf" / "django" / "settings_snippet.py").read_text())

SESSIONGW_URL = os.environ["SESSIONGW_URL"]
