"""Store teaching: a store teaches the assistant its customers' words. Agents label customers' messages
with an intent in the inbox, managers add examples and intents of the store's own on the intents page, and
a background job retrains the store's model (built-in examples plus the store's), cross-validated so the
page shows accuracy per intent. The store's model then reads its shoppers' messages
(``read_store_intents``, provided to ``assistant.ports`` by the composition root).

The classifier itself is ``assistant.nlu``'s, reached through ``trainer.Trainer`` (decision 0033).
"""

from loyaldesk.assistant.teaching.actions import (
    add_example,
    delete_intent,
    label_message,
    remove_example,
    request_retraining,
    retrain_now,
    save_intent,
    switch_builtin_intent,
)
from loyaldesk.assistant.teaching.queries.intents import (
    ExampleView,
    IntentView,
    ModelState,
    examples_of,
    intent_of,
    intents_overview,
    label_choices,
    model_state,
)
from loyaldesk.assistant.teaching.queries.model import intent_model_for_store, read_store_intents
from loyaldesk.assistant.teaching.trainer import (
    BuiltinIntent,
    NluTrainer,
    Trainer,
    current_trainer,
    provide_trainer,
)
from loyaldesk.assistant.teaching.vocab import ExampleSource, ModelStatus

__all__ = [
    "BuiltinIntent",
    "ExampleSource",
    "ExampleView",
    "IntentView",
    "ModelState",
    "ModelStatus",
    "NluTrainer",
    "Trainer",
    "add_example",
    "current_trainer",
    "delete_intent",
    "examples_of",
    "intent_model_for_store",
    "intent_of",
    "intents_overview",
    "label_choices",
    "label_message",
    "model_state",
    "provide_trainer",
    "read_store_intents",
    "remove_example",
    "request_retraining",
    "retrain_now",
    "save_intent",
    "switch_builtin_intent",
]
