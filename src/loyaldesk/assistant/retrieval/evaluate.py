"""Measuring retrieval on files: a JSON list of articles ``{id, title, body}`` and a CSV of queries
``text,article_id`` (the article that answers the query). Used by ``loyaldesk assistant
evaluate-retrieval`` and by bench/retrieval.py."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loyaldesk.assistant.knowledge.rules import chunks
from loyaldesk.assistant.retrieval.engine import DEFAULT_WEIGHTS, HybridIndex, RetrievalWeights


@dataclass(frozen=True)
class EvaluationSet:
    article_ids: list[str]
    passages_doc: list[int]  # index into article_ids, one per passage
    passages: list[str]
    queries: list[str]
    answers: list[int]  # index into article_ids, one per query


def load_evaluation_set(articles_path: str | Path, queries_path: str | Path) -> EvaluationSet:
    """Read and check the two files; ``ValueError`` saying which file, row and field is wrong."""
    try:
        raw = json.loads(Path(articles_path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{articles_path}: not JSON ({error})") from None
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{articles_path}: expected a non-empty JSON list of {{id, title, body}}")
    article_ids: list[str] = []
    passages_doc: list[int] = []
    passages: list[str] = []
    for number, item in enumerate(raw):
        if not isinstance(item, dict) or not {"id", "title", "body"} <= item.keys():
            raise ValueError(f"{articles_path}: item {number} needs id, title and body")
        article_ids.append(str(item["id"]))
        for passage in chunks(str(item["title"]), str(item["body"])):
            passages_doc.append(number)
            passages.append(passage)
    if len(set(article_ids)) != len(article_ids):
        raise ValueError(f"{articles_path}: article ids must be unique")
    position = {article_id: i for i, article_id in enumerate(article_ids)}
    queries: list[str] = []
    answers: list[int] = []
    with Path(queries_path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"text", "article_id"} <= set(reader.fieldnames):
            raise ValueError(f"{queries_path}: the header must name the columns text,article_id")
        for line, row in enumerate(reader, start=2):
            if row["article_id"] not in position:
                raise ValueError(
                    f"{queries_path}: line {line}: article_id {row['article_id']!r} is not an article"
                )
            queries.append(row["text"])
            answers.append(position[row["article_id"]])
    if not queries:
        raise ValueError(f"{queries_path}: no queries")
    return EvaluationSet(article_ids, passages_doc, passages, queries, answers)


def rank_metrics(rankings: Sequence[Sequence[int]], answers: Sequence[int]) -> dict[str, float]:
    """hit@1, recall@5 and MRR@10 of ranked document lists against each query's one right document."""
    hit1 = recall5 = mrr10 = 0.0
    for ranked, answer in zip(rankings, answers, strict=True):
        ranked = list(ranked)
        if ranked[:1] == [answer]:
            hit1 += 1
        if answer in ranked[:5]:
            recall5 += 1
        if answer in ranked[:10]:
            mrr10 += 1 / (ranked.index(answer) + 1)
    n = len(answers)
    return {"hit_at_1": hit1 / n, "recall_at_5": recall5 / n, "mrr_at_10": mrr10 / n}


def build_index(data: EvaluationSet, weights: RetrievalWeights = DEFAULT_WEIGHTS) -> HybridIndex:
    from loyaldesk.assistant.nlu.embeddings import default_embedder

    vectors = default_embedder().embed(data.passages)
    return HybridIndex(data.passages_doc, data.passages, vectors, weights=weights)


def evaluate_retrieval(
    articles_path: str | Path,
    queries_path: str | Path,
    *,
    weights: RetrievalWeights = DEFAULT_WEIGHTS,
) -> dict[str, Any]:
    """Rank every article for every query with the hybrid retrieval (no minimum score: a ranking is
    measured) and return ``{"hit_at_1", "recall_at_5", "mrr_at_10", "queries", "articles"}``."""
    from loyaldesk.assistant.nlu.embeddings import default_embedder

    data = load_evaluation_set(articles_path, queries_path)
    index = build_index(data, weights)
    query_vectors = default_embedder().embed(data.queries)
    rankings = [
        [doc for doc, _ in index.search(text, vector, 10, apply_minimum=False)]
        for text, vector in zip(data.queries, query_vectors, strict=True)
    ]
    result: dict[str, Any] = {k: round(v, 4) for k, v in rank_metrics(rankings, data.answers).items()}
    result.update(queries=len(data.queries), articles=len(data.article_ids))
    return result
