"""Commands that keep the index in line with the corpus and serve it:
index, doctor, check, serve."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import click

from ..errors import IndexUnavailable
from ..i18n import ngettext
from . import Context, cli


@cli.command("index")
@click.option("--rebuild", is_flag=True, help="Build a fresh index from the corpus and swap it in.")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes for a rebuild (default: one per core on large corpora).",
)
@click.pass_obj
def index_command(obj: Context, rebuild: bool, processes: int | None) -> None:
    """Bring index/ up to date with corpus/."""
    corpus = obj.existing_corpus()
    index = obj.backend(processes)
    report = index.rebuild(corpus) if rebuild else index.update(corpus)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(report.summary(obj.locale))
    if report.problems:
        click.echo(
            ngettext(
                "{n} file was skipped; 'archive check' explains.",
                "{n} files were skipped; 'archive check' explains.",
                len(
                    {p.path for p in report.problems if p.field in ("file", "front matter")}
                    or {p.path for p in report.problems}
                ),
                obj.locale,
            ),
            err=True,
        )


@cli.command()
@click.option("--repair", is_flag=True, help="Bring the index back in line with the corpus.")
@click.pass_obj
def doctor(obj: Context, repair: bool) -> None:
    """Compare the index with the corpus (missing, stale and extra documents),
    verify the index's files, and find what interrupted writes left behind."""
    corpus, index = obj.existing_corpus(), obj.backend()
    # Under the writer lock no writer is at work: whatever is half-written was
    # left by one that was interrupted, and no commit changes files meanwhile.
    with index.write_lock():
        damaged = index.verify()
        leftovers = [*corpus.leftovers(), *index.leftovers()]
        for path in leftovers:
            click.echo(
                obj._("left over from an interrupted write: {path}", path=corpus.display(path))
            )
            if repair:
                _remove(path)
    if repair and leftovers:
        click.echo(
            ngettext(
                "Removed {n} left-over temporary file.",
                "Removed {n} left-over temporary files.",
                len(leftovers),
                obj.locale,
            )
        )
    for found in damaged:
        click.echo(found.render(corpus.display(found.path), obj.locale))
    try:
        report = index.compare(corpus)
    except IndexUnavailable as problem:
        click.echo(problem.render(obj.locale))
        report = None
    if report is None or damaged:
        if not repair:
            _ask_for_repair(obj)
        report = index.rebuild(corpus)
        click.echo(obj._("Rebuilt the index from the corpus: {n} documents.", n=len(report.added)))
        return
    for doc_id in report.added:
        click.echo(obj._("missing from the index: {id}", id=doc_id))
    for doc_id in report.changed:
        click.echo(obj._("out of date in the index: {id}", id=doc_id))
    for doc_id in report.deleted:
        click.echo(obj._("in the index but not in the corpus: {id}", id=doc_id))
    for problem in report.problems:
        click.echo(str(problem))
    if report.registry_changed:
        click.echo(obj._("the registry changed since the index was built"))
    if report.format_changed:
        click.echo(obj._("the index was written by an older version of the archive"))
    differences = len(report.added) + len(report.changed) + len(report.deleted)
    differences += report.registry_changed or report.format_changed
    if not differences and not leftovers:
        click.echo(obj._("The index matches the corpus ({n} documents).", n=report.unchanged))
        return
    if not repair:
        _ask_for_repair(obj)
    if differences:
        fixed = index.update(corpus, thorough=True)
        click.echo(obj._("Repaired: {summary}", summary=fixed.summary(obj.locale)))


def _ask_for_repair(obj: Context) -> None:
    click.echo(obj._("Run 'archive doctor --repair' to bring the index in line."), err=True)
    sys.exit(1)


def _remove(path: Path) -> None:
    """Remove a left-over file or folder (gone already is fine)."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@cli.command()
@click.pass_obj
def check(obj: Context) -> None:
    """Validate the corpus and the registry; one line per problem."""
    corpus = obj.existing_corpus()
    problems = corpus.check()
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(
            ngettext("{n} problem found.", "{n} problems found.", len(problems), obj.locale),
            err=True,
        )
        sys.exit(1)
    count = sum(1 for _ in corpus.paths())
    click.echo(
        ngettext(
            "{n} document checked, no problems.",
            "{n} documents checked, no problems.",
            count,
            obj.locale,
        )
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True, help="Threads per process.")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes sharing the port (default: one per core); one that dies is replaced.",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, threads: int, processes: int | None) -> None:
    """Serve the archive over HTTP with a production WSGI server (gunicorn)."""
    from .. import create_app, server

    corpus = obj.existing_corpus()
    # The index is derived and Whoosh never fsyncs: bring it in line with the
    # corpus (the durable truth) before serving.
    report = obj.backend().update(corpus)
    if report.added or report.changed or report.deleted:
        summary = report.summary(obj.locale)
        click.echo(obj._("Index brought in line with the corpus: {summary}", summary=summary))
    # Made once, before any process starts: its secret key is created once.
    app = create_app({"HOME": str(obj.home)})
    listener = server.listen(host, port)
    click.echo(
        obj._("Serving {home} on http://{host}:{port}/", home=str(obj.home), host=host, port=port)
    )
    server.serve(app, listener, threads, processes or os.cpu_count() or 1)
