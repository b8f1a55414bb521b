"""API models of recommendations, built on the vocab enums."""

from __future__ import annotations

from pydantic import BaseModel, Field

from loyaldesk.recommendations.ports import PickView
from loyaldesk.recommendations.vocab import ReasonKind

# -- serving: the picks of a customer (GET /api/v1/customers/{customer_id}/recommendations) ------------


class PickOut(BaseModel):
    """One product picked for the customer, best first, with why in the customer's language."""

    item_key: str = Field(description="The item's key: the product's external id, else its SKU.")
    title: str
    reason: str = Field(description="Why it is picked, in words, in the customer's language.")
    reason_kind: ReasonKind
    score: float = Field(description="The re-ranked score (higher is better); for ordering only.")
    product_id: int | None = Field(None, description="loyaldesk's id of the catalogue product, if any.")
    url: str | None = None
    image_url: str | None = None
    price: int | None = Field(None, description="Minor units of `currency`.")
    currency: str | None = None
    category: str | None = None
    in_stock: bool | None = Field(None, description="None: the store did not say (counts as in stock).")
    points_cost: int | None = Field(
        None, description="What the loyalty reward for this item costs the customer (their tier's price)."
    )
    reward_id: int | None = None
    affordable: bool = Field(False, description="Whether the customer's points balance covers the reward.")

    @classmethod
    def of(cls, view: PickView) -> PickOut:
        return cls(
            item_key=view.item_key,
            title=view.title,
            reason=view.reason,
            reason_kind=view.reason_kind,
            score=view.score,
            product_id=view.product_id,
            url=view.url,
            image_url=view.image_url,
            price=view.price,
            currency=view.currency,
            category=view.category,
            in_stock=view.in_stock,
            points_cost=view.points_cost,
            reward_id=view.reward_id,
            affordable=view.affordable,
        )


class PicksOut(BaseModel):
    """A customer's picks, best first."""

    customer_id: int
    language: str = Field(description="The language the reasons are written in.")
    data: list[PickOut]


# -- end of serving ------------------------------------------------------------------------------------
