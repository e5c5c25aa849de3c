"""Relevance measured, not guessed: top hit, P@5, recall@10, MRR and nDCG@10.

Judgements live in ``eval/*.yaml`` next to the corpus they judge: each file a
list of ``{query, group, relevant: {document id: grade}}`` where grade 2 means
the document is about the query and 1 that it answers it in passing. An empty
``relevant`` means the query must find nothing. ``eval/heldout.yaml`` is the
held-out file: judged blind like the others, and read by no tuning.

* top hit: the first result is relevant (for a query that must find nothing:
  there is no result);
* P@5: relevant results among the first five, over the most there could be
  (five, or fewer when fewer documents are relevant);
* recall@10: relevant results among the first ten, over the relevant
  documents (at most ten);
* MRR and nDCG@10 as usual (grades 2 and 1 for nDCG).
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
#: The depth of precision.
P_DEPTH = 5
#: The held-out file, in the eval folder.
HELD_OUT = "heldout.yaml"


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
    recall: float  # of min(K, relevant) documents
    reciprocal_rank: float
    ndcg: float
    missing: list[str]  # relevant ids not found at any rank
    top: float = 0.0  # 1 when the first result is relevant
    precision: float = 0.0  # P@5 over the best possible


@dataclass(frozen=True)
class Summary:
    queries: int
    recall: float
    mrr: float
    ndcg: float
    top: float = 0.0
    precision: float = 0.0


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
    if not relevant:  # must find nothing: every measure says whether it did
        empty = 0.0 if ranked else 1.0
        return QueryScore(judgement, top, empty, empty, empty, [], empty, empty)
    hits = [i for i in top if i in relevant]
    recall = len(hits) / min(k, len(relevant))
    reciprocal_rank = next((1 / (n + 1) for n, i in enumerate(top) if i in relevant), 0.0)
    dcg = sum((2 ** relevant.get(i, 0) - 1) / math.log2(n + 2) for n, i in enumerate(top))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(n + 2) for n, g in enumerate(ideal))
    missing = sorted(set(relevant) - set(ranked))
    first = 1.0 if top and top[0] in relevant else 0.0
    precision = sum(1 for i in top[:P_DEPTH] if i in relevant) / min(P_DEPTH, len(relevant))
    return QueryScore(
        judgement, top, recall, reciprocal_rank, dcg / idcg, missing, first, precision
    )


def summarise(scores: list[QueryScore]) -> Summary:
    n = len(scores) or 1
    return Summary(
        len(scores),
        sum(s.recall for s in scores) / n,
        sum(s.reciprocal_rank for s in scores) / n,
        sum(s.ndcg for s in scores) / n,
        sum(s.top for s in scores) / n,
        sum(s.precision for s in scores) / n,
    )


def judgement_files(folder: Path) -> list[Path]:
    """The files of judged queries in an eval folder, the held-out one last."""
    files = sorted(p for p in Path(folder).glob("*.yaml") if p.name != HELD_OUT)
    held_out = Path(folder) / HELD_OUT
    return files + ([held_out] if held_out.is_file() else [])


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
