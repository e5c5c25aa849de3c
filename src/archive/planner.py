"""The planner: a parsed query, with the registry's names, becomes a search plan.

`Planner.plan` turns the tree of `archive.query` into the backend-neutral
nodes of `archive.plan`, and gathers what the rest of a search needs: the
terms snippets mark (`MatchTerms`), the names it recognised, messages about
what it ignored, and its plain words (for spelling suggestions). It asks the
index only through a `Lexicon`: how many visible documents hold a term, and
which words start with a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from . import plan
from .analysis import (
    EXACT,
    LITERAL,
    phrase_terms,
    positional_terms,
    query_terms,
    terms_of,
    word_matches,
)
from .corpus import parse_date
from .document import LANGUAGES, date_key
from .errors import ArchiveError
from .fields import ENTITY_FACETS
from .i18n import N_, language_name
from .names import MAX_NAME_WORDS
from .query import And, DateRange, Field, Message, Near, Not, Or, Phrase, Prefix, Word
from .registry import Entity, Registry
from .snippets import MatchTerms

#: Registry kind -> indexed field of the documents tagged with it.
ENTITY_FIELDS = {kind: facet.field for kind, facet in ENTITY_FACETS.items()}
#: Query field (country:, org:, person:) -> the registry kind its values name.
_TAGGED = {facet.parameter: kind for kind, facet in ENTITY_FACETS.items()}
#: The field of entities named in the text, as "kind:id" terms.
MENTION_FIELD = "mention"
#: Words all the prefixes of one query may expand to together; a prefix that
#: would go over is refused with a message.
MAX_PREFIX_TERMS = 2000
MIN_PREFIX_LENGTH = 2
#: Words all the prefixes inside NEAR operands of one query may expand to
#: (positions are checked one document at a time there).
MAX_NEAR_PREFIX_TERMS = 100

UNKNOWN_ENTITY = {
    "country": N_('No country is called "{value}"; that condition was ignored.'),
    "organisation": N_('No organisation is called "{value}"; that condition was ignored.'),
    "person": N_('No person is called "{value}"; that condition was ignored.'),
}
#: Words that name a document type in a query (type:lettre, نوع:رسالة).
TYPE_ALIASES = {
    "letter": ("letter", "letters", "lettre", "lettres", "رسالة", "رسائل", "خطاب"),
    "statement": ("statement", "statements", "déclaration", "communiqué", "بيان", "بيانات"),
    "case": ("case", "cases", "affaire", "affaires", "cas", "قضية", "قضايا", "ملخص"),
}


class Lexicon(Protocol):
    """What the planner asks of an index (of the documents a search may see)."""

    def frequency(self, field: str, text: str) -> int:
        """How many visible documents hold `text` in `field`."""

    def prefix_words(self, field: str, prefix: str, limit: int) -> list[str] | None:
        """The words of `field` starting with `prefix`; None if more than `limit` do."""


@dataclass
class Planned:
    plan: object  # a node of `archive.plan`; None: every document
    terms: MatchTerms
    recognised: list[tuple[str, Entity]]
    messages: list[Message]
    words: list[str]  # plain words, for spelling suggestions


class Planner:
    """Turns a query tree into a plan, reading names from the registry."""

    def __init__(self, lexicon: Lexicon, registry: Registry, expand_entities: bool = True):
        self.lexicon = lexicon
        self.prefix_terms = 0  # spent of MAX_PREFIX_TERMS
        self.near_prefix_terms = 0  # spent of MAX_NEAR_PREFIX_TERMS
        self.registry = registry
        self.expand = expand_entities
        self.terms = MatchTerms()
        self.recognised: list[tuple[str, Entity]] = []
        self.messages: list[Message] = []
        self.words: list[str] = []

    def plan(self, tree) -> Planned:
        found = self.node(tree) if tree is not None else None
        return Planned(found, self.terms, self.recognised, self.messages, self.words)

    def node(self, node):
        if isinstance(node, Word):
            return self.sequence([node])
        if isinstance(node, And):
            return self.conjunction(node.nodes)
        if isinstance(node, Or):
            return plan.any_of([self.node(n) for n in node.nodes])
        if isinstance(node, Not):
            inner = self.node_without_terms(node.node)
            return None if inner is None else plan.Without(None, inner)
        if isinstance(node, Phrase):
            return self.phrase(node.text, node.slop)
        if isinstance(node, Prefix):
            return self.prefix(node.text)
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, DateRange):
            return self.date_range(node)
        if isinstance(node, Near):
            return self.near(node)
        return None

    def node_without_terms(self, node):
        # Excluded words must not be highlighted or suggested; a name still
        # excludes the entity in every script (-Raissouni drops الريسوني too).
        saved = self.terms, self.words
        self.terms, self.words = MatchTerms(), []
        try:
            return self.node(node)
        finally:
            self.terms, self.words = saved

    def conjunction(self, nodes):
        positive: list = []
        negative: list = []
        run: list[Word] = []
        for node in [*nodes, None]:
            if isinstance(node, Word):
                run.append(node)
                continue
            if run:
                found = self.sequence(run)
                if found is not None:
                    positive.append(found)
                run = []
            if node is None:
                break
            if isinstance(node, Not):
                inner = self.node_without_terms(node.node)
                if inner is not None:
                    negative.append(inner)
            else:
                found = self.node(node)
                if found is not None:
                    positive.append(found)
        if not negative:
            return plan.all_of(positive)
        return plan.Without(plan.all_of(positive), plan.any_of(negative))

    def sequence(self, words: list[Word]):
        """Consecutive plain words: entity names are recognised, the rest AND-ed."""
        parts: list = []
        texts = [w.text for w in words]
        i = 0
        while i < len(texts):
            entities: list[Entity] = []
            length = 0
            # A literal word (=Pegasus) is a word, never part of a name.
            plain = next((n for n, t in enumerate(texts[i:]) if t.startswith(LITERAL)), None)
            longest = min(
                MAX_NAME_WORDS, len(texts) - i, MAX_NAME_WORDS if plain is None else plain
            )
            if self.expand:
                for length in range(longest, 0, -1):
                    entities = self.visible(self.registry.names.lookup(texts[i : i + length]))
                    if entities:
                        break
            if entities:
                span = texts[i : i + length]
                # The name is marked in snippets as a whole name, not word by word
                # (the "Al" of Al-Siddiq is no part of Yahya al-Asiri).
                saved = self.terms.stemmed
                self.terms.stemmed = set()
                literal = self.words_plan(span)
                self.terms.stemmed = saved
                parts.append(plan.any_of([literal, *(self.entity(e) for e in entities)]))
                for entity in entities:
                    self.recognised.append((" ".join(span), entity))
                i += length
            else:
                found = self.words_plan(texts[i : i + 1])
                if found is not None:
                    parts.append(found)
                i += 1
        return plan.all_of(parts)

    def visible(self, entities: list[Entity]) -> list[Entity]:
        """Organisations, people and products are recognised only when a document
        in this index is tagged with them or names them: a name known only from
        restricted files stays a word."""
        frequency = self.lexicon.frequency
        return [
            e
            for e in entities
            if e.kind == "country"
            or (e.kind in ENTITY_FIELDS and frequency(ENTITY_FIELDS[e.kind], e.id))
            or frequency(MENTION_FIELD, f"{e.kind}:{e.id}")
        ]

    def words_plan(self, texts: list[str]):
        parts = []
        for text in texts:
            literal = text.startswith(LITERAL)
            for token in word_matches(text):  # a query word may hold several ("Al-Siddiq")
                terms = query_terms(token.group())
                scored = plan.Words(terms) if terms else None
                if literal:  # =word: that exact word, scored as the word is
                    exact = terms_of(token.group(), EXACT)
                    self.terms.exact.update(exact)
                    parts.append(plan.all_of([scored, *(plan.Term(EXACT, t) for t in exact)]))
                    continue
                if not terms:
                    continue
                self.words.append(token.group())
                self.terms.stemmed.update(terms)
                parts.append(scored)
        return plan.all_of(parts)

    def entity(self, entity: Entity) -> plan.Entity:
        """Documents tagged with the entity, or naming it in any language: the
        names were found in the text when the document was indexed, and
        snippets mark them where the same `NameIndex` finds them."""
        self.terms.entities.add(f"{entity.kind}:{entity.id}")
        return plan.Entity(entity.kind, entity.id)

    def phrase(self, text: str, slop: int = 0):
        """Words in order on analysed positions ("حرية الصحافة" finds
        «وحرية الصحافة»), or within `slop` words in any order; a word written
        =word must be that exact word (in place, for a phrase; in the document,
        for words apart)."""
        terms, literal = phrase_terms(text)
        if not terms:
            return None
        if slop:  # marked word by word
            self.terms.sequences.update((t,) for t in terms)
        else:
            self.terms.sequences.add(tuple(terms))
        self.terms.exact.update(w for w in literal if w)
        return plan.Phrase(
            tuple(terms), slop if len(terms) > 1 else 0, tuple(literal) if any(literal) else ()
        )

    def prefix(self, text: str):
        """Documents with a word starting with `text`: the exact words that
        start with it, each by its analysed form (so `surveillan*` finds
        "surveillance" however it was stemmed)."""
        terms = terms_of(text, EXACT)
        if len(terms) != 1:
            return self.words_plan([text])
        if len(terms[0]) < MIN_PREFIX_LENGTH:
            self.messages.append(
                Message(
                    N_('"{prefix}*" is too short to search by prefix; add letters.'),
                    {"prefix": text},
                )
            )
            return None
        budget = MAX_PREFIX_TERMS - self.prefix_terms
        forms = self.prefix_forms(terms[0], budget)
        if forms is None:
            if budget == MAX_PREFIX_TERMS:
                message = N_(
                    'Too many words start with "{prefix}"; add letters to search by prefix.'
                )
            else:
                message = N_(
                    'With the other prefixes of this query, "{prefix}*" matches too many '
                    "words; add letters to search by prefix."
                )
            self.messages.append(Message(message, {"prefix": text}))
            return None
        words, forms = forms
        self.prefix_terms += words
        return plan.Forms(tuple(sorted(forms))) if forms else plan.Nothing()

    def prefix_forms(self, prefix: str, budget: int) -> tuple[int, set[str]] | None:
        """(how many exact words start with `prefix`, their analysed forms),
        or None if more than `budget` words do. The prefix is highlighted."""
        words = self.lexicon.prefix_words(EXACT, prefix, budget)
        if words is None:
            return None
        forms = {form for word in words for form in positional_terms(word)}
        self.terms.prefixes.add(prefix)
        return len(words), forms

    def field(self, node: Field):
        name, value = node.name, node.value
        if name == "title":
            parts = []
            for word in word_matches(value):
                terms = query_terms(word.group())
                self.terms.stemmed.update(terms)
                parts.append(plan.TitleWords(terms) if terms else None)
            return plan.all_of(parts)
        if name in _TAGGED:
            kind = _TAGGED[name]
            entities = self.resolve(kind, value)
            if not entities:
                self.messages.append(Message(UNKNOWN_ENTITY[kind], {"value": value}))
                return None
            return plan.any_of([plan.Term(name, e.id) for e in entities])
        if name == "type":
            folded = value.casefold()
            found = [t for t, aliases in TYPE_ALIASES.items() if folded in aliases]
            if not found:
                self.messages.append(
                    Message(N_('Unknown document type "{value}" was ignored.'), {"value": value})
                )
                return None
            return plan.Term("type", found[0])
        if name == "lang":
            code = resolve_language(value)
            if code is None:
                self.messages.append(
                    Message(N_('Unknown language "{value}" was ignored.'), {"value": value})
                )
                return None
            return plan.Term("lang", code)
        return None

    def resolve(self, kind: str, value: str) -> list[Entity]:
        entities = self.registry.by_kind(kind)
        exact = entities.get(value) or entities.get(value.upper() if kind == "country" else value)
        return self.visible([exact] if exact else self.registry.names.find(value, kind))

    def date_range(self, node: DateRange):
        try:
            low, high = date_bounds(node.start, node.end)
        except ArchiveError:
            self.messages.append(
                Message(
                    N_(
                        '"{value}" is not a date (write 2021, 2021-07 or 2021-07-26); '
                        "it was ignored."
                    ),
                    {"value": node.start or node.end},
                )
            )
            return None
        return plan.DateRange(low, high)

    def near(self, node: Near):
        left, right = self.span(node.left), self.span(node.right)
        if left is None or right is None:
            self.messages.append(
                Message(N_("NEAR works between words, phrases and prefixes; it was read as AND."))
            )
            return self.conjunction((node.left, node.right))
        return plan.Near(left, right, max(1, node.distance), node.paragraph)

    def span(self, node):
        """A NEAR operand on analysed positions: a `Phrase` (of one word or
        more), `Forms` of a prefix, or `AnyOf` them; None if it has none."""
        if isinstance(node, Word):
            terms, literal = phrase_terms(node.text)
            self.words.append(node.text)
        elif isinstance(node, Phrase):
            terms, literal = phrase_terms(node.text)
        elif isinstance(node, Or):
            parts = [self.span(n) for n in node.nodes]
            if any(p is None for p in parts):
                return None
            return plan.AnyOf(tuple(parts))
        elif isinstance(node, Prefix):
            # Words starting with the prefix, by their analysed forms.
            terms = terms_of(node.text, EXACT)
            if len(terms) != 1 or len(terms[0]) < MIN_PREFIX_LENGTH:
                return None
            expanded = self.prefix_forms(terms[0], MAX_NEAR_PREFIX_TERMS - self.near_prefix_terms)
            if expanded is None:
                return None
            self.near_prefix_terms += expanded[0]
            return plan.Forms(tuple(sorted(expanded[1])))
        else:
            return None
        if not terms or any(literal):
            return None  # exact words have no positions: NEAR is read as AND
        self.terms.sequences.add(tuple(terms))
        return plan.Phrase(tuple(terms))


def resolve_language(value: str) -> str | None:
    """A language code from a code or a name in any interface language."""
    folded = value.strip().casefold()
    for code in LANGUAGES:
        names = {code} | {language_name(code, locale).casefold() for locale in LANGUAGES}
        if folded in names:
            return code
    return None


def date_bounds(start: str, end: str) -> tuple[int, int]:
    """Inclusive date keys for a range of (possibly partial) ISO dates."""
    low, high = 0, 99999999
    if start:
        value, reason = parse_date(start)
        if value is None:
            raise ArchiveError("{reason}", reason=reason)
        low = date_key(value)
    if end:
        value, reason = parse_date(end)
        if value is None:
            raise ArchiveError("{reason}", reason=reason)
        key = date_key(value)
        # A year or month reaches to its last day.
        high = key + (9999 if len(value) == 4 else 99 if len(value) == 7 else 0)
    return low, high
