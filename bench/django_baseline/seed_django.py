"""seed_django.py N COOKIEFILE: create the Django baseline's tables, one
user and N signed-in sessions (SessionStore, as a login would), and write
"sessionid=KEY" lines to COOKIEFILE for wrk."""
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bsite.settings")
import django  # noqa: E402

django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
u, _ = User.objects.get_or_create(username="bench")
u.set_unusable_password()
u.save()
n = int(sys.argv[1])
with open(sys.argv[2], "w") as out, transaction.atomic():
    for i in range(n):
        s = SessionStore()
        s[SESSION_KEY] = str(u.pk)
        s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        s[HASH_SESSION_KEY] = u.get_session_auth_hash()
        s.create()
        out.write("sessionid=%s\n" % s.session_key)
print("seed_django: %d sessions" % n)
