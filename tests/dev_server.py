"""`make run`, the development server, started for a test on a copy of data/."""

import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

from app.config import ROOT


class DevServer:
    """`make run` in its own process group, its output collected as it comes."""

    def __init__(self, env: dict, extra: dict | None = None):
        extra = extra or {}
        # No make jobserver or level from an outer `make test`: this is the owner's own `make run`.
        env = {k: v for k, v in env.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "APP_ENV", "PORT")} | extra
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run"], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self.collect, daemon=True).start()
        self.url = "http://127.0.0.1:%s" % self.wait_for(r"Running on http://127\.0\.0\.1:(\d+)")[1]

    def collect(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output)
            if match:
                return match
            assert self.process.poll() is None, f"make run exited:\n{self.output}"
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in:\n{self.output}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def stop(self) -> None:
        # The reloader runs the server in a child process: stop the whole group we started.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def make_run(tmp_path, content_dir, **extra) -> DevServer:
    return DevServer(extra=extra, env={
        **os.environ,
        "CONTENT_DIR": str(content_dir),  # a copy: the test edits it, never the checkout
        "DATABASE_PATH": str(tmp_path / "messages.db"),
        "SECRET_KEY": "test-secret",  # else one would be written into the checkout's instance/
        "FLASK_RUN_PORT": "0",  # the operating system picks a free port
    })
