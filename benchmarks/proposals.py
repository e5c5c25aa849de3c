"""The type proposed for uploaded documents: how often it is right, and whether doubt is flagged.

    python -m benchmarks.proposals
    python -m benchmarks.proposals --heldout documents.yaml

Each document of the bundled corpus goes through `propose` as an upload would:
its title and body, its front matter (which names its type) left out. With
``--heldout``, so does each document of a YAML list of ``{id, type, language,
title, text}``. For each set it prints the accuracy overall, per type and per
language, how many proposals were flagged ("check the type"), how many wrong
ones were not (a confident wrong answer, the worst outcome: nothing tells the
archivist to look), the confusion matrix, and the documents proposed wrongly.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from archive.corpus import Corpus
from archive.document import TYPES
from archive.extract import Extracted, clean_text, propose
from archive.registry import Registry

PROJECT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Outcome:
    id: str
    language: str
    expected: str
    proposed: str
    flagged: bool

    @property
    def right(self) -> bool:
        return self.proposed == self.expected


def corpus_documents() -> list[dict]:
    """The bundled corpus's documents as {id, type, language, title, text}."""
    corpus = Corpus(PROJECT)
    found = []
    for path in corpus.paths():
        doc, _ = corpus.parse(path)
        if doc is not None:
            found.append(
                {
                    "id": doc.id,
                    "type": doc.type,
                    "language": doc.language,
                    "title": doc.title,
                    "text": doc.body,
                }
            )
    return found


def heldout_documents(path: Path) -> list[dict]:
    documents = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(documents, list):
        raise SystemExit(f"{path}: expected a YAML list of {{id, type, language, title, text}}")
    return documents


def outcomes(documents: list[dict], registry: Registry) -> list[Outcome]:
    found = []
    for doc in documents:
        extracted = Extracted(
            clean_text(str(doc.get("text") or "")), "txt", front_matter={"title": doc["title"]}
        )
        proposal = propose(extracted, f"{doc['id']}.txt", registry)
        found.append(
            Outcome(
                str(doc["id"]),
                str(doc.get("language", "?")),
                doc["type"],
                proposal.document.type,
                any(flag.field == "type" for flag in proposal.flags),
            )
        )
    return found


def _share(right: int, total: int) -> str:
    return f"{right}/{total} ({right / total:.0%})" if total else "-"


def report(name: str, found: list[Outcome]) -> None:
    print(f"## {name}: {len(found)} documents\n")
    right = sum(o.right for o in found)
    wrong = [o for o in found if not o.right]
    print(f"accuracy              {_share(right, len(found))}")
    for label, key in (("type", "expected"), ("language", "language")):
        for value in sorted({getattr(o, key) for o in found}):
            chosen = [o for o in found if getattr(o, key) == value]
            share = _share(sum(o.right for o in chosen), len(chosen))
            print(f"  {label + ' ' + value:<20}{share}")
    print(f"flagged               {sum(o.flagged for o in found)}/{len(found)}")
    print(f"  right, flagged      {sum(o.flagged for o in found if o.right)}")
    print(f"  wrong, flagged      {sum(o.flagged for o in wrong)}")
    print(f"wrong, NOT flagged    {sum(not o.flagged for o in wrong)}  (confident and wrong)")
    print("\nconfusion (rows: true type, columns: proposed)\n")
    pairs = Counter((o.expected, o.proposed) for o in found)
    print(f"{'':<12}" + "".join(f"{t:>11}" for t in TYPES))
    for expected in TYPES:
        print(f"{expected:<12}" + "".join(f"{pairs[expected, t]:>11}" for t in TYPES))
    if wrong:
        print("\nwrong:")
        for o in wrong:
            mark = "flagged" if o.flagged else "NOT FLAGGED"
            print(f"  {o.id}: {o.expected} proposed as {o.proposed} ({mark})")
    print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--heldout", type=Path, help="a YAML list of {id, type, language, title, text}"
    )
    args = parser.parse_args(argv)
    registry = Registry.load(PROJECT / "corpus")
    report("bundled corpus", outcomes(corpus_documents(), registry))
    if args.heldout:
        report(str(args.heldout), outcomes(heldout_documents(args.heldout), registry))


if __name__ == "__main__":
    main()
