"""The stack's child processes: started in their own process group, started
again after a back-off when they exit, and stopped gracefully, then for sure.

Nothing here knows which programs it runs: deploy/stack.py says that.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# Waits before each restart of a process that exited; one that ran for HEALTHY_SECONDS
# starts the back-off afresh. After the last wait's restart fails too, it is given up.
RESTART_DELAYS = (0.5, 1, 2, 4, 8, 16)
HEALTHY_SECONDS = 60


def die_with_parent() -> None:
    # If the launcher is killed outright, its children go too (Linux only).
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start(command: list[str], **kwargs) -> subprocess.Popen:
    # Own process group: Ctrl-C reaches only the launcher, which stops each child gracefully.
    return subprocess.Popen(command, process_group=0, preexec_fn=die_with_parent, **kwargs)


def kill_group(child: subprocess.Popen) -> None:
    # Each child leads its own process group: this ends whatever it left behind.
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(child: subprocess.Popen, signum: int, seconds: float) -> None:
    """`signum` (the child's graceful stop), `seconds` to finish, then SIGKILL to its whole group."""
    if child.poll() is None:
        child.send_signal(signum)
    try:
        child.wait(seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    kill_group(child)  # workers left behind by a main process that died


class Supervised:
    """A child process started again after a back-off each time it exits, until the back-off gives up."""

    def __init__(self, name: str, command: list[str], delays=RESTART_DELAYS, leftovers: tuple[Path, ...] = (), **kwargs):
        self.name, self.command, self.delays, self.kwargs = name, command, delays, kwargs
        self.leftovers = leftovers  # files a killed process leaves that would stop the next one (its socket)
        self.failures = 0
        self.process = self.start()

    def start(self) -> subprocess.Popen:
        self.started = time.monotonic()
        return start(self.command, **self.kwargs)

    def revive(self, stopping) -> bool:
        """When the process has exited: wait, start it again, True; False once the back-off is spent."""
        code = self.process.poll()
        if code is None:
            return True
        kill_group(self.process)  # workers the dead process left behind
        if time.monotonic() - self.started >= HEALTHY_SECONDS:
            self.failures = 0
        if self.failures == len(self.delays):
            print(f"stack: {self.name} exited ({code}) {self.failures + 1} times in a row; giving up",
                  file=sys.stderr, flush=True)
            return False
        delay = self.delays[self.failures]
        self.failures += 1
        print(f"stack: {self.name} exited ({code}); starting it again in {delay} s", file=sys.stderr, flush=True)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if stopping():
                return True
            time.sleep(0.1)
        for path in self.leftovers:
            path.unlink(missing_ok=True)
        self.process = self.start()
        return True
