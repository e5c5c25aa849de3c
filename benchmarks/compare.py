"""Two versions of the archive on the same corpus, measured in alternation.

This machine's speed moves by a third from one run to the next, so a figure
measured today against one from another day says little. This runs the
rebuild (all cores) and the query timings of `benchmarks.run` for an old and
a new source tree in alternating order, each on its own copy of a generated
corpus, and prints the best rebuild of the rounds and the median of each
query cell's p95 over the rounds (a best single round flatters whichever
side had a lucky one)::

    git worktree add /tmp/base <old commit>
    python -m benchmarks.compare --old /tmp/base/src --new src \\
        --old-home /tmp/bench-old --new-home /tmp/bench-new --rounds 2

Each home must hold a corpus (`python -m benchmarks.run --n 10000 --home H`
makes one; copy its `corpus/` for the other side). Every measurement runs in
a fresh process with PYTHONPATH set to its tree, so the two versions never
share a module.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.run import folder_size, run_measured

#: Run in a subprocess of one version: its query timings, as JSON.
_TIMINGS = """
import json, sys
from pathlib import Path
from archive.corpus import Corpus
from benchmarks import run
home = Path(sys.argv[1])
found = run.time_archive(home, run.query_set(Corpus(home)))
json.dump({f"{mode}|{category}": p for (mode, category), p in found.items()}, sys.stdout)
"""


def rebuild(source: str, home: Path) -> tuple[float, int, int]:
    """(seconds, peak resident bytes, index bytes) of a rebuild on every core."""
    archive = str(Path(sys.executable).with_name("archive"))
    os.environ["PYTHONPATH"] = source
    cores = str(os.cpu_count() or 1)
    seconds, peak = run_measured(
        [archive, "--home", str(home), "index", "--rebuild", "--processes", cores]
    )
    current = (home / "index" / "CURRENT").read_text(encoding="ascii").strip()
    return seconds, peak, folder_size(home / "index" / current)


def timings(source: str, home: Path) -> dict[str, list[float]]:
    """Query latencies (p50, p95, p99 in ms) per mode and category."""
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([source, root]))
    with tempfile.TemporaryFile() as out:
        subprocess.run([sys.executable, "-c", _TIMINGS, str(home)], env=env, stdout=out, check=True)
        out.seek(0)
        return json.load(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the old version's src folder")
    parser.add_argument("--new", required=True, help="the new version's src folder")
    parser.add_argument("--old-home", type=Path, required=True)
    parser.add_argument("--new-home", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--queries-only", action="store_true", help="time queries on the existing indexes"
    )
    args = parser.parse_args(argv)
    sides = {"old": (args.old, args.old_home), "new": (args.new, args.new_home)}
    rebuilds: dict[str, list] = {name: [] for name in sides}
    queries: dict[str, list] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, (source, home) in sides.items():
            if not args.queries_only:
                rebuilds[name].append(rebuild(str(Path(source).resolve()), home))
                print(name, "rebuild", rebuilds[name][-1], flush=True)
            queries[name].append(timings(str(Path(source).resolve()), home))
    print("| measure | old | new |\n| --- | --- | --- |")
    if not args.queries_only:
        print_rebuilds(rebuilds, args.rounds)
    totals = {"old": 0.0, "new": 0.0}
    for cell in queries["old"][0]:
        p95 = {
            name: statistics.median(run[cell][1] for run in found)
            for name, found in queries.items()
        }
        for name in totals:
            totals[name] += p95[name]
        label = f"p95 {cell}, median of {args.rounds}"
        print(f"| {label} | {p95['old']:.1f} ms | {p95['new']:.1f} ms |")
    print(f"| p95, sum of the cells | {totals['old']:.1f} ms | {totals['new']:.1f} ms |")


def print_rebuilds(rebuilds: dict[str, list], rounds: int) -> None:
    best = {name: min(found) for name, found in rebuilds.items()}
    print(f"| rebuild, best of {rounds} | {best['old'][0]:.1f} s | {best['new'][0]:.1f} s |")
    peaks = {name: min(r[1] for r in found) / 2**20 for name, found in rebuilds.items()}
    print(f"| rebuild peak memory, least | {peaks['old']:.0f} MiB | {peaks['new']:.0f} MiB |")
    sizes = {name: found[-1][2] / 2**20 for name, found in rebuilds.items()}
    print(f"| index size | {sizes['old']:.1f} MiB | {sizes['new']:.1f} MiB |")


if __name__ == "__main__":
    main()
