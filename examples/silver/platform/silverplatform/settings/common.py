"""Settings both releases share: the apps silver needs, the database from the environment,
and no way out of the machine.

Outbound channels silver has, and where they point here:
- e-mail: silver itself sends none, but Django (admin password resets, error mails) could —
  the locmem backend keeps every message in memory, nothing leaves;
- payment processors (``PAYMENT_PROCESSORS``, gateways such as Braintree): none configured,
  and ``SILVER_AUTOMATICALLY_CREATE_TRANSACTIONS`` is off, so issuing a document never
  charges anyone;
- PDF storage (``SILVER_DOCUMENT_STORAGE``, e.g. S3/GCS): unset, so PDFs would go to the local
  ``MEDIA_ROOT`` under examples/silver/var/ — and the bill run renders none (only
  ``generate_pdfs`` or the Celery tasks do);
- Celery (``silver.tasks``): no broker configured, no worker started;
- the admin's PDF download (``requests.get`` on the storage URL): only when someone uses the
  admin on a document with a remote PDF.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
from pathlib import Path
from typing import Any

import django
from django.db.backends.signals import connection_created

from silverplatform import RELEASES
from silverplatform.dsn import DsnError, from_environment

VAR = Path(os.environ.get("SILVER_VAR", Path(__file__).resolve().parents[3] / "var"))


def require_release(environment: str) -> None:
    """Refuse to run an environment's settings on the other release's virtualenv."""
    want = RELEASES[environment]
    have = importlib.metadata.version("django-silver")
    if have != want:
        raise SystemExit(f"{environment} runs django-silver {want}, but this interpreter has "
                         f"{have}: use examples/silver/platform/silverctl {environment} …")


def _database() -> dict[str, object]:
    try:
        return from_environment(os.environ.get("SILVERPLATFORM_DB")).django()
    except DsnError as exc:
        raise SystemExit(f"silver settings: {exc}") from None


def _utc_fix_for_django_before_3_1() -> None:
    """Django < 3.1 with psycopg2 >= 2.9: accept the timedelta(0) offset psycopg2 now passes.

    psycopg2 2.9 hands the cursor's tzinfo factory a timedelta where Django 2.2 compares the
    offset with the integer 0, so every timestamp read fails with "database connection isn't
    set to UTC". Django 3.1.13/3.2.5 compare with both upstream; this does the same for 0.10.0.
    Patched before the backend module binds the name, i.e. from settings.
    """
    if django.VERSION >= (3, 1):
        return
    from django.db.backends.postgresql import utils
    from django.utils.timezone import utc

    def utc_tzinfo_factory(offset: object) -> dt.tzinfo:
        if offset != 0 and offset != dt.timedelta(0):
            raise AssertionError("database connection isn't set to UTC")
        return utc

    utils.utc_tzinfo_factory = utc_tzinfo_factory


def _sqlite_no_fsync(sender: object, connection: Any, **kwargs: object) -> None:
    """SQLite without fsync (``synchronous=OFF``), as the tests run PostgreSQL with fsync=off.

    silver's bill run writes in autocommit (one commit per INSERT/UPDATE); with SQLite's default
    each commit waits for an fsync, which made a 2,000-customer bill run take four minutes of
    mostly waiting instead of about forty seconds of work. Billing logic is untouched, and the
    setting lives on the connection only: opening a database (or a backup) never changes the
    file, unlike WAL mode. A crash of the machine (not of the process) can lose the last
    commits — acceptable for an example and a staging copy, not for real production.
    """
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA synchronous=OFF")


_utc_fix_for_django_before_3_1()
connection_created.connect(_sqlite_no_fsync)

SECRET_KEY = "golive-silver-example-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "dal",
    "dal_select2",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "django_fsm",
    "silver",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
ROOT_URLCONF = "silver.urls"

DATABASES = {"default": _database()}

# nothing leaves the machine (see the module docstring)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PAYMENT_PROCESSORS: dict[str, object] = {}
SILVER_AUTOMATICALLY_CREATE_TRANSACTIONS = False
SILVER_DOCUMENT_STORAGE = None
MEDIA_ROOT = str(VAR / "media")
SILVER_SHOW_PDF_STORAGE_URL = False

SILVER_DEFAULT_DUE_DAYS = 14
SILVER_PAYMENT_TOKEN_EXPIRATION = dt.timedelta(minutes=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
