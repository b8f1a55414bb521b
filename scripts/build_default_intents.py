"""Build the default intents' training sample, ``src/loyaldesk/assistant/nlu/data/intents.csv``
(columns ``text,label,source``), from the public data sets in ``--data`` (laid out like ``../shared/data``)
and the phrasings written for loyaldesk (``data/written.txt``).

Deterministic (fixed seed): running it again on the same inputs gives the same file. A sample per intent
(at most ``--per-intent``) keeps the package small; the out-of-scope examples are CLINC150's out-of-scope
items plus a few items from each of its intents that a shop's assistant does not handle (weather, timers,
recipes...), labelled ``out_of_scope``.

    python scripts/build_default_intents.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "src" / "loyaldesk" / "assistant" / "nlu" / "data"

#: Bitext 8,175 release intent -> loyaldesk intent.
BITEXT = {
    "track_order": "track_order",
    "delivery_options": "delivery_options",
    "delivery_period": "delivery_options",
    "cancel_order": "cancel_order",
    "check_cancellation_fee": "cancel_order",
    "change_shipping_address": "change_address",
    "set_up_shipping_address": "change_address",
    "change_order": "change_order",
    "place_order": "place_order",
    "get_refund": "return_item",
    "check_refund_policy": "return_policy",
    "track_refund": "refund_status",
    "payment_issue": "payment_problem",
    "check_payment_methods": "payment_methods",
    "check_invoices": "invoice",
    "get_invoice": "invoice",
    "create_account": "account",
    "edit_account": "account",
    "delete_account": "account",
    "switch_account": "account",
    "recover_password": "account",
    "registration_problems": "account",
    "newsletter_subscription": "newsletter",
    "complaint": "complaint",
    "review": "leave_review",
    "contact_human_agent": "talk_to_person",
    "contact_customer_service": "talk_to_person",
}
#: CLINC150 intent -> loyaldesk intent (its order_status items that say "track" go to track_order).
CLINC = {"greeting": "greeting", "thank_you": "thanks", "goodbye": "goodbye", "order_status": "order_status"}
#: CLINC150 intents too close to a shop's own to serve as out-of-scope examples.
CLINC_NOT_OUT_OF_SCOPE = {
    *CLINC,
    "rewards_balance", "redeem_rewards", "order", "cancel", "pay_bill", "bill_balance", "bill_due",
    "card_declined",
    "transactions", "report_fraud", "account_blocked", "user_name", "change_user_name", "are_you_a_bot",
    "what_can_i_ask_you", "yes", "no", "maybe", "repeat", "spending_history", "credit_limit", "balance",
    "freeze_account", "damaged_card", "expiration_date", "new_card", "replacement_card_duration",
    "report_lost_card", "pin_change", "who_do_you_work_for", "min_payment", "international_fees",
}  # fmt: skip
OUT_OF_SCOPE_PER_CLINC_INTENT = 3


def _bitext(data: Path) -> list[tuple[str, str, str]]:
    path = data / "intents" / "bitext" / "bitext_cs_training_8175.csv"
    with path.open(encoding="utf-8-sig") as handle:
        return [
            (row["utterance"], BITEXT[row["intent"]], "bitext")
            for row in csv.DictReader(handle)
            if row["intent"] in BITEXT
        ]


def _clinc(data: Path, rng: random.Random) -> list[tuple[str, str, str]]:
    raw = json.loads((data / "intents" / "clinc150" / "data_full_train_val.json").read_text(encoding="utf-8"))
    rows: list[tuple[str, str, str]] = []
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, label in raw["train"]:
        by_intent[label].append(text)
    for label, texts in sorted(by_intent.items()):
        if label == "order_status":
            rows += [(t, "track_order" if "track" in t else "order_status", "clinc150") for t in texts]
        elif label in CLINC:
            rows += [(t, CLINC[label], "clinc150") for t in texts]
        elif label not in CLINC_NOT_OUT_OF_SCOPE:
            rows += [
                (t, "out_of_scope", "clinc150") for t in rng.sample(texts, OUT_OF_SCOPE_PER_CLINC_INTENT)
            ]
    rows += [(text, "out_of_scope", "clinc150") for text, _ in raw["oos_train"]]
    return rows


def _written(path: Path) -> list[tuple[str, str, str]]:
    rows, label = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# "):
            label = line[2:].strip()
        elif line:
            rows.append((line, label, "loyaldesk"))
    return rows


def build(data: Path, per_intent: int, seed: int = 15) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    written = _written(DATA_DIR / "written.txt")
    public = _bitext(data) + _clinc(data, rng)
    by_label: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    seen: set[str] = set()
    for row in written:  # every written phrasing is kept
        if row[0].lower() not in seen:
            seen.add(row[0].lower())
            by_label[row[1]].append(row)
    rng.shuffle(public)
    for row in public:
        key = row[0].lower().strip()
        limit = 400 if row[1] == "out_of_scope" else per_intent
        if key not in seen and len(by_label[row[1]]) < limit:
            seen.add(key)
            by_label[row[1]].append(row)
    return [row for label in sorted(by_label) for row in by_label[label]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent.parent / "shared" / "data")
    parser.add_argument("--per-intent", type=int, default=120)
    args = parser.parse_args()
    rows = build(args.data, args.per_intent)
    with (DATA_DIR / "intents.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "source"])
        writer.writerows(rows)
    counts: dict[str, int] = defaultdict(int)
    for _, label, _ in rows:
        counts[label] += 1
    print(json.dumps({"examples": len(rows), "per_intent": dict(sorted(counts.items()))}, indent=1))


if __name__ == "__main__":
    main()
