"""django-silver as production (0.10.0) and staging (0.11.1) run it: settings, data, bill runs.

Runs inside one of the silver virtualenvs that ../setup creates, never in golive's own.
"""

PRODUCTION_RELEASE = "0.10.0"
STAGING_RELEASE = "0.11.1"
RELEASES = {"production": PRODUCTION_RELEASE, "staging": STAGING_RELEASE}
