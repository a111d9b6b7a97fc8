"""Run every benchmark, one after another: `python -m bench [--pg URL]` (or `make bench`);
`python -m bench webhooks questions [--pg URL]` runs only those named.

Each prints its own table, comparing against a baseline measured in the same run. Run them
on a quiet machine: they share its two cores with nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys

BENCHMARKS = ["registration_rush", "questions", "calendar_feed", "mail_dispatch", "attendance_import", "certificates", "reports", "operations_overhead", "webhooks", "expert_booking", "replies"]


def main() -> int:
    chosen = [name for name in sys.argv[1:] if name in BENCHMARKS]
    arguments = [argument for argument in sys.argv[1:] if argument not in BENCHMARKS]
    if "--pg" not in arguments and os.environ.get("EVENTS_TEST_PG_URL"):
        arguments += ["--pg", os.environ["EVENTS_TEST_PG_URL"]]
    failures = 0
    for name in chosen or BENCHMARKS:
        print(f"\n=== bench.{name} {' '.join(arguments)}", flush=True)
        failures += subprocess.run([sys.executable, "-m", f"bench.{name}", *arguments], check=False).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
