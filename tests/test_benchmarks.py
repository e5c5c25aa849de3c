"""The benchmark harness runs end to end on a small corpus (a smoke test: no timing is asserted)."""

from __future__ import annotations

import sys

from benchmarks import run


def test_the_benchmark_harness_writes_its_report(tmp_path, monkeypatch):
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nIntroduction kept.\n", encoding="utf-8")
    home = tmp_path / "bench"
    argv = [
        "benchmarks.run",
        "--n",
        "300",
        "--words",
        "bundled",
        "--home",
        str(home),
        "--no-http",
        "--out",
        str(out),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(run, "RUNS", 1)
    run.main()
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# Benchmarks\n\nIntroduction kept.")
    assert "## 300 documents" in report
    for mode in run.MODES:
        assert f"**{mode}**" in report
    for category in run.CATEGORIES:
        assert f"| {category} |" in report
    assert "add 100 documents → searchable" in report and "SQLite FTS5 build" in report
    # How many documents each engine found, per category: common words are found by both.
    found = report.split("Documents found")[1].split("| common |")[1].split("\n")[0]
    ours, theirs = (int(n.strip().replace(",", "")) for n in found.strip(" |").split("|"))
    assert ours >= theirs > 0
    run.main()  # a second run replaces its section instead of adding one
    assert out.read_text(encoding="utf-8").count("## 300 documents") == 1
