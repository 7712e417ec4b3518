"""Issue 12: python-docx drafting cost, per document type, in one process (no database, no Temporal).

    .venv/bin/python -m bench.drafting            # every sample document (tests/documents/factories) 50 times
    .venv/bin/python -m bench.drafting -n 200 --digest

Renders each factory's document N times after one warm-up render and prints the mean wall time per document
(ms/doc), CPU time per document, and with --digest the sha256 of each rendering (to compare two versions of the
renderer byte for byte).
"""

from __future__ import annotations

import argparse
import hashlib
import time

from bench.common import loadavg
from documents.render import render_docx
from tests.documents import factories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="renders per document type")
    parser.add_argument("--digest", action="store_true", help="print each document's sha256")
    args = parser.parse_args()
    print(f"load average {loadavg()}")
    first_start = time.perf_counter()
    render_docx(factories.ALL[0]())  # the first render of a process (imports, any per-process setup)
    print(f"first render of the process: {(time.perf_counter() - first_start) * 1000:.1f} ms")
    total_wall = total_cpu = 0.0
    for build in factories.ALL:
        doc = build()
        data = render_docx(doc)
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(args.n):
            render_docx(doc)
        wall = (time.perf_counter() - wall_start) / args.n * 1000
        cpu = (time.process_time() - cpu_start) / args.n * 1000
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        digest = f"  {hashlib.sha256(data).hexdigest()}" if args.digest else ""
        print(f"{build.__name__:32} {wall:7.2f} ms/doc  cpu {cpu:7.2f} ms{digest}")
    count = len(factories.ALL)
    print(f"{'mean over the types':32} {total_wall / count:7.2f} ms/doc  cpu {total_cpu / count:7.2f} ms")
    print(f"load average {loadavg()}")


if __name__ == "__main__":
    main()
