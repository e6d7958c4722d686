"""Drawing /cv.pdf: time and memory, in a fresh process, as a worker's first request pays them.

    .venv/bin/python scripts/bench_cv_pdf.py
"""

import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app import create_app  # noqa: E402
from tests.apps import app_settings  # noqa: E402

client = create_app(app_settings(Path(tempfile.mkdtemp()))).test_client()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
started, cpu = time.perf_counter(), time.process_time()
address = client.get("/cv.pdf").headers["Location"]
first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
size = len(client.get(address).data)
again = time.perf_counter() - started
print(f"first request (draws the PDF): {first * 1000:.0f} ms wall, {first_cpu * 1000:.0f} ms CPU; Python heap peak {peak / 2**20:.1f} MiB; "
      f"process peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB; PDF {size} bytes; "
      f"next request: {again * 1000:.2f} ms")
