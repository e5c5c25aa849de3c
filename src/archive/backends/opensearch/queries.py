"""Search plans as OpenSearch query DSL, and the request and answer of one search.

Every term is the archive's own (`archive.analysis`), matched with `term`
and span queries on fields the cluster only split on spaces, so a plan
matches what it matches in the embedded engine. Positions differ in one
convention: the embedded engine's slop counts the step from one word to the
next (adjacent words are 1 apart), Lucene's the words between them (0), so
every slop is one less here.

Facets are aggregations that apply every selection but their own facet's:
the hits are narrowed by all selections (`post_filter`), and each facet is
counted over the query's matches narrowed by the other facets' selections,
as in the embedded engine.
"""

from __future__ import annotations

from ... import plan
from ...analysis import ANALYSED, EXACT, PARAGRAPH_GAP
from ...fields import FACET, FACETS
from ...planner import ENTITY_FIELDS, MENTION_FIELD, date_bounds

#: Fields searched for plain words, and their weights (as the embedded engine's BM25F).
SEARCH_BOOSTS = {"title": 2.5, "body": 1.0}
#: Most values counted per facet (more than any page lists).
FACET_SIZE = 1000
#: Every facet counted: the table's, and months.
COUNTED = (*FACETS, "month")


def facet_field(name: str) -> str:
    """The field holding a facet's values (years and months have their own)."""
    return name if name in ("year", "month") else FACET[name].field


def to_dsl(node) -> dict:
    """The query of a plan node (None: every document)."""
    if node is None:
        return {"match_all": {}}
    if isinstance(node, plan.Words):
        return _any(
            {"term": {field: {"value": term, "boost": boost}}}
            for term in node.terms
            for field, boost in SEARCH_BOOSTS.items()
        )
    if isinstance(node, plan.TitleWords):
        return _any({"term": {"title": term}} for term in node.terms)
    if isinstance(node, plan.Term):
        return {"term": {node.field: node.text}}
    if isinstance(node, plan.Entity):
        found = [{"term": {MENTION_FIELD: f"{node.kind}:{node.id}"}}]
        if node.kind in ENTITY_FIELDS:
            found.insert(0, {"term": {ENTITY_FIELDS[node.kind]: node.id}})
        return _any(found)
    if isinstance(node, plan.Forms):
        return _any({"term": {ANALYSED: term}} for term in node.terms)
    if isinstance(node, plan.Nothing):
        return {"match_none": {}}
    if isinstance(node, plan.Phrase):
        return _phrase(node)
    if isinstance(node, plan.Near):
        gap = PARAGRAPH_GAP - 1 if node.paragraph else max(node.distance - 1, 0)
        return {
            "span_near": {
                "clauses": [_span(node.left), _span(node.right)],
                "slop": gap,
                "in_order": False,
            }
        }
    if isinstance(node, plan.DateRange):
        return {"range": {"date": {"gte": node.low, "lte": node.high}}}
    if isinstance(node, plan.AllOf):
        return {"bool": {"must": [to_dsl(p) for p in node.parts]}}
    if isinstance(node, plan.AnyOf):
        return _any(to_dsl(p) for p in node.parts)
    if isinstance(node, plan.Without):
        positive = to_dsl(node.positive) if node.positive else {"match_all": {}}
        return {"bool": {"must": [positive], "must_not": [to_dsl(node.negative)]}}
    raise TypeError(f"not a plan node: {node!r}")


def _any(clauses) -> dict:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def _phrase(node: plan.Phrase) -> dict:
    terms = node.terms
    if len(terms) == 1:
        query = {"term": {ANALYSED: terms[0]}}
    elif not node.slop:
        clauses = [{"span_term": {ANALYSED: t}} for t in terms]
        query = {"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}
    else:
        # The embedded engine allows the slop between each word and the next,
        # Lucene over the whole span: one two-word span per step.
        query = {"span_term": {ANALYSED: terms[0]}}
        for term in terms[1:]:
            query = {
                "span_near": {
                    "clauses": [query, {"span_term": {ANALYSED: term}}],
                    "slop": node.slop - 1,
                    "in_order": False,
                }
            }
    exact = list(dict.fromkeys(w for w in node.literal if w))
    if not exact:
        return query
    # A =word has no positions: the document must hold it, somewhere.
    return {"bool": {"must": [query, *({"term": {EXACT: w}} for w in exact)]}}


def _span(node) -> dict:
    """A NEAR operand as a span query on analysed positions."""
    if isinstance(node, plan.AnyOf):
        return {"span_or": {"clauses": [_span(p) for p in node.parts]}}
    if isinstance(node, plan.Forms):
        return {"span_or": {"clauses": [{"span_term": {ANALYSED: t}} for t in node.terms]}}
    if len(node.terms) == 1:
        return {"span_term": {ANALYSED: node.terms[0]}}
    clauses = [{"span_term": {ANALYSED: t}} for t in node.terms]
    return {"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}


def selection_filter(name: str, values) -> dict:
    """Documents carrying any of the selected values of a facet."""
    return {"terms": {facet_field(name): sorted(values)}}


def search_body(node, searching: bool, filters, selected, sort: str, limit: int, facets=True):
    """The body of one `_search`: the query, the date filter, the selections as a
    post filter, the facets as aggregations, the order and the size."""
    query = to_dsl(node) if searching else {"match_none": {}}
    must_filter = []
    if filters.date_from or filters.date_to:
        low, high = date_bounds(filters.date_from, filters.date_to)
        must_filter.append({"range": {"date": {"gte": low, "lte": high}}})
    chosen = {name: values for name, values in selected.items() if values}
    body: dict = {
        "query": {"bool": {"must": [query], "filter": must_filter}},
        "size": limit,
        "track_total_hits": True,
        "track_scores": True,
        "_source": ["meta", "hash"],
        "sort": _order(sort),
    }
    if chosen:
        body["post_filter"] = {
            "bool": {"filter": [selection_filter(n, v) for n, v in sorted(chosen.items())]}
        }
    if facets:
        body["aggs"] = {
            name: {
                "filter": {
                    "bool": {
                        "filter": [
                            selection_filter(other, values)
                            for other, values in sorted(chosen.items())
                            if other != name
                        ]
                    }
                },
                "aggs": {"values": {"terms": {"field": facet_field(name), "size": FACET_SIZE}}},
            }
            for name in COUNTED
        }
    return body


def _order(sort: str) -> list:
    """By score (then newest, then id), or by date either way (then id)."""
    if sort == "date":
        return [{"date": "desc"}, {"id": "asc"}]
    if sort == "date-asc":
        return [{"date": "asc"}, {"id": "asc"}]
    return ["_score", {"date": "desc"}, {"id": "asc"}]


def read_answer(answer: dict) -> tuple[int, list[tuple[str, float]], dict[str, dict[str, int]]]:
    """(how many documents match, (id, score) in order, facet -> value -> count)
    from a `_search` answer in the documented shape."""
    hits = answer["hits"]
    total = hits["total"]["value"] if isinstance(hits["total"], dict) else hits["total"]
    ranked = [(hit["_id"], float(hit.get("_score") or 0.0)) for hit in hits["hits"]]
    counts = {
        name: {b["key"]: b["doc_count"] for b in found["values"]["buckets"] if b["doc_count"]}
        for name, found in answer.get("aggregations", {}).items()
    }
    return int(total), ranked, counts
