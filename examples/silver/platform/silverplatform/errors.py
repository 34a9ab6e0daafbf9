"""What a command can fail with, and the exit code each means."""


class Refused(Exception):
    """Bad input or an unsafe request (wrong date, wrong environment, backup mismatch): exit 2."""


class Unavailable(Exception):
    """A database, file or tool the command needs is not there: exit 3."""


class PlatformFailed(Exception):
    """The platform itself failed (the bill run crashed): exit 1."""
