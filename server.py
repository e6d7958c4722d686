"""The production server: granian's WSGI workers, configured here.

    make serve                       # 127.0.0.1:8000, one worker per CPU
    HOST=0.0.0.0 PORT=8080 WORKERS=4 make serve

Granian was chosen by measurement: see BENCHMARKS.md.
"""

import os

from granian import Granian
from granian.constants import Interfaces


def settings(environ=os.environ) -> dict:
    return {
        "target": "wsgi:app",
        "interface": Interfaces.WSGI,
        "address": environ.get("HOST", "127.0.0.1"),
        "port": int(environ.get("PORT", "8000")),
        "workers": int(environ.get("WORKERS") or os.cpu_count() or 1),
        # A worker that dies is replaced; the others keep serving meanwhile.
        "respawn_failed_workers": True,
        "respawn_interval": 1.0,
        # On SIGTERM, workers finish what they are doing; after this long they are killed.
        "workers_kill_timeout": 30,
        "log_access": True,
    }


if __name__ == "__main__":
    Granian(**settings()).serve()
