"""The intents every store starts with (e-commerce and loyalty), their training sample, and the default
model trained from it.

Contracts:
- ``DEFAULT_INTENTS``: one ``IntentInfo(name, label, description)`` per intent, in console order. The names
  are the vocabulary the tools are registered by (``tools.registry``); never rename one.
- ``default_training_examples()``: ``(text, label)`` pairs from ``data/intents.csv`` (origin and licenses in
  ``data/NOTE.md``). Out-of-scope examples are included, labelled ``OUT_OF_SCOPE_LABEL``, unless
  ``include_out_of_scope=False``; train with ``out_of_scope_label=OUT_OF_SCOPE_LABEL``.
- ``default_intent_model()``: the model trained from those examples, once per process; it is also kept on
  disk (in ``embedding_cache.default_cache_dir()`` unless a directory is given), under a name derived from the
  sentence model's hash, the data file and the training recipe, so another process loads it (the file in a
  few milliseconds; scikit-learn is not imported to predict) instead of training again, and any change to
  the data retrains.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from loyaldesk.assistant.nlu.classifier import IntentModel, train_intent_model
from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder, default_cache_dir
from loyaldesk.assistant.nlu.embeddings import MODEL_SHA256

log = logging.getLogger(__name__)

OUT_OF_SCOPE_LABEL = "out_of_scope"


@dataclass(frozen=True)
class IntentInfo:
    name: str
    label: str  # shown in the console
    description: str  # what the shopper wants, for the people who teach the assistant


DEFAULT_INTENTS: tuple[IntentInfo, ...] = (
    IntentInfo("order_status", "Order status", "Where an order is, whether it has shipped, when it arrives."),
    IntentInfo("track_order", "Tracking", "The tracking number or link of a shipped order, the carrier."),
    IntentInfo(
        "delivery_options", "Delivery options", "Shipping methods, their prices and how long they take."
    ),
    IntentInfo("cancel_order", "Cancel an order", "Cancelling an order, or what cancelling costs."),
    IntentInfo("change_address", "Change the address", "Changing or setting the delivery address."),
    IntentInfo("change_order", "Change an order", "Adding, removing or swapping items of a placed order."),
    IntentInfo("place_order", "Placing an order", "How to buy: help with putting an order through."),
    IntentInfo(
        "return_item", "Return an item", "Sending an item back, a return label, money back for an item."
    ),
    IntentInfo("return_policy", "Return policy", "What can be returned or refunded, within which period."),
    IntentInfo("refund_status", "Refund status", "Where a refund is and when the money arrives."),
    IntentInfo("payment_problem", "Payment problem", "A payment that failed, was declined or charged twice."),
    IntentInfo("payment_methods", "Payment methods", "Which ways to pay the store accepts."),
    IntentInfo("invoice", "Invoice", "Getting or checking an invoice or receipt."),
    IntentInfo("account", "Account", "Signing up, signing in, password, changing or closing the account."),
    IntentInfo("newsletter", "Newsletter", "Subscribing to or leaving the store's newsletter."),
    IntentInfo("points_balance", "Points balance", "How many loyalty points the shopper has."),
    IntentInfo("pending_points", "Pending points", "Why points are pending and when they become usable."),
    IntentInfo("expiring_points", "Expiring points", "When points expire and how to keep them."),
    IntentInfo("redeem_reward", "Redeem a reward", "What the points can buy, and redeeming a reward."),
    IntentInfo(
        "tier_progress", "Tier progress", "The shopper's tier, its benefits and how to reach the next."
    ),
    IntentInfo("referral", "Referral", "The referral link and the rewards for inviting friends."),
    IntentInfo("complaint", "Complaint", "Dissatisfaction with the store, an order or the service."),
    IntentInfo("leave_review", "Feedback", "Leaving a review or feedback about the store."),
    IntentInfo(
        "talk_to_person", "Talk to a person", "Asking for a human agent or the support team's contacts."
    ),
    IntentInfo("greeting", "Greeting", "Hello, how are you."),
    IntentInfo("thanks", "Thanks", "Thanking the assistant."),
    IntentInfo("goodbye", "Goodbye", "Ending the conversation."),
)
DEFAULT_INTENT_NAMES = frozenset(info.name for info in DEFAULT_INTENTS)

#: How the default model is trained. C was chosen by 5-fold cross-validation on the training sample
#: (decision 0029); fixing it keeps the first start short. Changing the recipe changes the disk cache key.
DEFAULT_RECIPE = {"version": 2, "c": 16.0, "use_tfidf": False, "class_weight": "balanced", "folds": 5}


def _data_bytes() -> bytes:
    return resources.files("loyaldesk.assistant.nlu").joinpath("data/intents.csv").read_bytes()


def default_training_examples(*, include_out_of_scope: bool = True) -> list[tuple[str, str]]:
    """The default intents' training sample as ``(text, label)`` pairs."""
    rows = csv.DictReader(_data_bytes().decode("utf-8").splitlines())
    return [
        (row["text"], row["label"])
        for row in rows
        if include_out_of_scope or row["label"] != OUT_OF_SCOPE_LABEL
    ]


def default_model_key() -> str:
    """What the default model depends on: the sentence model, the data and the recipe."""
    digest = hashlib.sha256()
    digest.update(MODEL_SHA256.encode())
    digest.update(_data_bytes())
    digest.update(json.dumps(DEFAULT_RECIPE, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def train_default_intent_model(cache_dir: Path | None = None) -> IntentModel:
    """Train the default model from scratch (vectors from the embedding cache in ``cache_dir``)."""
    examples = default_training_examples()
    return train_intent_model(
        [text for text, _ in examples],
        [label for _, label in examples],
        out_of_scope_label=OUT_OF_SCOPE_LABEL,
        embedder=CachedEmbedder(directory=cache_dir),
        c=float(DEFAULT_RECIPE["c"]),  # type: ignore[arg-type]
        use_tfidf=bool(DEFAULT_RECIPE["use_tfidf"]),
        class_weight=DEFAULT_RECIPE["class_weight"],  # type: ignore[arg-type]
        folds=int(DEFAULT_RECIPE["folds"]),  # type: ignore[call-overload]
    )


_models: dict[Path, IntentModel] = {}
_lock = threading.Lock()


def default_intent_model(cache_dir: Path | None = None) -> IntentModel:
    """The default model: from this process's memory, else from disk, else trained (and saved)."""
    directory = cache_dir or default_cache_dir()
    with _lock:
        model = _models.get(directory)
        if model is not None:
            return model
        path = directory / f"default-intents-{default_model_key()}.npz"
        model = _load(path)
        if model is None:
            model = train_default_intent_model(directory)
            model.embedder = None  # live messages go to the plain embedder, not the disk cache
            _save(path, model.to_bytes())
        _models[directory] = model
        return model


def _load(path: Path) -> IntentModel | None:
    try:
        return IntentModel.from_bytes(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("default intent model %s unreadable (%s); training again", path, error)
        return None


def _save(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(data)
        os.replace(handle.name, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError as error:
        log.warning("default intent model not saved to %s (%s)", path, error)
