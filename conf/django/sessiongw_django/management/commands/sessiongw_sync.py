"""manage.py sessiongw_sync: Django users the gateway no longer knows, or
has locked, become is_active = False (and active again when unlocked).

A signed-in request already brings the truth for its user (the middleware);
this covers users who do not come back: run it from cron or after
`sessiongw user del/lock`. It reads `sessiongw user export` (set
SESSIONGW_BIN and SESSIONGW_CONFIG, or pass --bin / --config).
"""
import json
import os
import subprocess

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Mark Django users inactive when sessiongw no longer lets them in."

    def add_arguments(self, parser):
        parser.add_argument("--bin", default=os.environ.get("SESSIONGW_BIN", "sessiongw"))
        parser.add_argument("--config", default=os.environ.get("SESSIONGW_CONFIG"))

    def handle(self, *args, **opts):
        cmd = [opts["bin"]] + (["-c", opts["config"]] if opts["config"] else [])
        r = subprocess.run(cmd + ["user", "export"], capture_output=True, text=True)
        if r.returncode != 0:
            raise CommandError("sessiongw user export: %s" % r.stderr.strip())
        usable = set()
        for line in r.stdout.splitlines():
            if line.strip():
                u = json.loads(line)
                if not u.get("locked"):
                    usable.add(u["name"])
        User = get_user_model()
        off = on = 0
        for user in User._default_manager.all():
            want = user.get_username() in usable
            if user.is_active != want:
                user.is_active = want
                user.save(update_fields=["is_active"])
                off += not want
                on += want
        self.stdout.write("deactivated %d users, reactivated %d" % (off, on))
