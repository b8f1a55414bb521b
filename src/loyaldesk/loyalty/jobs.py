"""Scheduled work of the loyalty program (see ``kernel.jobs``): every job claims its rows so that
several workers can run it at once, and every write it makes has an idempotency key."""

from __future__ import annotations

from loyaldesk.kernel.jobs import jobs
from loyaldesk.loyalty.actions.change_tiers import review_due_tiers
from loyaldesk.loyalty.actions.delight_members import (
    send_anniversary_rewards,
    send_birthday_rewards,
    send_winback_rewards,
)
from loyaldesk.loyalty.actions.redeem_rewards import expire_codes
from loyaldesk.loyalty.actions.unlock_and_expire import (
    catch_up_expiry,
    expire_inactive_members,
    unlock_due_lots,
)

jobs.every(60, name="loyalty.unlock_due_lots")(unlock_due_lots)
# Every minute, and each run goes on (bounded batches, one transaction each) until nothing is due.
jobs.every_outside(60, name="loyalty.expire_due_lots")(catch_up_expiry)
jobs.every(3600, name="loyalty.expire_inactive_members")(expire_inactive_members)
jobs.every(300, name="loyalty.expire_codes")(expire_codes)
jobs.every(300, name="loyalty.review_due_tiers")(review_due_tiers)
jobs.every(3600, name="loyalty.birthdays")(send_birthday_rewards)
jobs.every(3600, name="loyalty.anniversaries")(send_anniversary_rewards)
jobs.every(3600, name="loyalty.winback")(send_winback_rewards)
