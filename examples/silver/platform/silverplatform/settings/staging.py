"""Staging: django-silver 0.11.1 on Django 3.2 (the release under test)."""

from silverplatform.settings.common import *  # noqa: F403
from silverplatform.settings.common import require_release

ENVIRONMENT = "staging"
require_release(ENVIRONMENT)
