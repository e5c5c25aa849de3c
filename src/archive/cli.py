"""The ``archive`` command: thin commands over the corpus, index and search modules.

Every problem a user can cause ends in a one-line message on stderr and a
non-zero exit status (2 for bad input or a missing index, 1 for a corpus that
fails `archive check`), never in a traceback.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import click

from . import analysis, i18n
from .backends.whoosh.indexing import Index
from .config import SORTS, current, home_from_env
from .corpus import Corpus, render_document
from .document import LANGUAGES, TYPES, Document
from .editing import Editor
from .errors import ArchiveError, IndexUnavailable
from .fields import DOCUMENT_FIELDS, FACET, FACET_TABLE
from .i18n import LOCALES, N_, gettext, ngettext

_session = {"locale": "en"}


class Context:
    def __init__(self, home: Path, locale: str):
        self.home = home
        self.locale = locale

    def _(self, message: str, **params) -> str:
        return gettext(message, self.locale, **params)

    @property
    def corpus(self) -> Corpus:
        return Corpus(self.home)

    @property
    def index(self) -> Index:
        return Index(self.home, write_timeout=current()["WRITE_TIMEOUT"])

    def existing_corpus(self) -> Corpus:
        """The corpus, which must exist: a command never makes an archive
        out of a mistyped --home."""
        corpus = self.corpus
        if not corpus.root.is_dir():
            raise ArchiveError(N_("no corpus folder at {path}"), path=str(corpus.root))
        return corpus


def _service(home: Path):
    """The search service (imported when a command needs it: `archive index`
    starts faster without it)."""
    from .search import SearchService

    return SearchService(home)


def _filters(**values):
    from .search import Filters

    return Filters(**values)


def _users(home: Path):
    from .users import Users

    return Users(home)


def _default_locale() -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")[:2]
        if value in LOCALES:
            return value
    return "en"


class Failure(click.ClickException):
    """An error shown as one line, ``archive: <message>``, with its own exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"archive: {self.format_message()}", err=True)


