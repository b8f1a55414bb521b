"""The cheapest possible JSON POST on the same stack (uvicorn + uvloop + httptools + FastAPI + Pydantic).

The ingestion benchmark serves this beside loyaldesk to show how much of a request's cost is the web stack
itself: no database, no middleware, the body parsed into a small model and a small JSON answer returned.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

app = FastAPI()


class Anything(BaseModel):
    model_config = ConfigDict(extra="allow")
    external_id: str


@app.post("/api/v1/orders", status_code=201)
async def accept(body: Anything) -> dict[str, str]:
    return {"outcome": "created", "external_id": body.external_id}
