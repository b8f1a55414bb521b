"""Writers of store teaching: examples (typed or labelled in the inbox), the store's intents, and the
retraining of its model."""

from loyaldesk.assistant.teaching.actions.examples import add_example, label_message, remove_example
from loyaldesk.assistant.teaching.actions.intents import delete_intent, save_intent, switch_builtin_intent
from loyaldesk.assistant.teaching.actions.retraining import request_retraining, retrain_now

__all__ = [
    "add_example",
    "delete_intent",
    "label_message",
    "remove_example",
    "request_retraining",
    "retrain_now",
    "save_intent",
    "switch_builtin_intent",
]
