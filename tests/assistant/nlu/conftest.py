"""The assistant's intent tests share one disk cache (vectors and the default model) per test session, in a
temporary directory: the default model is trained once per session, never read from the user's cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyaldesk.assistant.nlu.classifier import IntentModel


# Training the default model embeds its 3,108 examples (about 30 s of one core, several minutes when the
# machine is shared): the tests that use it are marked slow and get a longer timeout.
@pytest.fixture(scope="session")
def default_model(assistant_cache: Path) -> IntentModel:
    from loyaldesk.assistant.nlu.default_intents import default_intent_model

    return default_intent_model(assistant_cache)
