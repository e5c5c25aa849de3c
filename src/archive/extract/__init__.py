"""From an incoming file to text and proposed metadata.

`extract_text` turns the bytes of a .txt, .md, .html, .pdf or .docx file into
clean text; `propose` reads that text and proposes a `Document` (title,
language, date, type, countries, organisations, people) with flags for what
an archivist must check. Nothing here writes anything: the archivist confirms
first (see `ingest`).

Every refusal is an `ExtractionError` whose message is a translatable
template naming the file. Limits are checked before the expensive work where
the format allows it: the file size first, a PDF's declared page count before
its pages are read, a .docx's unpacked size before it is unzipped, and the
extracted text as it grows, an HTML page's element count before it is parsed.
`extract_isolated` runs `extract_text` in a child process held to a time and
a memory budget, so that a file no limit above foresaw still cannot hold up
or exhaust the server.

The package holds one module per format (`text`, `html`, `pdf`, `docx`),
`reading` (any format, in this process or in a budgeted child), and one
module per concern of the proposal (`proposal`, `dates`, `names`,
`signatories`, `repeats`); `common` holds the types they share.
"""

from .common import (
    FORMATS,
    Extracted,
    ExtractionError,
    Flag,
    Limits,
    Proposal,
    RepeatedBlock,
    clean_text,
)
from .dates import find_dates
from .names import Mention, find_mentions
from .pdf import fix_reversed_digits, fix_visual_order, visual_to_logical
from .proposal import language_shares, propose, slug
from .reading import extract_isolated, extract_text
from .repeats import find_repeated_blocks
from .signatories import find_signatories, match_organisation
from .text import guess_8bit_encoding

__all__ = [
    "FORMATS",
    "Extracted",
    "ExtractionError",
    "Flag",
    "Limits",
    "Mention",
    "Proposal",
    "RepeatedBlock",
    "clean_text",
    "extract_isolated",
    "extract_text",
    "find_dates",
    "find_mentions",
    "find_repeated_blocks",
    "find_signatories",
    "fix_reversed_digits",
    "fix_visual_order",
    "guess_8bit_encoding",
    "language_shares",
    "match_organisation",
    "propose",
    "slug",
    "visual_to_logical",
]
