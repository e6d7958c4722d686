"""Ports, process trees and waiting, for the tests that start real servers."""

import socket
import time
from pathlib import Path


def free_port() -> int:
    """A loopback port nobody listens on now (the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parent_of(pid: int) -> int | None:
    try:
        # The command name in parentheses may hold spaces or ")": the fields after its last ")" are fixed.
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    return [int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat") if parent_of(int(stat.parent.name)) == pid]


def descendants(pid: int) -> list[int]:
    """Every process started, directly or not, by ``pid``."""
    parents = {int(stat.parent.name): parent_of(int(stat.parent.name)) for stat in Path("/proc").glob("[0-9]*/stat")}
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        below = [child for child, p in parents.items() if p == parent]
        found += below
        frontier += below
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_for(condition, timeout: float, interval: float = 0.05) -> bool:
    """Polls ``condition`` until it is true or ``timeout`` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
