"""Audit the installed dependencies with pip-audit, and say plainly what was audited.

pip-audit reports a package it cannot look up as "could not be audited" and
still prints "No known vulnerabilities found". Where no vulnerability service
is reachable, that is every package: this says the audit was skipped instead
of reporting a clean result. A known vulnerability fails (exit 1).

    python scripts/audit.py REQUIREMENTS
"""

from __future__ import annotations

import json
import subprocess
import sys


def main(requirements: str) -> int:
    done = subprocess.run(  # nosec B603 - this Python's pip-audit, a fixed command
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--progress-spinner",
            "off",
            "-f",
            "json",
            "-r",
            requirements,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print(done.stderr.strip() or "pip-audit: no report", file=sys.stderr)
        return done.returncode or 1
    lines, status = summarise(report)
    print("\n".join(lines))
    return status


def summarise(report: dict) -> tuple[list[str], int]:
    """What pip-audit's JSON report says, in lines, and the exit status."""
    packages = report.get("dependencies", [])
    skipped = [p for p in packages if p.get("skip_reason")]
    vulnerable = [p for p in packages if p.get("vulns")]
    lines = []
    for package in vulnerable:
        ids = ", ".join(v["id"] for v in package["vulns"])
        lines.append(f"pip-audit: {package['name']} {package['version']}: {ids}")
    if vulnerable:
        return lines, 1
    if packages and len(skipped) == len(packages):
        return [
            f"pip-audit: audit skipped: none of the {len(packages)} packages could be looked up "
            "(no vulnerability service is reachable from here)"
        ], 0
    more = f"; {len(skipped)} could not be looked up" if skipped else ""
    audited = len(packages) - len(skipped)
    return [f"pip-audit: {audited} packages audited, no known vulnerabilities{more}"], 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
