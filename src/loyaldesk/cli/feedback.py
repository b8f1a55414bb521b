"""``loyaldesk feedback``: the feedback loop's commands.

``prepare`` trains (or loads) the default theme model ahead of the first comment (``make run`` calls it).

``evaluate-themes --train T.csv --test E.csv`` trains a theme model from scratch on T only and prints ONE
JSON object: ``macro_f1``, ``micro_f1``, ``per_theme`` ({theme: f1}), ``support``, counts and the
training's own cross-validated figures. CSV files have the columns ``text,themes`` (themes separated by
``|``, an empty cell meaning none); any theme names are learnt. A missing file, a missing column or an
empty file exits with 1 and a message naming the file (and line).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from loyaldesk.cli.common import app, fail

feedback_app = typer.Typer(help="The feedback loop: themes of customers' comments.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


def _rows(option: str, path: Path) -> list[tuple[str, tuple[str, ...]]]:
    from loyaldesk.feedback.themes.defaults import read_labelled_csv

    if not path.is_file():
        raise fail(f"{option} {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{option} {path}: cannot be read as UTF-8 text ({error})") from error
    if not text.strip():
        raise fail(f"{option} {path}: the file is empty (expected a header text,themes and rows)")
    try:
        return read_labelled_csv(text, f"{option} {path}")
    except ValueError as error:
        raise fail(str(error)) from error


@feedback_app.command("evaluate-themes")
def evaluate_themes_command(
    train: Annotated[Path, typer.Option(help="CSV text,themes to train on.")],
    test: Annotated[Path, typer.Option(help="CSV text,themes to measure on (never trained on).")],
) -> None:
    """Train on --train, measure on --test, print one JSON object of figures."""
    from loyaldesk.feedback.themes.evaluation import evaluate_themes

    train_rows = _rows("--train", train)
    test_rows = _rows("--test", test)
    try:
        result = evaluate_themes(train_rows, test_rows)
    except ValueError as error:
        raise fail(f"--train {train}: {error}") from error
    typer.echo(json.dumps(result))


@feedback_app.command("prepare")
def prepare_command() -> None:
    """Train the default theme model now (or load it) and keep it in the cache directory, so that the
    first comment is not kept waiting. Prints where it is and its cross-validated F1."""
    from loyaldesk.feedback.themes.default_model import default_model_path, default_theme_model

    started = time.perf_counter()
    model, report = default_theme_model()
    typer.echo(
        json.dumps(
            {
                "model": str(default_model_path()),
                "themes": len(model.keys),
                "examples": report.get("examples"),
                "macro_f1": report.get("macro_f1"),
                "micro_f1": report.get("micro_f1"),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    )
