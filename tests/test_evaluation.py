"""Relevance, measured on the judged queries in eval/queries.yaml."""

from __future__ import annotations

import math

import pytest

from archive import evaluation
from archive.evaluation import Judgement, score_query

from .conftest import PROJECT

#: The figure reached (docs/search.md records it with its command); a change that
#: lowers relevance below it fails.
OVERALL_NDCG = 0.95


@pytest.fixture(scope="module")
def scores(bundled):
    judgements = evaluation.load_judgements(PROJECT / "eval" / "queries.yaml")
    return evaluation.evaluate(bundled, judgements)


def test_the_judged_set_is_large_and_covers_every_group(scores):
    groups = {s.judgement.group for s in scores}
    assert len(scores) >= 60
    assert {"ar", "en", "fr", "mixed", "entity", "phrase", "field", "date", "boolean"} <= groups


def test_overall_ndcg_stays_at_its_measured_level(scores):
    assert evaluation.summarise(scores).ndcg >= OVERALL_NDCG


def test_no_entity_name_query_misses_its_documents(scores):
    missed = {
        s.judgement.query: s.missing for s in scores if s.judgement.group == "entity" and s.missing
    }
    assert missed == {}


def test_metrics_on_a_known_ranking():
    judgement = Judgement("q", "g", {"a": 2, "b": 1, "c": 1})
    perfect = score_query(judgement, ["a", "b", "c", "x"])
    assert (perfect.recall, perfect.reciprocal_rank, perfect.ndcg) == (1.0, 1.0, 1.0)
    late = score_query(judgement, ["x", "c", "a"])
    assert late.recall == pytest.approx(2 / 3) and late.reciprocal_rank == 0.5
    dcg = 1 / math.log2(3) + 3 / math.log2(4)
    ideal = 3 + 1 / math.log2(3) + 1 / math.log2(4)
    assert late.ndcg == pytest.approx(dcg / ideal)
    assert late.missing == ["b"]


def test_the_eval_command_prints_the_figures(run_cli, bundled_home):
    import shutil

    shutil.copytree(PROJECT / "eval", bundled_home / "eval", dirs_exist_ok=True)
    result = run_cli("eval", home=bundled_home)
    assert result.exit_code == 0, result.output
    assert "recall@10" in result.output and "overall" in result.output
    bad = run_cli("eval", "--file", str(bundled_home / "nope.yaml"), home=bundled_home)
    assert bad.exit_code == 2 and "no such file of judged queries" in bad.output


def test_similar_command(run_cli, bundled_home):
    result = run_cli("similar", "omar-radi-case-en", home=bundled_home)
    assert result.exit_code == 0 and "[" in result.output
    assert "omar-radi-case-ar" not in result.output
    assert run_cli("similar", "nope", home=bundled_home).exit_code == 2
