"""The ``archive`` command: thin commands over the corpus, index and search modules.

Every problem a user can cause ends in a one-line message on stderr and a
non-zero exit status (2 for bad input or a missing index, 1 for a corpus that
fails `archive check`), never in a traceback.
"""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from pathlib import Path

import click

from . import evaluation, i18n
from .config import DEFAULTS, home_from_env
from .corpus import Corpus, check_references, parse_date, parse_document, render_document
from .document import FRONT_MATTER_FIELDS, LANGUAGES, TYPES, Document
from .errors import ArchiveError
from .i18n import LOCALES, N_, gettext, ngettext
from .indexing import Index
from .search import SORTS, Filters, SearchService

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
        return Index(self.home, write_timeout=DEFAULTS["WRITE_TIMEOUT"])


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
@click.pass_obj
def index_command(obj: Context, rebuild: bool) -> None:
    """Bring index/ up to date with corpus/."""
    corpus, index = obj.corpus, obj.index
    if not corpus.root.is_dir():
        raise ArchiveError(N_("no corpus folder at {path}"), path=str(corpus.root))
    report = index.rebuild(corpus) if rebuild else index.update(corpus)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(
        obj._(
            "{added} added, {changed} changed, {deleted} deleted, {unchanged} unchanged",
            added=len(report.added),
            changed=len(report.changed),
            deleted=len(report.deleted),
            unchanged=report.unchanged,
        )
    )
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
@click.pass_obj
def check(obj: Context) -> None:
    """Validate the corpus and the registry; one line per problem."""
    corpus = obj.corpus
    if not corpus.root.is_dir():
        raise ArchiveError(N_("no corpus folder at {path}"), path=str(corpus.root))
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
    with SearchService(obj.home) as service:
        result = service.search("", locale=obj.locale, include_restricted=include_restricted)
    click.echo(ngettext("{n} document", "{n} documents", result.total, obj.locale))
    for name in ("type", "language", "year", "country", "organisation"):
        values = result.facets[name][:10]
        listed = ", ".join(f"{v.label} {v.count}" for v in values)
        click.echo(f"{obj._(FACET_TITLES[name])}: {listed}")


#: Facet names as the CLI and the web pages title them.
FACET_TITLES = {
    "country": N_("Country"),
    "organisation": N_("Organisation"),
    "person": N_("Person"),
    "year": N_("Year"),
    "month": N_("Month"),
    "type": N_("Type"),
    "language": N_("Language"),
}


