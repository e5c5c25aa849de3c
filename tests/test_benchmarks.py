"""The benchmark harness runs end to end on a small corpus (a smoke test: no timing is asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

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
    assert "With snippets, each query's first run (its hits' paragraphs" in report
    # How many documents each engine found, per category: common words are found by both.
    found = report.split("Documents found")[1].split("| common |")[1].split("\n")[0]
    ours, theirs = (int(n.strip().replace(",", "")) for n in found.strip(" |").split("|"))
    assert ours >= theirs > 0
    run.main()  # a second run replaces its section instead of adding one
    assert out.read_text(encoding="utf-8").count("## 300 documents") == 1


def test_the_benchmark_measures_the_servers_memory_alone(tmp_path, monkeypatch, capsys):
    out = tmp_path / "benchmarks.md"
    home = tmp_path / "bench"
    argv = ["benchmarks.run", "--n", "300", "--words", "bundled", "--home", str(home)]
    monkeypatch.setattr(sys, "argv", [*argv, "--no-http", "--out", str(out)])
    monkeypatch.setattr(run, "RUNS", 1)
    monkeypatch.setattr(run, "time_archive", lambda *_: {})  # only the index is needed
    monkeypatch.setattr(run, "time_fts", lambda *_: {})
    monkeypatch.setattr(run, "report", lambda *_: "## 300 documents\n")
    run.main()
    capsys.readouterr()
    written = out.read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "argv", [*argv, "--memory", "--out", str(out)])
    run.main()
    printed = capsys.readouterr().out
    assert "server resident memory, index open, after 3 searches:" in printed
    searches = 2 * sum(len(q) for q in run.query_set(run.Corpus(home)).values())
    assert f"after {searches} searches of every category:" in printed
    assert "MiB pages of the index files" in printed
    assert out.read_text(encoding="utf-8") == written  # nothing written


def test_two_versions_are_compared_in_alternation(tmp_path, capsys):
    # The same tree on both sides: the harness runs end to end (no timing asserted).
    from benchmarks import compare
    from benchmarks.generate import generate

    source = str(Path(__file__).resolve().parents[1] / "src")
    homes = [tmp_path / "old", tmp_path / "new"]
    for home in homes:
        generate(home, 60, 1, "bundled")
    compare.main(
        ["--old", source, "--new", source, "--old-home", str(homes[0]), "--new-home", str(homes[1])]
        + ["--rounds", "1"]
    )
    table = capsys.readouterr().out
    assert "| rebuild, best of 1 |" in table and "| index size |" in table
    assert "| p95 top-10|common, median of 1 |" in table and "| p95, sum of the cells |" in table
    # On the indexes just built, the queries alone.
    compare.main(
        ["--old", source, "--new", source, "--old-home", str(homes[0]), "--new-home", str(homes[1])]
        + ["--rounds", "1", "--queries-only"]
    )
    table = capsys.readouterr().out
    assert "rebuild" not in table and "| p95 date-sorted|phrase, median of 1 |" in table
    assert "| p95 with snippets, first run|every category, median of 1 |" in table
