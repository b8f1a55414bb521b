"""Readers for the public intent data sets the intent benchmarks use (BANKING77, CLINC150, Bitext), from a
data directory given on the command line (``--data``, laid out like ``../shared/data``). Each returns
``(texts, labels)`` lists. Also ``python bench/intent_datasets.py --data DIR`` fills the embedding cache
with every text of the three sets (one at a time, so that two heavy jobs never share the two cores).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

Examples = tuple[list[str], list[str]]


def banking77(data: Path) -> Examples:
    with (data / "intents" / "banking77" / "train.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["category"] for row in rows]


def clinc150(data: Path) -> dict[str, Examples]:
    """The splits ``train``, ``val``, ``oos_train``, ``oos_val`` (out-of-scope items are labelled ``oos``)."""
    raw = json.loads((data / "intents" / "clinc150" / "data_full_train_val.json").read_text(encoding="utf-8"))
    return {split: ([text for text, _ in rows], [label for _, label in rows]) for split, rows in raw.items()}


def _bitext(path: Path, text_column: str) -> Examples:
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    # The 8,175 release spells one intent check_invoices; the other release check_invoice.
    labels = [row["intent"].replace("check_invoices", "check_invoice") for row in rows]
    return [row[text_column] for row in rows], labels


def bitext_8175(data: Path) -> Examples:
    return _bitext(data / "intents" / "bitext" / "bitext_cs_training_8175.csv", "utterance")


def bitext_4514(data: Path) -> Examples:
    return _bitext(
        data / "intents" / "bitext" / "bitext_cs_llm_training_4514_with_responses.csv", "instruction"
    )


def main() -> None:
    from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    embedder = CachedEmbedder()
    sets: dict[str, list[str]] = {
        "banking77": banking77(args.data)[0],
        "bitext_8175": bitext_8175(args.data)[0],
        "bitext_4514": bitext_4514(args.data)[0],
    }
    for split, (texts, _) in clinc150(args.data).items():
        sets[f"clinc150_{split}"] = texts
    for name, texts in sets.items():
        started = time.perf_counter()
        embedder.embed(texts)
        print(f"{name}: {len(texts)} texts in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
