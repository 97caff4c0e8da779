"""Run in a fresh process by the memory benchmark: ingest N generated rows, print peak memory as JSON.

``python -m bench.memory_probe ROWS``. The file is generated chunk by chunk as
the parser reads it and the DynamoDB stand-in (answering at once) keeps nothing, so what grows with the row
count, if anything, is the parser's and the loader's.
"""

from __future__ import annotations

import argparse
import json
import resource

import bench  # noqa: F401 - puts the services on the import path


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
    args = parser.parse_args()
    from bench.emulator import metered_client
    from bench.ingest_bench import ours_on_stand_in
    from bench.standins import Meter

    run = ours_on_stand_in(args.rows, metered_client(Meter(answer=True), parameter_validation=False))
    print(json.dumps({"rows": args.rows, "seconds": run.seconds, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
