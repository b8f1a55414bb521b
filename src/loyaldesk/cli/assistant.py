"""``loyaldesk assistant``: measure the assistant's intent model and help-center retrieval on your data.

``prepare`` trains (or loads) the default intent model ahead of the first message.

``evaluate`` trains an intent model from scratch on ``--train`` (tuning the out-of-scope threshold on
``--validation`` when given) and prints ONE JSON object on standard output: ``accuracy``, ``macro_f1``,
``in_scope_accuracy``, ``oos_recall`` (when the test set has the out-of-scope label), ``threshold``,
``train_seconds``, ``p50_ms``, ``p99_ms`` (one message at a time, one core). CSV files have the columns
``text,label``; a bad file exits with 1 and a message naming the file, line and column.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from loyaldesk.cli.common import app, fail

assistant_app = typer.Typer(help="The assistant: measure intents and article search.", no_args_is_help=True)
app.add_typer(assistant_app, name="assistant")

ExistingFile = Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True)]


def read_examples(path: Path) -> tuple[list[str], list[str]]:
    """``(texts, labels)`` from a CSV with the columns ``text,label``; ValueError naming what is wrong."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))} (expected text,label)")
        texts, labels = [], []
        for row in reader:
            text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
            if not label:
                raise ValueError(f"{path}, line {reader.line_num}: column label is empty")
            if not text:
                raise ValueError(f"{path}, line {reader.line_num}: column text is empty")
            texts.append(text)
            labels.append(label)
    if not texts:
        raise ValueError(f"{path}: no examples")
    return texts, labels


@assistant_app.command("evaluate")
def evaluate_command(
    train: ExistingFile,
    test: ExistingFile,
    validation: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Tune the out-of-scope threshold on these examples."),
    ] = None,
    out_of_scope_label: Annotated[
        str | None, typer.Option(help="The label of out-of-scope examples (e.g. oos).")
    ] = None,
    tfidf: Annotated[
        bool, typer.Option(help="Add word n-gram TF-IDF features to the sentence vectors.")
    ] = False,
    class_weight: Annotated[str | None, typer.Option(help="'balanced' to weigh rare intents up.")] = None,
    latency_samples: Annotated[int, typer.Option(min=1, help="Test messages timed one at a time.")] = 300,
) -> None:
    """Train on --train, test on --test, print one JSON object of figures."""
    from loyaldesk.assistant.nlu.classifier import train_intent_model
    from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder
    from loyaldesk.assistant.nlu.evaluation import latency_ms, score_predictions

    if class_weight not in (None, "balanced"):
        raise fail("--class-weight: only 'balanced' is supported")
    try:
        train_texts, train_labels = read_examples(train)
        test_texts, test_labels = read_examples(test)
        validation_texts, validation_labels = read_examples(validation) if validation else (None, None)
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        raise fail(str(error)) from error
    embedder = CachedEmbedder()
    started = time.perf_counter()
    try:
        model = train_intent_model(
            train_texts,
            train_labels,
            validation_texts=validation_texts,
            validation_labels=validation_labels,
            out_of_scope_label=out_of_scope_label,
            embedder=embedder,
            use_tfidf=tfidf,
            class_weight=class_weight,
        )
    except ValueError as error:
        raise fail(str(error)) from error
    train_seconds = time.perf_counter() - started
    predictions = model.predict_vectors(embedder.embed(test_texts), test_texts)
    result: dict[str, object] = dict(score_predictions(test_labels, predictions, out_of_scope_label))
    result["threshold"] = round(model.threshold, 4)
    result["train_seconds"] = round(train_seconds, 2)
    model.embedder = None  # time the live path: the plain embedder, no cache
    result.update(latency_ms(model, test_texts, limit=latency_samples))
    result["c"] = model.info.get("c")
    typer.echo(json.dumps(result))


@assistant_app.command("evaluate-retrieval")
def evaluate_retrieval_command(
    articles: ExistingFile,
    queries: ExistingFile,
) -> None:
    """Search --articles (a JSON list of {id,title,body}) with --queries (CSV text,article_id); print
    hit_at_1, recall_at_5 and mrr_at_10 as one JSON object."""
    from loyaldesk.assistant.retrieval.evaluate import evaluate_retrieval  # type: ignore[import-not-found]

    try:
        result = evaluate_retrieval(articles, queries)
    except ValueError as error:
        raise fail(str(error)) from error
    typer.echo(json.dumps(result))


@assistant_app.command("prepare")
def prepare_command() -> None:
    """Train the default intent model now (or load it) and save it in the assistant's cache directory, so
    that the first shopper's message does not wait for it. Prints where it is and how it was trained."""
    from loyaldesk.assistant.nlu.default_intents import default_intent_model, default_model_key
    from loyaldesk.assistant.nlu.embedding_cache import default_cache_dir

    started = time.perf_counter()
    model = default_intent_model()
    path = default_cache_dir() / f"default-intents-{default_model_key()}.npz"
    typer.echo(
        json.dumps(
            {
                "model": str(path),
                "intents": len(model.labels),
                "threshold": round(model.threshold, 4),
                "seconds": round(time.perf_counter() - started, 2),
                **{
                    key: model.info.get(key)
                    for key in ("c", "examples", "tuning_in_scope_accuracy", "tuning_oos_recall")
                },
            }
        )
    )
