import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(HERE), str(HERE.parents[1] / "conf" / "django")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sgsite.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
