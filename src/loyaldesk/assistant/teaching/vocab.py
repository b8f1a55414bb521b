"""Every word list of store teaching, spelled once: one ``StrEnum`` per vocabulary with its labels.

Examples and trained models store these values; the console shows the labels; the API schemas take them.
"""

from __future__ import annotations

from enum import StrEnum


class ExampleSource(StrEnum):
    """Where a training example came from."""

    CONSOLE = "console"  # typed on the intents page (or posted through the API)
    INBOX_LABEL = "inbox_label"  # an agent labelled a customer's message in the inbox

    @property
    def label(self) -> str:
        return EXAMPLE_SOURCE_LABELS[self]


EXAMPLE_SOURCE_LABELS: dict[ExampleSource, str] = {
    ExampleSource.CONSOLE: "Added on the intents page",
    ExampleSource.INBOX_LABEL: "Labelled in the inbox",
}


class ModelStatus(StrEnum):
    """Where one training of a store's intent model stands."""

    TRAINING = "training"
    READY = "ready"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return MODEL_STATUS_LABELS[self]


MODEL_STATUS_LABELS: dict[ModelStatus, str] = {
    ModelStatus.TRAINING: "Training",
    ModelStatus.READY: "Ready",
    ModelStatus.FAILED: "Failed",
}
