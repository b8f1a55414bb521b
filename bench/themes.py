"""Feedback themes (issue 16): how well the theme classifier tags comments, and what tagging costs.

    python bench/themes.py [--repeats 200]

Prints one JSON object:
- ``training_report``: the default model's own report (5-fold out-of-fold F1 per theme on data/themes.csv,
  each theme's threshold tuned on those same folds: optimistic).
- ``nested_cv``: the honest cross-validated figure on data/themes.csv: 5 outer folds; in each, a model is
  trained (thresholds tuned by inner 5-fold CV) on four fifths and scored on the fifth; counts pooled.
- ``held_out``: trained on all of data/themes.csv, scored on data/held_out.csv (never trained or tuned on),
  as ``loyaldesk feedback evaluate-themes`` computes it.
- ``tagging``: one comment tagged as the ``SurveyAnswered`` handler does (``tag_response`` inside a
  transaction on SQLite: the store's model from the per-version cache, the comment embedded, the rows
  written), p50/p99 over ``--repeats`` comments, against the raw limit measured in the same run,
  alternating: embedding one comment alone. ``ratio`` = tagging / embedding (medians).
  ``tag_cpu_*``: the thread's CPU time for the same calls; ``model_only_us``: the classifier alone.
- ``store_training_seconds``: one store model trained by the job (default data + 0 labels, vectors cached).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder
from loyaldesk.assistant.nlu.embeddings import default_embedder
from loyaldesk.feedback.themes.classifier import counts_at, f1_of, label_matrix, train_theme_classifier
from loyaldesk.feedback.themes.default_model import default_theme_model
from loyaldesk.feedback.themes.defaults import DEFAULT_THEME_KEYS, default_examples, held_out_examples
from loyaldesk.feedback.themes.evaluation import evaluate_themes


def nested_cv(vectors: np.ndarray, labels: np.ndarray, folds: int = 5) -> dict[str, object]:
    from sklearn.model_selection import KFold

    pooled = {key: [0, 0, 0] for key in DEFAULT_THEME_KEYS}
    for train_rows, test_rows in KFold(folds, shuffle=True, random_state=0).split(vectors):
        model, _ = train_theme_classifier(vectors[train_rows], labels[train_rows], DEFAULT_THEME_KEYS)
        probabilities = model.probabilities(vectors[test_rows])
        for column, key in enumerate(model.keys):
            truth = labels[test_rows, DEFAULT_THEME_KEYS.index(key)]
            tp, fp, fn = counts_at(probabilities[:, column], truth, float(model.thresholds[column]))
            pooled[key] = [pooled[key][0] + tp, pooled[key][1] + fp, pooled[key][2] + fn]
    per_theme = {key: round(f1_of(*counts), 4) for key, counts in pooled.items()}
    total = np.sum(list(pooled.values()), axis=0)
    return {
        "macro_f1": round(float(np.mean(list(per_theme.values()))), 4),
        "micro_f1": round(f1_of(*(int(v) for v in total)), 4),
        "per_theme": per_theme,
        "folds": folds,
    }


def tagging_latency(repeats: int) -> dict[str, object]:
    from loyaldesk.composition import compose
    from loyaldesk.feedback.models import SurveyResponse
    from loyaldesk.feedback.themes import tag_response
    from loyaldesk.kernel.actors import SYSTEM
    from loyaldesk.kernel.db import Database
    from loyaldesk.kernel.migrations import upgrade_to_head
    from loyaldesk.stores.actions import create_store

    compose()
    folder = Path(tempfile.mkdtemp(prefix="bench-themes-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade_to_head(url)
    database = Database(url)
    store_id = database.write(
        lambda uow: create_store(uow, SYSTEM, slug="bench", name="Bench", currency="EUR").id
    )
    comments = [text for text, _ in held_out_examples()]
    comments = [f"{comments[i % len(comments)]} (order {i})" for i in range(repeats)]  # never cached

    def make(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.feedback.models import Survey

        survey = Survey(
            store_id=store_id,
            kind="csat",
            name="b",
            status="active",
            questions=[],
            languages=["en"],
            trigger={},
            channel="email",
            created_at=uow.now(),
            updated_at=uow.now(),
        )
        uow.session.add(survey)
        uow.session.flush()
        rows = [
            SurveyResponse(
                store_id=store_id,
                survey_id=survey.id,
                survey_kind="csat",
                channel="email",
                answers={},
                comment=text,
                product_ids=[],
                created_at=uow.now(),
                updated_at=uow.now(),
            )
            for text in comments
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        return [row.id for row in rows]

    ids = database.write(make)
    embedder = default_embedder()
    database.write(
        lambda uow: tag_response(uow, uow.session.get(SurveyResponse, ids[0]))
    )  # warm: model loaded
    tagging, embedding, cpu = [], [], []
    for index, response_id in enumerate(ids):
        raw = f"raw {comments[index]}"
        started = time.perf_counter()
        embedder.embed([raw])
        embedding.append(time.perf_counter() - started)

        def tag(uow, response_id=response_id):  # type: ignore[no-untyped-def]
            response = uow.session.get(SurveyResponse, response_id)
            started, started_cpu = time.perf_counter(), time.thread_time()
            tag_response(uow, response)
            tagging.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)

        database.write(tag)
    database.dispose()

    def ms(values: list[float], q: float) -> float:
        return round(float(np.quantile(values, q)) * 1000, 2)

    return {
        "comments": repeats,
        "tag_p50_ms": ms(tagging, 0.5),
        "tag_p99_ms": ms(tagging, 0.99),
        "embed_p50_ms": ms(embedding, 0.5),
        "embed_p99_ms": ms(embedding, 0.99),
        "tag_cpu_p50_ms": ms(cpu, 0.5),
        "tag_cpu_p99_ms": ms(cpu, 0.99),
        "ratio_p50": round(float(np.median(tagging) / np.median(embedding)), 2),
        "model_only_us": model_only_us(),
    }


def model_only_us() -> float:
    """The classifier alone on an embedded comment (13 dot products and thresholds), median of 2,000."""
    model, _ = default_theme_model()
    vector = default_embedder().embed(["The parcel came late"])
    times = []
    for _ in range(2000):
        started = time.perf_counter()
        model.predict_vectors(vector)
        times.append(time.perf_counter() - started)
    return round(float(np.median(times)) * 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    examples = default_examples()
    vectors = CachedEmbedder().embed([text for text, _ in examples])
    labels = label_matrix([names for _, names in examples], DEFAULT_THEME_KEYS)
    _, report = default_theme_model()
    started = time.perf_counter()
    train_theme_classifier(vectors, labels, DEFAULT_THEME_KEYS)
    training_seconds = time.perf_counter() - started
    held_out = evaluate_themes(examples, held_out_examples())
    result = {
        "machine": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(),
            "load_1min": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
        },
        "training_report": {key: report[key] for key in ("macro_f1", "micro_f1", "per_theme", "examples")},
        "nested_cv": nested_cv(vectors, labels),
        "held_out": {
            key: held_out[key]
            for key in ("macro_f1", "micro_f1", "per_theme", "exact_match", "test_comments")
        },
        "store_training_seconds": round(training_seconds, 2),
        "tagging": tagging_latency(args.repeats),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
