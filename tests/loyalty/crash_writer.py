"""A ledger writer for the crash test: writes entries one transaction at a time and prints ``ACK <key>``
only after each durable commit. Run as ``python crash_writer.py <database-url> <store-id> <member-id>
<first-index>``; the test kills it with SIGKILL at random moments."""

from __future__ import annotations

import sys

from loyaldesk.composition import compose
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.models import Member
from loyaldesk.loyalty.program import ensure_program, terms_of


def main() -> None:
    url, store_id, member_id, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    compose()
    database = Database(url)
    index = first
    while True:
        key = f"crash-{index}"
        with database.transaction() as uow:
            terms = terms_of(ensure_program(uow, store_id), "UTC")
            member = uow.session.get(Member, member_id)
            assert member is not None
            if index % 3 == 2 and member.available_points >= 5:
                ledger.spend(uow, member, terms, points=5, key=key, description="crash test spend")
            else:
                ledger.earn(
                    uow, member, terms, points=10, key=key, description="crash test earn", source="action"
                )
        print(f"ACK {key}", flush=True)
        index += 1


if __name__ == "__main__":
    main()
