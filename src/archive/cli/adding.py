"""Commands that add documents to the corpus: add and import, with the review they print."""

from __future__ import annotations

import csv
import os
import re
import sys
from pathlib import Path

import click

from ..corpus import Corpus
from ..document import Document
from ..editing import Editor
from ..errors import ArchiveError
from ..fields import CHOICES, DOCUMENT_FIELDS, IMPORTED_FIELDS
from ..i18n import N_
from . import Context, _service, cli


def _metadata_options(command):
    """The options that override proposed metadata, shared by `add` and `import`:
    one per field of `fields.DOCUMENT_FIELDS` that has one."""
    options = [
        click.option(
            f"--{f.option}",
            f.parameter or f.name,
            multiple=f.many,
            type=click.Choice(CHOICES[f.choices]) if f.choices else None,
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
    from .. import ingest
    from ..extract import Limits

    if doc_id and len(files) > 1:
        raise ArchiveError(N_("--id: give it with one file only"))
    editor = Editor(obj.home, _user_name(options))
    with _service(obj.home) as service:
        for file in files:
            data = file.read_bytes()
            found = ingest.review(service, data, file.name, Limits.from_settings())
            document = ingest.apply(found, {**options, "id": doc_id})
            _show_review(obj, found, document, options)
            if yes:  # unattended: the same text twice is a mistake (asked, it is a choice)
                found.refuse_exact_duplicate()
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
IMPORT_COLUMNS = ("file", *(f.name for f in IMPORTED_FIELDS))


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
    from .. import ingest
    from ..extract import Limits

    editor = Editor(obj.home, user_name or _user_name({}))
    rows = _import_rows(folder, csv_path)
    added = skipped = 0
    with _service(obj.home) as service:
        for number, (path, overrides, label) in enumerate(rows, 1):
            try:
                found = ingest.review(service, path.read_bytes(), path.name, Limits.from_settings())
                found.refuse_exact_duplicate()
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
        obj.backend().update(Corpus(obj.home))
    click.echo(obj._("{added} added, {skipped} skipped", added=added, skipped=skipped))
    if skipped:
        sys.exit(1)


def _import_rows(folder: Path, csv_path: Path | None) -> list[tuple[Path, dict, str]]:
    """(file, metadata overrides, label for the report) for each row to import."""
    from ..extract import FORMATS

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
            for f in IMPORTED_FIELDS:
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
        click.echo(f"  ! {flag.render(obj.locale)}")
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
