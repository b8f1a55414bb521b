"""Every word list of recommendations, spelled once: one ``StrEnum`` per vocabulary, its labels beside it."""

from __future__ import annotations

from enum import StrEnum


class Method(StrEnum):
    """A way of scoring what a customer may want next. The blend combines the others; each stored pick
    remembers which method put it forward (its ``reason``)."""

    POPULARITY = "popularity"  # bestsellers (overall, and in a customer's first category)
    REPURCHASE = "repurchase"  # items this customer buys again, when their usual interval comes round
    COPURCHASE = "copurchase"  # items often in the same baskets as this customer's (lift)
    ITEM_KNN = "item_knn"  # item-to-item similarity over customers (cosine), or EASE
    ALS = "als"  # matrix factorisation of the purchase matrix (implicit's ALS)
    BLEND = "blend"  # the weighted blend of the above


class ReasonKind(StrEnum):
    """Why a product is picked for a customer, put in words by ``rules.reasons`` from the pick's
    ``reason_params``."""

    REPURCHASE = "repurchase"  # params: days (the customer's typical interval), last_bought (ISO date)
    BOUGHT_WITH = "bought_with"  # params: other_key, other_title (an item of theirs it is bought with)
    SIMILAR = "similar"  # params: other_key, other_title (customers who bought that also bought this)
    FOR_YOU = "for_you"  # the factorisation: like what they buy (params: category when known)
    POPULAR_IN_CATEGORY = "popular_in_category"  # params: category
    BESTSELLER = "bestseller"  # no params
    OFFER = "offer"  # a personal offer applies (params: offer_id)


class FitStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # ``error`` says why; the last good fit keeps serving


class OfferKind(StrEnum):
    """What a personal offer gives the customers it targets, as a loyalty reward."""

    BONUS_POINTS = "bonus_points"  # ``value`` extra points on an order with the target before it expires
    PERCENT_DISCOUNT = "percent_discount"  # a personal code: ``value`` percent off the target
    FIXED_DISCOUNT = "fixed_discount"  # a personal code: ``value`` minor units off the target


class OfferTarget(StrEnum):
    """What an offer applies to."""

    PRODUCT = "product"  # one item (``target`` is its item key)
    CATEGORY = "category"  # a category (``target`` is its name)
    ANY = "any"  # any order


class OfferStatus(StrEnum):
    DRAFT = "draft"  # being set up: reaches nobody
    ACTIVE = "active"  # launched: customers assigned, the treatment group told
    ENDED = "ended"  # past its end (or ended early): results are final


class OfferGroup(StrEnum):
    """A targeted customer's side of the offer's random split."""

    TREATMENT = "treatment"  # got the offer
    HOLDOUT = "holdout"  # kept back, to measure what the offer changed


class Placement(StrEnum):
    """Where a customer meets picks; each may carry its own filters and count."""

    API = "api"
    MEMBER = "member"
    WIDGET = "widget"
    EMAIL = "email"
    INBOX = "inbox"


LABELS: dict[type[StrEnum], dict[str, str]] = {
    Method: {
        "popularity": "Popularity",
        "repurchase": "Repurchase timing",
        "copurchase": "Bought together",
        "item_knn": "Similar items",
        "als": "Matrix factorisation (ALS)",
        "blend": "Blend",
    },
    ReasonKind: {
        "repurchase": "Due again",
        "bought_with": "Bought with",
        "similar": "Similar",
        "for_you": "For you",
        "popular_in_category": "Popular in category",
        "bestseller": "Bestseller",
        "offer": "Offer",
    },
    FitStatus: {"running": "Running", "succeeded": "Succeeded", "failed": "Failed"},
    OfferKind: {
        "bonus_points": "Bonus points",
        "percent_discount": "Percent off",
        "fixed_discount": "Amount off",
    },
    OfferTarget: {"product": "A product", "category": "A category", "any": "Any order"},
    OfferStatus: {"draft": "Draft", "active": "Active", "ended": "Ended"},
    OfferGroup: {"treatment": "Offer", "holdout": "Holdout"},
    Placement: {
        "api": "Store API",
        "member": "Member page",
        "widget": "Chat widget",
        "email": "Email",
        "inbox": "Agent's sidebar",
    },
}


def label(value: StrEnum) -> str:
    """The human label of a vocabulary value."""
    return LABELS[type(value)][value.value]
