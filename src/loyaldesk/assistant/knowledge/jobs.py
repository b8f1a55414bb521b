"""The knowledge base's periodic work: settling widget deflection records whose waiting time is over."""

from __future__ import annotations

from loyaldesk.assistant.knowledge.actions.shoppers import decide_deflections
from loyaldesk.kernel.jobs import JobRegistry


def register(jobs: JobRegistry) -> None:
    jobs.every(60, name="knowledge.decide_deflections")(decide_deflections)
