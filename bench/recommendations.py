"""The recommendation engine on UCI Online Retail: every method and the blend on temporal splits, the
full fit as the product runs it (all methods, then every customer's stored candidates scored). The
per-order update's database cost is not measured here (see docs/benchmarks.md, "Recommendations").

    .venv/bin/python bench/recommendations.py \
        ../shared/data/online_retail/online_retail_2010-12_to_2011-12.parquet \
        [--splits 2011-09-01,2011-06-01] [--tune]

Prints JSON: per split the ``recommend evaluate`` figures (hit rate, nDCG and recall at 10, coverage,
fit seconds, p95 scoring ms, and the same for items new to the customer), then the product fit (seconds
to fit, seconds to score every customer's 40 candidates, p95 ms per customer), with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from loyaldesk.recommendations.engine import customer_history, fit, recommend
from loyaldesk.recommendations.evaluation import evaluate, load_order_files


def product_fit(paths: list[Path]) -> dict[str, object]:
    """Fit on everything and score every customer's 40 stored candidates, as ``fit_store`` does."""
    data = load_order_files(paths)
    started = time.perf_counter()
    model = fit(data)
    fit_seconds = time.perf_counter() - started
    order = np.argsort(data.customers, kind="stable")
    customers = data.customers[order]
    starts = np.flatnonzero(np.r_[True, customers[1:] != customers[:-1]])
    timings = []
    started = time.perf_counter()
    now = datetime.fromtimestamp(float(data.days.max()) * 86_400, UTC)
    for start, end in zip(starts, np.r_[starts[1:], len(customers)], strict=True):
        rows = order[start:end]
        one = time.perf_counter()
        history = customer_history(model, data.items[rows], data.days[rows], baskets=data.baskets[rows])
        recommend(model, history, now, 40)
        timings.append((time.perf_counter() - one) * 1000)
    return {
        "customers": len(starts),
        "items": model.n_items,
        "lines": len(data),
        "fit_seconds": round(fit_seconds, 2),
        "score_all_seconds": round(time.perf_counter() - started, 2),
        "per_customer_ms_p50": round(float(np.percentile(timings, 50)), 2),
        "per_customer_ms_p95": round(float(np.percentile(timings, 95)), 2),
        "model_bytes": len(model.to_bytes()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--splits", default="2011-09-01,2011-06-01")
    parser.add_argument("--test-months", type=int, default=3)
    parser.add_argument("--tune", action="store_true", help="also tune the weights on each validation split")
    args = parser.parse_args()
    data = load_order_files(args.files)
    result: dict[str, object] = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": [path.name for path in args.files],
    }
    splits = {}
    for text in args.splits.split(","):
        split_at = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
        splits[text] = evaluate(data, split_at, args.test_months)
        if args.tune:
            splits[f"{text} tuned"] = evaluate(data, split_at, args.test_months, tune=True)
        print(json.dumps({text: splits[text]}), file=sys.stderr, flush=True)
    result["splits"] = splits
    result["product_fit"] = product_fit(args.files)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