@cli.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
@click.option("--include-restricted", is_flag=True, help="Also look among restricted documents.")
@click.pass_obj
def show(obj: Context, doc_id: str, as_json: bool, include_restricted: bool) -> None:
    """Print a document."""
    with SearchService(obj.home) as service:
        document = service.document(doc_id, include_restricted)
    if as_json:
        click.echo(json.dumps(document.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_document(document), nl=False)


@cli.command()
@click.argument("query", required=False, default="")
@click.option("--country", "countries", multiple=True, help="Country code (repeatable).")
@click.option("--org", "organisations", multiple=True, help="Organisation id (repeatable).")
@click.option("--person", "people", multiple=True, help="Person id (repeatable).")
@click.option("--type", "types", multiple=True, help="letter, statement or case (repeatable).")
@click.option("--language", "languages", multiple=True, help="ar, en or fr (repeatable).")
@click.option("--year", "years", multiple=True, help="Year (repeatable).")
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
    with SearchService(obj.home) as service:
        result = service.search(
            query,
            Filters(**filters),
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


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "doc_id", help="Id (default: made from the title).")
@click.option("--title", help="Title (default: the file's first line).")
@click.option("--type", "doc_type", type=click.Choice(TYPES))
@click.option("--language", type=click.Choice(LANGUAGES))
@click.option("--date", help="Date, YYYY-MM-DD (or YYYY-MM, YYYY).")
@click.option("--country", "countries", multiple=True, help="Country code (repeatable).")
@click.option("--org", "organisations", multiple=True, help="Organisation id (repeatable).")
@click.option("--person", "people", multiple=True, help="Person id (repeatable).")
@click.option("--source", help="URL of the original.")
@click.option("--translation", "translations", multiple=True, help="Id of a translation.")
@click.option("--restricted", is_flag=True, help="Archivists only.")
@click.pass_obj
def add(obj: Context, file: Path, **options) -> None:
    """Add a Markdown or text file to the corpus, then index it."""
    corpus, index = obj.corpus, obj.index
    document = document_from_file(file, options)
    where = file.name
    text = render_document(document)
    parsed, problems = parse_document(text, where)
    problems += check_references(parsed, where, corpus.registry) if parsed else []
    if problems:
        raise ArchiveError("{problem}", problem=str(problems[0]))
    path = corpus.path_for(document)
    if path.exists() or _id_taken(obj.home, document.id):
        raise ArchiveError(
            N_("{file}: id: {id!r} is already in the archive"), file=where, id=document.id
        )
    document = corpus.write(document)
    click.echo(obj._("Written {path}", path=corpus.display(corpus.root / document.path)))
    index.add(corpus, [document])
    click.echo(obj._("Indexed {id}", id=document.id))


def _id_taken(home: Path, doc_id: str) -> bool:
    index = Index(home)
    if not index.exists():
        return False
    with index.open_searcher(include_restricted=True) as searcher:
        return searcher.document(id=doc_id) is not None


def document_from_file(file: Path, options: dict) -> Document:
    """A `Document` from a .md (front matter optional) or .txt file and CLI options."""
    if file.suffix.lower() not in (".md", ".txt"):
        raise ArchiveError(N_("{file}: only .md and .txt files can be added"), file=file.name)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArchiveError(N_("{file}: not UTF-8 text"), file=file.name) from None
    meta: dict = {}
    body = text
    if text.lstrip().startswith("---"):
        parsed, problems = parse_document(text, file.name)
        if parsed is None:
            raise ArchiveError("{problem}", problem=str(problems[0]))
        meta = {k: v for k, v in parsed.__dict__.items() if v not in (None, "", ())}
        body = meta.pop("body")
    overrides = {k: v for k, v in options.items() if v not in (None, "", (), False)}
    if options.get("restricted"):
        overrides["access"] = "restricted"
    overrides.pop("restricted", None)
    if "doc_id" in overrides:
        overrides["id"] = overrides.pop("doc_id")
    if "doc_type" in overrides:
        overrides["type"] = overrides.pop("doc_type")
    for key in ("countries", "organisations", "people", "translations"):
        if key in overrides:
            overrides[key] = tuple(overrides[key])
    meta.update(overrides)
    if "title" not in meta:
        first = next((line for line in body.splitlines() if line.strip()), "")
        meta["title"] = first.strip().lstrip("#").strip()
        if body.strip().startswith(first.strip()):
            body = body.strip()[len(first.strip()) :]
    if "date" in meta and parse_date(meta["date"])[0] is None:
        raise ArchiveError(
            "{file}: date: {reason}", file=file.name, reason=parse_date(meta["date"])[1]
        )
    for key in ("type", "language", "date"):
        if key not in meta:
            raise ArchiveError(
                N_("{file}: {field}: missing (give --{field})"), file=file.name, field=key
            )
    meta.setdefault("id", slug(meta["title"], meta["date"], meta["language"]))
    fields = {k: v for k, v in meta.items() if k in FRONT_MATTER_FIELDS}
    return Document(body=body.strip(), **fields)


def slug(title: str, date: str, language: str) -> str:
    """An id from a title: ASCII words joined by '-', else the date and language."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())[:8]
    base = "-".join(words) or f"document-{date}"
    return f"{base}-{language}" if not words else base


@cli.command()
@click.argument("doc_id")
@click.option("--limit", type=int, default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@click.option("--include-restricted", is_flag=True, help="Also consider restricted documents.")
@click.pass_obj
def similar(obj: Context, doc_id: str, limit: int, as_json: bool, include_restricted: bool) -> None:
    """Documents like DOC_ID: shared words, people, organisations and countries."""
    with SearchService(obj.home) as service:
        hits = service.similar(doc_id, limit, obj.locale, include_restricted)
    if as_json:
        click.echo(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return
    for number, hit in enumerate(hits, 1):
        click.echo(f"{number}. {hit.title}  [{hit.id}]  {hit.date} · {hit.language}")


@cli.command("eval")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Judged queries (default: eval/queries.yaml in the archive home).",
)
@click.option("--verbose", is_flag=True, help="Also list every query below a perfect score.")
@click.pass_obj
def eval_command(obj: Context, path: Path | None, verbose: bool) -> None:
    """Measure relevance: recall@10, MRR@10 and nDCG@10 over judged queries."""
    judgements = evaluation.load_judgements(path or obj.home / "eval" / "queries.yaml")
    with SearchService(obj.home) as service:
        scores = evaluation.evaluate(service, judgements)
    group, queries, overall = obj._("group"), obj._("queries"), obj._("overall")
    click.echo(f"{group:<12} {queries:>7} {'recall@10':>10} {'MRR@10':>8} {'nDCG@10':>8}")
    rows = [*evaluation.by_group(scores).items(), (overall, evaluation.summarise(scores))]
    for name, summary in rows:
        click.echo(
            f"{name:<12} {summary.queries:>7} {summary.recall:>10.3f} "
            f"{summary.mrr:>8.3f} {summary.ndcg:>8.3f}"
        )
    if verbose:
        for score in scores:
            if score.ndcg < 1 or score.missing:
                click.echo(
                    f"\n{score.judgement.query!r} ({score.judgement.group}): "
                    f"nDCG {score.ndcg:.3f}, recall {score.recall:.3f}"
                )
                click.echo(f"  top: {', '.join(score.found)}")
                if score.missing:
                    never = obj._("never found")
                    click.echo(f"  {never}: {', '.join(score.missing)}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True, help="Worker threads.")
@click.pass_obj
def serve(obj: Context, host: str, port: int, threads: int) -> None:
    """Serve the archive over HTTP with a production WSGI server (waitress)."""
    import waitress

    from . import create_app

    if not obj.index.exists():
        obj.index.update(obj.corpus)
    app = create_app({"HOME": str(obj.home)})
    click.echo(obj._("Serving {home} on http://{host}:{port}/", home=str(obj.home), host=host,
                     port=port))  # fmt: skip
    waitress.serve(app, host=host, port=port, threads=threads, ident="archive")


@cli.group()
def translate() -> None:
    """Maintain the message catalogues in translations/ (ar, en, fr)."""


@translate.command("update")
def translate_update() -> None:
    """Extract messages from the code and templates into every .po file."""
    i18n.update_catalogues()


@translate.command("compile")
def translate_compile() -> None:
    """Compile the .po files to .mo (also done on first use)."""
    for path in i18n.compile_catalogues(force=True):
        click.echo(path)


main = cli
if __name__ == "__main__":
    main()
