"""Relevance measured, not guessed: recall@k, MRR@k and nDCG@k over judged queries.

Judgements live in ``eval/queries.yaml`` next to the corpus they judge: a list
of ``{query, group, relevant: {document id: grade}}`` where grade 2 means the
document is about the query and 1 that it answers it in passing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import yamlio
from .errors import ArchiveError
from .i18n import N_

K = 10


@dataclass(frozen=True)
class Judgement:
    query: str
    group: str
    relevant: dict[str, int]
    note: str = ""


@dataclass(frozen=True)
class QueryScore:
    judgement: Judgement
    found: list[str]  # ids in rank order (the first K)
    recall: float
    reciprocal_rank: float
    ndcg: float
    missing: list[str]  # relevant ids not found at any rank


@dataclass(frozen=True)
class Summary:
    queries: int
    recall: float
    mrr: float
    ndcg: float


def load_judgements(path: Path) -> list[Judgement]:
    try:
        data = yamlio.load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArchiveError(N_("{path}: no such file of judged queries"), path=str(path)) from None
    except yamlio.Error as exc:
        raise ArchiveError(
            "{path}: {reason}", path=str(path), reason=yamlio.describe(exc)[1]
        ) from None
    if not isinstance(data, list):
        raise ArchiveError(N_("{path}: must be a list of judged queries"), path=str(path))
    judgements = []
    for number, item in enumerate(data, 1):
        relevant = item.get("relevant") if isinstance(item, dict) else None
        if not isinstance(relevant, dict) or not isinstance(item.get("query"), str):
            raise ArchiveError(
                N_("{path}: entry {number}: needs a query and relevant ids with grades"),
                path=str(path),
                number=number,
            )
        judgements.append(
            Judgement(
                item["query"],
                str(item.get("group", "")),
                {str(k): int(v) for k, v in relevant.items()},
                str(item.get("note", "")),
            )
        )
    return judgements


def score_query(judgement: Judgement, ranked: list[str], k: int = K) -> QueryScore:
    relevant = {i: g for i, g in judgement.relevant.items() if g > 0}
    top = ranked[:k]
    hits = [i for i in top if i in relevant]
    recall = len(hits) / len(relevant) if relevant else 1.0
    reciprocal_rank = next((1 / (n + 1) for n, i in enumerate(top) if i in relevant), 0.0)
    dcg = sum((2 ** relevant.get(i, 0) - 1) / math.log2(n + 2) for n, i in enumerate(top))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(n + 2) for n, g in enumerate(ideal))
    missing = sorted(set(relevant) - set(ranked))
    return QueryScore(judgement, top, recall, reciprocal_rank, dcg / idcg if idcg else 1.0, missing)


def summarise(scores: list[QueryScore]) -> Summary:
    n = len(scores) or 1
    return Summary(
        len(scores),
        sum(s.recall for s in scores) / n,
        sum(s.reciprocal_rank for s in scores) / n,
        sum(s.ndcg for s in scores) / n,
    )


def evaluate(service, judgements: list[Judgement], k: int = K) -> list[QueryScore]:
    """Run every judged query through the search service (all results, for `missing`)."""
    scores = []
    for judgement in judgements:
        ranked: list[str] = []
        page = 1
        while True:
            result = service.search(judgement.query, page=page, page_size=100)
            ranked += [hit.id for hit in result.hits]
            if page >= result.pages:
                break
            page += 1
        scores.append(score_query(judgement, ranked, k))
    return scores


def by_group(scores: list[QueryScore]) -> dict[str, Summary]:
    groups: dict[str, list[QueryScore]] = defaultdict(list)
    for score in scores:
        groups[score.judgement.group].append(score)
    return {name: summarise(items) for name, items in sorted(groups.items())}
