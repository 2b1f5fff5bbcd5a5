"""The services' clock, in one place so that tests can move it."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
