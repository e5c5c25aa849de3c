"""Versions and the audit log: nothing an archivist does is lost or unrecorded.

Before a document file is replaced, restricted or deleted, its current text is
copied to ``corpus/.history/<id>/<time>-<action>.md``; restoring copies a
version back. Every change is one line of JSON in ``corpus/.audit.jsonl``:
who, what, which document, when. Both live inside ``corpus/`` (hidden from the
document scan), so a backup of the corpus carries them.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .corpus import Corpus, write_atomic
from .errors import NotFound
from .i18n import N_

HISTORY_DIR = ".history"
AUDIT_FILE = ".audit.jsonl"
ACTIONS = ("add", "edit", "restrict", "unrestrict", "delete", "restore", "import")
_VERSION = re.compile(r"^(\d{8}T\d{6}\d{6}Z)-([a-z]+)\.md$")


@dataclass(frozen=True)
class Version:
    id: str  # the document id
    name: str  # file name inside the document's history folder
    time: str  # ISO timestamp, UTC
    action: str  # what replaced this version


@dataclass(frozen=True)
class AuditEntry:
    time: str
    user: str
    action: str
    id: str
    path: str
    detail: str = ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class History:
    """Versions and audit trail of a corpus."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.root = corpus.root / HISTORY_DIR
        self.audit_path = corpus.root / AUDIT_FILE

    def keep(self, doc_id: str, current: Path, action: str) -> Version | None:
        """Copy a document's current file into its history before `action` changes it."""
        if not current.exists():
            return None
        moment = _now()
        name = f"{moment.strftime('%Y%m%dT%H%M%S%fZ')}-{action}.md"
        write_atomic(self.root / doc_id / name, current.read_bytes())
        return Version(doc_id, name, moment.isoformat(timespec="seconds"), action)

    def versions(self, doc_id: str) -> list[Version]:
        """A document's kept versions, newest first."""
        folder = self.root / doc_id
        if not folder.is_dir() or doc_id.startswith("."):
            return []
        found = []
        for name in os.listdir(folder):
            match = _VERSION.match(name)
            if match:
                moment = dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%S%fZ")
                found.append(
                    Version(
                        doc_id,
                        name,
                        moment.replace(tzinfo=dt.UTC).isoformat(timespec="seconds"),
                        match.group(2),
                    )
                )
        return sorted(found, key=lambda v: v.name, reverse=True)

    def read(self, doc_id: str, name: str) -> bytes:
        if not _VERSION.match(name) or name not in {v.name for v in self.versions(doc_id)}:
            raise NotFound(N_("no version {name!r} of document {id!r}"), name=name, id=doc_id)
        return (self.root / doc_id / name).read_bytes()

    def record(
        self, user: str, action: str, doc_id: str, path: str, detail: str = ""
    ) -> AuditEntry:
        """Append one line to the audit log (fsynced: it is evidence)."""
        entry = AuditEntry(_now().isoformat(timespec="seconds"), user, action, doc_id, path, detail)
        self.audit_path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry.__dict__, ensure_ascii=False) + "\n"
        with open(self.audit_path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        return entry

    def audit(self, doc_id: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """The newest audit entries first, for one document or all."""
        try:
            lines = self.audit_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in reversed(lines):
            try:
                entry = AuditEntry(**json.loads(line))
            except (ValueError, TypeError):
                continue
            if doc_id is None or entry.id == doc_id:
                entries.append(entry)
                if len(entries) >= limit:
                    break
        return entries
