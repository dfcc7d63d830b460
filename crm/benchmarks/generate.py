"""Peak memory of the branch generator (quality.md: ≤ 2 GB at W-large, 1,000,000 customers; issue 22).

Each size runs `manage.py generate_branch --customers N --seed 1 --replace` in a child process (it REPLACES the
database's branch) under `/usr/bin/time -v` when present (its "Maximum resident set size"), else the child's
getrusage. The floor is a child that only loads Django, numpy and pandas, measured in the same run: the figures
are the peak, the peak above the floor, and the ratio of the largest size's peak to the smallest's (memory bounded
by a block of customers reads ≈ 1, memory that grows with the branch reads ≈ the size ratio).

    BENCH_GENERATE_SIZES=100000,1000000 python manage.py bench generate     (default 20000,200000)
"""
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

BUDGET_MB = 2048
SIZES = [int(s) for s in os.environ.get("BENCH_GENERATE_SIZES", "20000,200000").split(",") if s.strip()]
MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def _peak_mb(args):
    """(peak RSS in MB, seconds, stdout) of a child process."""
    timer = Path("/usr/bin/time").exists()
    cmd = (["/usr/bin/time", "-v"] if timer else []) + [sys.executable, *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    if timer:
        kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    else:  # the largest child so far; sizes run smallest first
        kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return kb / 1024, seconds, done.stdout


def run(stdout):
    floor, floor_s, _out = _peak_mb([MANAGE, "shell", "-c", "import numpy, pandas, customers.generator"])
    stdout.write(f"floor (Django + numpy + pandas, no work): {floor:,.0f} MB peak RSS, {floor_s:.1f}s")
    peaks = {}
    for n in sorted(SIZES):
        peak, seconds, out = _peak_mb([MANAGE, "generate_branch", "--customers", str(n), "--seed", "1", "--replace"])
        peaks[n] = peak
        rows = out.strip().splitlines()[0] if out.strip() else ""
        stdout.write(f"generate_branch --customers {n:,}: {peak:,.0f} MB peak RSS ({peak - floor:,.0f} MB above the "
                     f"floor), {seconds:.0f}s, {n / seconds:,.0f} customers/s — "
                     f"{'within' if peak <= BUDGET_MB else 'OVER'} the {BUDGET_MB:,} MB budget")
        stdout.write(f"  {rows}")
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        stdout.write(f"peak at {large:,} / peak at {small:,} customers = {peaks[large] / peaks[small]:.2f} "
                     f"(size ratio {large / small:.0f}); above the floor: "
                     f"{(peaks[large] - floor) / max(peaks[small] - floor, 1):.2f}")
