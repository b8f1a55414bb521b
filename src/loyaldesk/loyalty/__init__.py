"""The loyalty program: a points ledger, earning rules and campaigns, tiers, rewards, referrals, delight."""

from loyaldesk import stores
from loyaldesk.loyalty.program import create_program

# Every store has its program from the moment it exists: reads never create it.
stores.on_store_created(create_program)
