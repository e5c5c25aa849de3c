"""Commands that read the archive: stats, show, search, similar, eval."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from .. import analysis
from ..backends import open_backend
from ..config import SORTS, current
from ..corpus import Corpus, render_document
from ..errors import ArchiveError
from ..fields import FACET, FACET_TABLE
from ..i18n import LOCALES, N_, ngettext
from . import Context, _filters, _service, _session, cli


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
    from .. import evaluation

    if compare and current()["SEARCH_BACKEND"] != "whoosh":
        raise ArchiveError(
            N_(
                "--compare: analysis choices are compared on the embedded index; "
                "set SEARCH_BACKEND=whoosh"
            )
        )
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


#: The temporary index `eval --compare` builds is always an embedded one: a
#: cluster's aliases are the live archive's, never a scratch copy's.
EMBEDDED = {"SEARCH_BACKEND": "whoosh"}


def _evaluate_all(home: Path, judged: dict, settings: dict | None = None) -> dict:
    from .. import evaluation

    with _service(home, settings) as service:
        return {path: evaluation.evaluate(service, items) for path, items in judged.items()}


def _evaluate_without(home: Path, judged: dict, choice: str) -> dict:
    """The same judgements over a temporary index of the same corpus, analysed
    with one choice turned off (in this process: one worker)."""
    with tempfile.TemporaryDirectory(prefix="archive-compare-") as folder:
        other = Path(folder)
        (other / "corpus").symlink_to((home / "corpus").resolve(), target_is_directory=True)
        analysis.set_choices_off({choice})
        try:
            open_backend(other, processes=1, settings=EMBEDDED).rebuild(Corpus(other))
            return _evaluate_all(other, judged, EMBEDDED)
        finally:
            analysis.set_choices_off(set())
