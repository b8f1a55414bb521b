"""The theme model's statuses (``feedback_theme_models.status``)."""

from __future__ import annotations

from enum import StrEnum


class ThemeModelStatus(StrEnum):
    REQUESTED = "requested"  # a training is wanted; ``started_at`` is when it is due
    TRAINING = "training"  # a worker is training it (``started_at``: since when)
    READY = "ready"  # trained: the newest ready version tags the store's comments
    FAILED = "failed"  # the training failed (``error``); the previous version keeps tagging


LABELS = {
    ThemeModelStatus.REQUESTED: "Retraining due",
    ThemeModelStatus.TRAINING: "Training",
    ThemeModelStatus.READY: "Ready",
    ThemeModelStatus.FAILED: "Failed",
}
