"""Journeys' periodic work, registered by the composition root:

* ``journeys.run_due`` every 5 s: runs whose timer fell due take their next steps;
* ``journeys.deliver`` every 5 s (outside a transaction): due messages are gated, claimed, handed to
  their channels and their outcome recorded;
* ``journeys.scan`` every 60 s: date, segment and schedule triggers.

Each is safe in several worker processes at once (``SKIP LOCKED`` claims on PostgreSQL; unique keys for
what a scan starts). Waits are rows, so a restart loses nothing and a timer fires within the job's period
of falling due.
"""

from __future__ import annotations

from loyaldesk.journeys.actions.deliver import DeliveryConfig, deliver_due
from loyaldesk.journeys.actions.run_steps import run_due
from loyaldesk.journeys.actions.scan import scan_rules
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.jobs import JobRegistry

RUN_EVERY_SECONDS = 5
DELIVER_EVERY_SECONDS = 5
SCAN_EVERY_SECONDS = 60


def run_all_due(uow: UnitOfWork) -> int:
    return run_due(uow)


def register(jobs: JobRegistry, config: DeliveryConfig) -> None:
    jobs.every(RUN_EVERY_SECONDS, name="journeys.run_due")(run_all_due)
    jobs.every(SCAN_EVERY_SECONDS, name="journeys.scan")(scan_rules)
    jobs.every_outside(DELIVER_EVERY_SECONDS, name="journeys.deliver")(
        lambda database: deliver_due(database, config)
    )
