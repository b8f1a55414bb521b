"""``loyaldesk recommend``: fitting a store's recommendations and measuring the methods.

``fit --store SLUG`` fits the store's models now and rewrites every customer's stored picks; prints one
JSON object (the fit's id, status, counts, seconds, error).

``evaluate FILES... [--split 2011-09-01] [--test-months 3] [--methods m1,m2] [--tune]`` reads UCI Online
Retail order files (CSV or Parquet), trains before the split date and tests on the next months (customers
with a purchase in both), and prints ONE JSON object: per method ``hit_rate_at_10``, ``ndcg_at_10``,
``recall_at_10``, ``coverage``, ``fit_seconds``, ``p95_ms`` and the same for items new to the customer.
``--tune`` chooses the blend's weights on a validation split inside the training period first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from loyaldesk.cli.common import app, fail, open_database, store_id_of

recommend_app = typer.Typer(
    help="Recommendations: fit a store's models, evaluate the methods.", no_args_is_help=True
)
app.add_typer(recommend_app, name="recommend")


@recommend_app.command("fit")
def fit_command(store: Annotated[str, typer.Option(help="The store's slug.")]) -> None:
    """Fit the store's recommendation models now and rewrite its customers' picks."""
    from loyaldesk.recommendations.actions.fit import fit_store

    with open_database() as database:
        store_id = store_id_of(database, store)
        outcome = fit_store(database, store_id)
    typer.echo(json.dumps(outcome.as_dict()))
    if not outcome.succeeded:
        raise typer.Exit(code=1)


@recommend_app.command("evaluate")
def evaluate_command(
    files: Annotated[list[Path], typer.Argument(help="UCI Online Retail files (CSV or Parquet).")],
    split: Annotated[str, typer.Option(help="Train before this date (YYYY-MM-DD).")] = "2011-09-01",
    test_months: Annotated[int, typer.Option(min=1, max=24, help="Months after the split to test on.")] = 3,
    methods: Annotated[
        str | None, typer.Option(help="Comma-separated methods (default: all and the blend).")
    ] = None,
    tune: Annotated[bool, typer.Option(help="Tune the blend's weights on a validation split first.")] = False,
) -> None:
    """Print the methods' figures on a temporal split as one JSON object."""
    from loyaldesk.recommendations.evaluation import evaluate, load_order_files
    from loyaldesk.recommendations.vocab import Method

    try:
        split_at = datetime.strptime(split, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as error:
        raise fail(f"--split {split}: expected a date YYYY-MM-DD") from error
    chosen = None
    if methods:
        chosen = [name.strip() for name in methods.split(",") if name.strip()]
        known = {method.value for method in Method}
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise fail(f"--methods: unknown {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    for path in files:
        if not path.is_file():
            raise fail(f"{path}: no such file")
        if path.suffix.lower() in (".xlsx", ".xls"):
            raise fail(f"{path}: Excel files are not read; convert to CSV or Parquet first")
    try:
        interactions = load_order_files(files)
        result = evaluate(interactions, split_at, test_months, chosen, tune=tune)
    except (ValueError, KeyError) as error:
        raise fail(f"{', '.join(map(str, files))}: {error}") from error
    typer.echo(json.dumps(result, indent=2))
