"""Production: django-silver 0.10.0 on Django 2.2."""

from silverplatform.settings.common import *  # noqa: F403
from silverplatform.settings.common import require_release

ENVIRONMENT = "production"
require_release(ENVIRONMENT)
