"""Run in a fresh process by the memory benchmark: ingest N generated rows, print peak memory as JSON.

``python -m bench.memory_probe ROWS [--traced]``. The file is generated chunk by chunk as
the parser reads it and the DynamoDB stand-in keeps nothing, so what grows with the row
count, if anything, is the parser's and the loader's.
"""

from __future__ import annotations

import argparse
import json
import resource
import tracemalloc

import bench  # noqa: F401 - puts the services on the import path
from bench.ingest_bench import ours_on_stand_in
from bench.standins import NullDynamoDB


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ``ru_maxrss``: Linux carries that over from
    the parent across fork and exec, so a child of a big parent would report the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", type=int)
    parser.add_argument("--traced", action="store_true", help="also report tracemalloc's peak (slower)")
    args = parser.parse_args()
    if args.traced:
        tracemalloc.start()
    run = ours_on_stand_in(args.rows, NullDynamoDB())
    result = {
        "rows": args.rows,
        "seconds": run.seconds,
        "peak_rss_mb": peak_rss_mb(),
    }
    if args.traced:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(result))


if __name__ == "__main__":
    main()
