"""Times as the message store writes them: UTC, ISO 8601, to the second."""

import datetime


def now_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def iso_utc(unix_time: float) -> str:
    return datetime.datetime.fromtimestamp(unix_time, datetime.timezone.utc).isoformat(timespec="seconds")
