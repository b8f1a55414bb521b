"""Customer profiles, consent and preferences, the timeline (customer 360) and GDPR export/erasure."""

from loyaldesk.customers import timeline as _timeline  # noqa: F401  (registers timeline describers)
from loyaldesk.customers.actions import CustomerRef, resolve_customers, upsert_customer
from loyaldesk.customers.extensions import (
    CustomerFacts,
    ErasureStep,
    ExportSection,
    GoodwillGiven,
    GoodwillGranter,
    GoodwillReward,
    LoyaltyFacts,
    LoyaltyFactsProvider,
    TimelineDescriber,
    TimelineEntry,
    erasure_step,
    export_section,
    facts_about,
    goodwill_granter,
    goodwill_rewards,
    goodwill_rewards_provider,
    grant_goodwill_points,
    grant_goodwill_reward,
    provide_loyalty_facts,
    timeline_entry,
)
from loyaldesk.customers.models import Customer
from loyaldesk.customers.queries import get_customer
from loyaldesk.customers.schemas import CustomerCreate, CustomerProfile

__all__ = [
    "Customer",
    "CustomerCreate",
    "CustomerFacts",
    "CustomerProfile",
    "CustomerRef",
    "ErasureStep",
    "ExportSection",
    "GoodwillGiven",
    "GoodwillGranter",
    "GoodwillReward",
    "LoyaltyFacts",
    "LoyaltyFactsProvider",
    "TimelineDescriber",
    "TimelineEntry",
    "erasure_step",
    "export_section",
    "facts_about",
    "get_customer",
    "goodwill_granter",
    "goodwill_rewards",
    "goodwill_rewards_provider",
    "grant_goodwill_points",
    "grant_goodwill_reward",
    "provide_loyalty_facts",
    "resolve_customers",
    "timeline_entry",
    "upsert_customer",
]
