"""The size and SHA-256 hash of every file a part's table of contents uses,
recorded at each commit and verified by `Index.verify`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from whoosh.index import TOC

from ...corpus import write_atomic
from ...i18n import N_
from .. import DamagedFile

#: In each part's folder: [size, hash] of every file its live table of contents uses.
_CHECKSUMS = "checksums.json"


def file_checksum(path: Path) -> list:
    """[size, SHA-256 hash] of a file (SHA-256 is computed by the processor
    here: 1.1 GB/s, where BLAKE2b does 0.65)."""
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return [os.fstat(handle.fileno()).st_size, digest.hexdigest()]


def segment_files(folder: Path, segments) -> list[str]:
    """The names of the files of `segments` in a part's folder: Whoosh's and
    the archive's own, all named ``<segment id>.<what>``."""
    prefixes = tuple(f"{segment.segment_id()}." for segment in segments)
    return sorted(name for name in os.listdir(folder) if name.startswith(prefixes))


def read_checksums(folder: Path) -> dict[str, tuple[int, str]]:
    """A part's recorded checksums, by file name (none if unreadable)."""
    try:
        files = json.loads((folder / _CHECKSUMS).read_bytes())["files"]
        return {str(name): (int(size), str(digest)) for name, (size, digest) in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def record_checksums(folder: Path, names: list[str], known: dict[str, list]) -> None:
    """Record the checksums of the files a part's new table of contents uses
    (`names`, the table first) in the part's manifest, replaced atomically.

    A file already recorded keeps its checksum (a segment's files never
    change once written, and a file damaged since must stay found); the
    others were just written, by this commit, and are hashed now unless
    `known` has them.
    """
    recorded = {**known, **read_checksums(folder)}
    files = {name: list(recorded.get(name) or file_checksum(folder / name)) for name in names}
    write_atomic(folder / _CHECKSUMS, json.dumps({"files": files}, indent=0).encode("ascii"))


def verify_part(folder: Path) -> list[DamagedFile]:
    """The files of a part that differ from their recorded checksums."""
    files = read_checksums(folder)
    found = []
    latest = latest_generation(folder)
    toc = TOC._filename("MAIN", latest)
    if latest >= 0 and toc not in files:  # no manifest, a damaged one, or an older one
        message = N_("damaged index file: {path} (no checksum was recorded for it)")
        found.append(DamagedFile(folder / toc, message))
    for name, (size, digest) in sorted(files.items()):
        path = folder / name
        try:
            actual_size, actual_digest = file_checksum(path)
        except FileNotFoundError:
            found.append(DamagedFile(path, N_("damaged index file: {path} (missing)")))
            continue
        if actual_size != size:
            message = N_("damaged index file: {path} ({size} bytes, {expected} when written)")
            found.append(DamagedFile(path, message, {"size": actual_size, "expected": size}))
        elif actual_digest != digest:
            message = N_("damaged index file: {path} (its contents changed since it was written)")
            found.append(DamagedFile(path, message))
    return found


def folder_state(folder: Path) -> tuple:
    """Names, sizes and modification times of a folder's files."""
    with os.scandir(folder) as entries:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries))


def temporary(name: str) -> bool:
    """Whether an index file's name is that of a temporary file or folder:
    hidden (the archive's own) or ``*.tmp`` (Whoosh's and the archive's)."""
    return name.startswith(".") or name.endswith(".tmp")


def latest_generation(folder: Path) -> int:
    """The number of the newest table of contents (``_MAIN_<n>.toc``) in a Whoosh folder."""
    latest = -1
    for name in os.listdir(folder):
        if name.startswith("_MAIN_") and name.endswith(".toc"):
            with contextlib.suppress(ValueError):
                latest = max(latest, int(name[6:-4]))
    return latest