class ArchiveGroup(click.Group):
    """Turns every exception a command raises into a `Failure`: no tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            raise Failure(exc.render(_session["locale"]), exc.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # The reader of our output went away (`archive search … | head`).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(141) from None
        except Exception as exc:  # a bug: still one line, with a way to see more
            if os.environ.get("ARCHIVE_DEBUG"):
                raise
            # Unless the index's files are damaged: then that is what to repair.
            damage = Index(ctx.obj.home).damage() if isinstance(ctx.obj, Context) else None
            if damage is not None:
                raise Failure(damage.render(_session["locale"]), damage.exit_code) from None
            raise Failure(
                f"internal error: {type(exc).__name__}: {exc} (set ARCHIVE_DEBUG=1 for details)", 70
            ) from None


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding corpus/ and index/ (default: $ARCHIVE_HOME or the current folder).",
)
@click.option("--locale", type=click.Choice(LOCALES), help="Language of messages and labels.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, locale: str | None) -> None:
    """A searchable archive of human-rights documents in Arabic, English and French."""
    ctx.obj = Context(home_from_env(home), locale or _default_locale())
    _session["locale"] = ctx.obj.locale


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
    index = Index(obj.home, write_timeout=current()["WRITE_TIMEOUT"], processes=processes)
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
    corpus, index = obj.existing_corpus(), obj.index
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
@click.option("--include-restricted", is_flag=True, help="Count restricted documents too.")
@click.pass_obj
def stats(obj: Context, include_restricted: bool) -> None:
    """Summarise the indexed corpus: documents by type, language, year and country."""
    with _service(obj.home) as service:
        result = service.search("", locale=obj.locale, include_restricted=include_restricted)
    click.echo(ngettext("{n} document", "{n} documents", result.total, obj.locale))
    for name in ("type", "language", "year", "country", "organisation"):
        values = result.facets[name][:10]
        listed = ", ".join(f"{v.label} {v.count}" for v in values)
        click.echo(f"{obj._(FACET[name].title)}: {listed}")


@cli.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
@click.option("--include-restricted", is_flag=True, help="Also look among restricted documents.")
@click.pass_obj
def show(obj: Context, doc_id: str, as_json: bool, include_restricted: bool) -> None:
    """Print a document."""
    with _service(obj.home) as service:
        document = service.document(doc_id, include_restricted)
    if as_json:
        click.echo(json.dumps(document.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_document(document), nl=False)


def _facet_options(command):
    """An option per facet (`fields.FACET_TABLE`), repeatable, into `search.Filters`."""
    for facet in reversed(FACET_TABLE):
        option = click.option(f"--{facet.option}", facet.attribute, multiple=True, help=facet.help)
        command = option(command)
    return command


@cli.command()
@click.argument("query", required=False, default="")
@_facet_options
@click.option("--from", "date_from", default="", help="Earliest date (YYYY[-MM[-DD]]).")
@click.option("--to", "date_to", default="", help="Latest date (YYYY[-MM[-DD]]).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--limit", type=int, default=10, show_default=True, help="Hits per page.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--include-restricted", is_flag=True, help="Also search restricted documents.")
@click.option(
    "--literal", is_flag=True, help="Do not expand names of countries, organisations, people."
)
@click.option("--locale", type=click.Choice(LOCALES), help="Language of labels and messages.")
@click.pass_obj
def search(
    obj: Context,
    query: str,
    as_json: bool,
    include_restricted: bool,
    literal: bool,
    sort: str,
    page: int,
    limit: int,
    locale: str | None,
    **filters,
) -> None:
    """Search the archive."""
    if locale:
        obj.locale = _session["locale"] = locale
    with _service(obj.home) as service:
        result = service.search(
            query,
            _filters(**filters),
            sort=sort,
            page=page,
            page_size=limit,
            locale=obj.locale,
            include_restricted=include_restricted,
            literal=literal,
        )
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    for message in result.messages:
        click.echo(f"! {message}", err=True)
    for recognised in result.recognised:
        click.echo(
            obj._('"{words}" read as {label}', words=recognised.words, label=recognised.label)
        )
    click.echo(ngettext("{n} document", "{n} documents", result.total, obj.locale))
    start = (result.page - 1) * result.page_size
    for number, hit in enumerate(result.hits, start + 1):
        click.echo(f"\n{number}. {hit.title}  [{hit.id}]")
        click.echo(f"   {hit.date} · {hit.type} · {hit.language}")
        if hit.snippet.text:
            text = "".join(
                f"[{piece}]" if marked else piece for piece, marked in hit.snippet.parts()
            )
            where = f"#p{hit.snippet.paragraph}: " if hit.snippet.paragraph else ""
            click.echo(f"   {where}{text}")


def _metadata_options(command):
    """The options that override proposed metadata, shared by `add` and `import`:
    one per field of `fields.DOCUMENT_FIELDS` that has one."""
    choices = {"types": TYPES, "languages": LANGUAGES}
    options = [
        click.option(
            f"--{f.option}",
            f.parameter or f.name,
            multiple=f.many,
            type=click.Choice(choices[f.choices]) if f.choices else None,
            help=f.help or None,
        )
        for f in DOCUMENT_FIELDS
        if f.option
    ]
    options += [
        click.option("--restricted", is_flag=True, help="Archivists only."),
        click.option(
            "--keep-repeats",
            is_flag=True,
            help="Keep every copy of a passage repeated inside a file.",
        ),
        click.option(
            "--as",
            "user_name",
            default=None,
            help="Name recorded in the audit log (default: $USER).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--id", "doc_id", help="Id (one file only; default: made from the title).")
@_metadata_options
@click.option("--yes", is_flag=True, help="Save the proposed description without asking.")
@click.pass_obj
def add(obj: Context, files: tuple[Path, ...], doc_id: str | None, yes: bool, **options) -> None:
    """Add files (.pdf .docx .html .md .txt): propose a description, then save it."""
    from . import ingest
    from .extract import Limits

    if doc_id and len(files) > 1:
        raise ArchiveError(N_("--id: give it with one file only"))
    editor = Editor(obj.home, _user_name(options), current()["WRITE_TIMEOUT"])
    with _service(obj.home) as service:
        for file in files:
            data = file.read_bytes()
            found = ingest.review(service, data, file.name, Limits.from_settings())
            document = ingest.apply(found, {**options, "id": doc_id})
            _show_review(obj, found, document, options)
            if not yes and not click.confirm(obj._("Save it to the archive?"), default=False):
                click.echo(obj._("Not saved: {file}", file=file.name))
                continue
            saved = editor.add(document, original=(file.name, data))
            click.echo(obj._("Written {path}", path=f"corpus/{saved.document.path}"))
            if saved.indexed:
                click.echo(obj._("Indexed {id}", id=saved.document.id))
            else:
                click.echo(obj._("The index could not be updated: run 'archive index'."), err=True)


#: The columns of an import's CSV: the file, then the fields of its description.
IMPORT_COLUMNS = ("file", *(f.name for f in DOCUMENT_FIELDS))


@cli.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="One row per file: " + ",".join(IMPORT_COLUMNS) + " (file is relative to FOLDER).",
)
@click.option("--as", "user_name", default=None, help="Name recorded in the audit log.")
@click.pass_obj
def import_command(
    obj: Context, folder: Path, csv_path: Path | None, user_name: str | None
) -> None:
    """Import a collection: every file in FOLDER, or the files a CSV describes.

    Proposed descriptions are accepted (CSV columns override them); exact
    duplicates and unreadable files are skipped. One report line per row;
    the exit status is 1 if any row was skipped.
    """
    from . import ingest
    from .extract import Limits

    editor = Editor(obj.home, user_name or _user_name({}), current()["WRITE_TIMEOUT"])
    rows = _import_rows(folder, csv_path)
    added = skipped = 0
    with _service(obj.home) as service:
        for number, (path, overrides, label) in enumerate(rows, 1):
            try:
                found = ingest.review(service, path.read_bytes(), path.name, Limits.from_settings())
                exact = [d for d in found.duplicates if d.exact]
                if exact:
                    raise ArchiveError(N_("already in the archive as {id}"), id=exact[0].id)
                document = ingest.apply(found, overrides)
                saved = editor.add(document, original=(path.name, path.read_bytes()), index=False)
            except (ArchiveError, OSError) as error:
                skipped += 1
                reason = error.render(obj.locale) if isinstance(error, ArchiveError) else str(error)
                click.echo(
                    obj._(
                        "row {number}: skipped {file}: {reason}",
                        number=number,
                        file=label,
                        reason=reason,
                    )
                )
                continue
            added += 1
            click.echo(
                obj._(
                    "row {number}: added {id} from {file}",
                    number=number,
                    id=saved.document.id,
                    file=label,
                )
            )
    if added:
        Index(obj.home, write_timeout=current()["WRITE_TIMEOUT"]).update(Corpus(obj.home))
    click.echo(obj._("{added} added, {skipped} skipped", added=added, skipped=skipped))
    if skipped:
        sys.exit(1)


def _import_rows(folder: Path, csv_path: Path | None) -> list[tuple[Path, dict, str]]:
    """(file, metadata overrides, label for the report) for each row to import."""
    from .extract import FORMATS

    root = folder.resolve()
    if csv_path is None:
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
        return [(p, {}, str(p.relative_to(root))) for p in files]
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        unknown = set(reader.fieldnames or ()) - set(IMPORT_COLUMNS)
        if unknown or "file" not in (reader.fieldnames or ()):
            raise ArchiveError(
                N_("{file}: columns must be {columns}"),
                file=csv_path.name,
                columns=", ".join(IMPORT_COLUMNS),
            )
        rows = []
        for row in reader:
            name = (row.get("file") or "").strip()
            path = (root / name).resolve()
            if not name or not path.is_relative_to(root):
                path = root / ".not-a-file"  # reported as unreadable, never opened outside FOLDER
            overrides = {k: (v or "").strip() for k, v in row.items() if k != "file" and v}
            for f in DOCUMENT_FIELDS:
                if f.many and f.name in overrides:
                    overrides[f.name] = tuple(re.split(r"[\s,;]+", overrides[f.name]))
                if f.parameter and f.name in overrides:
                    overrides[f.parameter] = overrides.pop(f.name)
            if overrides.pop("access", "") == "restricted":
                overrides["restricted"] = True
            rows.append((path, overrides, name or "?"))
        return rows


def _user_name(options: dict) -> str:
    return options.pop("user_name", None) or os.environ.get("USER") or "cli"


#: Command-line option -> the field whose proposal it replaces.
OVERRIDES = {f.parameter or f.name: f.name for f in DOCUMENT_FIELDS if f.option}


def _show_review(obj: Context, found, document: Document, options: dict) -> None:
    """Print a proposed description and everything the archivist should check."""
    decided = {field for option, field in OVERRIDES.items() if options.get(option)}
    if document.type != "case":
        decided |= {"subject", "status"}
    rows = [
        ("id", document.id),
        ("title", document.title),
        ("type", document.type),
        ("language", document.language),
        ("date", document.date),
        ("countries", " ".join(document.countries)),
        ("organisations", " ".join(document.organisations)),
        ("people", " ".join(document.people)),
        ("translations", " ".join(document.translations)),
        ("access", document.access),
    ]
    click.echo(f"== {found.original_name}")
    for name, value in rows:
        click.echo(f"  {name:<14}{value}")
    for flag in found.proposal.flags:
        if flag.field in decided:
            continue
        click.echo(f"  ! {flag.field}: {gettext(flag.message, obj.locale, **flag.params)}")
    for duplicate in found.duplicates:
        click.echo(
            "  ! "
            + obj._(
                "already in the archive: {id} ({percent}% alike)",
                id=duplicate.id,
                percent=round(duplicate.similarity * 100),
            )
        )
    for block in found.proposal.repeated_blocks:
        click.echo(
            "  ! "
            + obj._(
                "a passage appears {count} times; one copy is kept (--keep-repeats keeps them all)",
                count=block.count,
            )
        )
    for name in found.proposal.new_organisations:
        click.echo("  ? " + obj._("signatory not in the registry: {name}", name=name))


@cli.command()
@click.argument("doc_id")
@click.option("--limit", type=int, default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@click.option("--include-restricted", is_flag=True, help="Also consider restricted documents.")
@click.pass_obj
def similar(obj: Context, doc_id: str, limit: int, as_json: bool, include_restricted: bool) -> None:
    """Documents like DOC_ID: shared words, people, organisations and countries."""
    with _service(obj.home) as service:
        hits = service.similar(doc_id, limit, obj.locale, include_restricted)
    if as_json:
        click.echo(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return
    for number, hit in enumerate(hits, 1):
        click.echo(f"{number}. {hit.title}  [{hit.id}]  {hit.date} · {hit.language}")


@cli.command("eval")
@click.option(
    "--file",
    "paths",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Judged queries (default: every eval/*.yaml in the archive home, held-out last).",
)
@click.option(
    "--compare",
    "compare",
    type=click.Choice(sorted(analysis.CHOICES)),
    help="Also measure with this analysis choice turned off, side by side.",
)
@click.option("--verbose", is_flag=True, help="Also list every query below a perfect score.")
@click.pass_obj
def eval_command(obj: Context, paths: tuple[Path, ...], compare: str | None, verbose: bool) -> None:
    """Measure relevance: top hit, P@5, recall@10, MRR and nDCG@10 over judged queries."""
    from . import evaluation

    files = list(paths) or evaluation.judgement_files(obj.home / "eval")
    if not files:
        raise ArchiveError(N_("{path}: no files of judged queries"), path=str(obj.home / "eval"))
    judged = {path: evaluation.load_judgements(path) for path in files}
    runs = [("", _evaluate_all(obj.home, judged))]
    if compare:
        runs.append((compare, _evaluate_without(obj.home, judged, compare)))
    measures = "".join(f" {m:>7}" for m in ("top", "P@5", "R@10", "MRR", "nDCG"))
    if compare:
        click.echo(obj._("Right: the same, without {choice}.", choice=compare))
    for path in files:
        groups = [scores[path] for _, scores in runs]
        click.echo(f"\n{path.name}")
        click.echo(f"{obj._('group'):<15} {obj._('queries'):>7}" + measures * len(runs))
        for name in [*evaluation.by_group(groups[0]), None]:
            row = ""
            for scores in groups:
                chosen = [s for s in scores if name is None or s.judgement.group == name]
                summary = evaluation.summarise(chosen)
                values = (summary.top, summary.precision, summary.recall, summary.mrr, summary.ndcg)
                row += "".join(f" {v:>7.3f}" for v in values)
            label = obj._("overall") if name is None else name
            click.echo(f"{label:<15} {len(chosen):>7}{row}")
        if verbose:
            for score in groups[0]:
                if score.ndcg < 1 or score.missing or score.top < 1:
                    click.echo(
                        f"  {score.judgement.query!r} ({score.judgement.group}): "
                        f"nDCG {score.ndcg:.3f}, R@10 {score.recall:.3f}, "
                        f"top: {', '.join(score.found[:5]) or '-'}"
                    )
                    if score.missing:
                        click.echo(f"    {obj._('never found')}: {', '.join(score.missing)}")


def _evaluate_all(home: Path, judged: dict) -> dict:
    from . import evaluation

    with _service(home) as service:
        return {path: evaluation.evaluate(service, items) for path, items in judged.items()}


def _evaluate_without(home: Path, judged: dict, choice: str) -> dict:
    """The same judgements over a temporary index of the same corpus, analysed
    with one choice turned off (in this process: one worker)."""
    with tempfile.TemporaryDirectory(prefix="archive-compare-") as folder:
        other = Path(folder)
        (other / "corpus").symlink_to((home / "corpus").resolve(), target_is_directory=True)
        analysis.set_choices_off({choice})
        try:
            Index(other, processes=1).rebuild(Corpus(other))
            return _evaluate_all(other, judged)
        finally:
            analysis.set_choices_off(set())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True, help="Threads per process.")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Server processes sharing the port (default: one per core).",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, threads: int, processes: int | None) -> None:
    """Serve the archive over HTTP with a production WSGI server (waitress)."""
    from . import create_app, server

    corpus = obj.existing_corpus()
    # The index is derived and Whoosh never fsyncs: bring it in line with the
    # corpus (the durable truth) before serving.
    report = obj.index.update(corpus)
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


@cli.group()
def user() -> None:
    """Archivist accounts (stored hashed in instance/users.json)."""


@user.command("add")
@click.argument("name")
@click.password_option(help="Asked twice when not given.")
@click.pass_obj
def user_add(obj: Context, name: str, password: str) -> None:
    """Create an archivist account."""
    _users(obj.home).add(name, password)
    click.echo(obj._("Archivist {name} added.", name=name))


@user.command("list")
@click.pass_obj
def user_list(obj: Context) -> None:
    """List archivist accounts."""
    for account in _users(obj.home).list():
        state = obj._("disabled") if account.disabled else obj._("enabled")
        click.echo(f"{account.name}\t{state}\t{account.created}")


@user.command("disable")
@click.argument("name")
@click.pass_obj
def user_disable(obj: Context, name: str) -> None:
    """Disable an account (it can no longer sign in; its history stays)."""
    _users(obj.home).set_disabled(name, True)
    click.echo(obj._("Archivist {name} disabled.", name=name))


@user.command("enable")
@click.argument("name")
@click.pass_obj
def user_enable(obj: Context, name: str) -> None:
    """Enable a disabled account again."""
    _users(obj.home).set_disabled(name, False)
    click.echo(obj._("Archivist {name} enabled.", name=name))


@cli.group()
def translate() -> None:
    """Maintain the message catalogues in translations/ (ar, en, fr)."""


@translate.command("update")
def translate_update() -> None:
    """Extract messages from the code and templates into every .po file."""
    i18n.update_catalogues()


@translate.command("check")
def translate_check() -> None:
    """Compile every .po file in memory, as the archive reads them, and name each."""
    for path in i18n.catalogue_paths():
        i18n.load_catalogue(path)
        click.echo(path)


main = cli
if __name__ == "__main__":
    main()
