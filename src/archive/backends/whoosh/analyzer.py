"""The archive's text analysis as Whoosh analyzers, for the index schema.

Every word goes through `archive.analysis`; these only hand its terms to
Whoosh, with positions numbered by paragraph.
"""

from __future__ import annotations

from whoosh.analysis import Analyzer, Token

from ...analysis import (
    ANALYSED,
    EXACT,
    PARAGRAPH_BREAK,
    PARAGRAPH_GAP,
    WORD,
    positional_terms,
    terms_of,
)
from ...languages import DEFAULT_LATIN, LANGUAGE_TABLE


class LanguageText(str):
    """Text to index, tagged with the language of the document it comes from."""

    language: str = "en"

    def __new__(cls, text: str, language: str):
        self = super().__new__(cls, text)
        self.language = language
        return self


class ArchiveAnalyzer(Analyzer):
    """Whoosh analyzer for the archive's text fields.

    ``ArchiveAnalyzer("stemmed")`` stems by the language of a `LanguageText`
    value (English when the value is a plain string, as a query is);
    ``ArchiveAnalyzer("exact")`` only normalises; ``ArchiveAnalyzer("analysed")``
    gives each word's `positional_terms`, numbered by paragraph.
    """

    def __init__(self, chain: str = "stemmed"):
        self.chain = chain

    def __repr__(self) -> str:
        return f"ArchiveAnalyzer({self.chain!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchiveAnalyzer) and other.chain == self.chain

    def __hash__(self) -> int:
        return hash(self.chain)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        if self.chain in (EXACT, ANALYSED):
            chain = self.chain
        else:
            chain = getattr(value, "language", "en")
            chain = chain if chain in LANGUAGE_TABLE else DEFAULT_LATIN
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        exact = chain in (EXACT, ANALYSED)
        pos = start_pos - 1
        last_end = 0
        for match in WORD.finditer(value) if tokenize else [None]:
            raw = match.group() if match else value
            terms = positional_terms(raw) if chain == ANALYSED else terms_of(raw, chain)
            if exact and match and positions:
                if PARAGRAPH_BREAK.search(value, last_end, match.start()):
                    pos = (pos // PARAGRAPH_GAP + 1) * PARAGRAPH_GAP - 1
                last_end = match.end()
            if not terms:
                if not removestops:
                    pos += 1
                    token.text = raw.casefold()
                    token.stopped = True
                    token.pos = pos
                    if chars and match:
                        token.startchar = start_char + match.start()
                        token.endchar = start_char + match.end()
                    yield token
                    token.stopped = False
                continue
            for term in terms:
                pos += 1
                token.text = term
                if keeporiginal:
                    token.original = raw
                if positions:
                    token.pos = pos
                if chars and match:
                    token.startchar = start_char + match.start()
                    token.endchar = start_char + match.end()
                yield token
