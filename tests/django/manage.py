#!/usr/bin/env python3
"""The test Django project of tests/integration/test_django_site.py."""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1] / "conf" / "django")]

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sgsite.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
