"""Two years of the demo store's loyalty program, replayed week by week (the program itself is set up by
``loyalty_program``).

``DemoLoyalty`` brings the program to life while ``seed.py`` replays the order history on the demo's own
clock: before each week's orders it runs the birthday job day by day and signs up referred friends; after
them it dispatches the week's events (orders earn, refunds claw back, tiers move, badges are awarded), runs
the loyalty jobs at the week's end (points unlock and expire, codes expire, tiers are reviewed, lapsed
members are won back) and lets members act: they redeem rewards they can afford (most discount codes are
then used by the member's next order), write reviews, sign up for the newsletter, follow the store, answer
surveys. Staff make a few adjustments and two referrals are caught by the fraud checks. Every change goes
through the actions and jobs of ``loyaldesk.loyalty``; random choices come from a generator seeded with
the demo's seed, so the same seed gives the same program history (codes and referral codes excepted,
which the engine draws from ``secrets``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select

from loyaldesk.customers import Customer, CustomerProfile, CustomerRef, resolve_customers
from loyaldesk.demo.generator import DemoCustomer, DemoHistory, DemoOrder
from loyaldesk.demo.loyalty_program import (
    CODE_DISCOUNT_KINDS,
    DISPATCH_BATCH,
    WINBACK_RULE,
    WINBACK_WEEKS,
    LoyaltyFigures,
    ProgramIds,
    figures,
    set_up_program,
)
from loyaldesk.demo.loyalty_steps import (
    apply_code,
    attempt,
    customer_ref,
    parse_time,
    run_due_jobs,
    staff_actor,
)
from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.events import EventRecord
from loyaldesk.kernel.jobs import jobs
from loyaldesk.loyalty import (
    ActionEventIn,
    AdjustmentIn,
    AdjustmentReason,
    Member,
    Reward,
    Tier,
    adjust_points,
    record_action_event,
    record_referral,
    redeem,
    save_rule,
    send_birthday_rewards,
)
from loyaldesk.stores.models import StaffAccount

# -- the program's life ------------------------------------------------------------------------------


@dataclass
class _Planned:
    """Member activity planned from the history, by the week it happens in."""

    actions: dict[int, list[tuple[datetime, str, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )


class DemoLoyalty:
    """Drives the program through the replayed history; ``seed.py`` calls it around each week's orders."""

    def __init__(
        self,
        database: Database,
        clock: FakeClock,
        store_id: int,
        history: DemoHistory,
        *,
        seed: int,
        week_of: Callable[[datetime], int],
        end: datetime,
    ) -> None:
        self.database = database
        self.clock = clock
        self.store_id = store_id
        self.history = history
        self.rng = np.random.default_rng([seed, 7])
        self.week_of = week_of
        self.end = end
        self.system = system_for(store_id, "demo seeder")
        self.program: ProgramIds | None = None
        self.rewards: list[Reward] = []
        self.people = {person.external_id: person for person in history.customers}
        # Each customer's orders in time order, to attach reward codes to the next one.
        self.orders_of: dict[str, list[DemoOrder]] = defaultdict(list)
        for order in history.orders:
            self.orders_of[order.payload["customer"]["external_id"]].append(order)
        self.planned = self._plan_actions()
        # The days the birthday job has anyone to celebrate (29 February counts on the 28th too).
        self.birthdays = {(p.birthday.month, p.birthday.day) for p in history.customers if p.birthday}
        if (2, 29) in self.birthdays:
            self.birthdays.add((2, 28))
        self.friends, self.browsing_friends = self._plan_referrals()

    # -- set-up ----------------------------------------------------------------------------------

    def set_up(self) -> ProgramIds:
        self.program = self.database.write(set_up_program, self.system, self.store_id, end=self.end)
        with self.database.read() as session:
            self.rewards = list(
                session.scalars(select(Reward).where(Reward.store_id == self.store_id).order_by(Reward.id))
            )
        return self.program

    def _plan_actions(self) -> _Planned:
        """Reviews after delivery, newsletter sign-ups, follows and survey answers, drawn once."""
        planned = _Planned()
        rng = self.rng
        first_seen: dict[str, datetime] = {}
        for order in self.history.orders:
            payload = order.payload
            customer = payload["customer"]["external_id"]
            placed = datetime.fromisoformat(payload["placed_at"])
            first_seen.setdefault(customer, placed)
            delivered = payload.get("delivered_at")
            if delivered is None or order.refunds:
                continue
            arrived = datetime.fromisoformat(delivered)
            if rng.random() < 0.06:
                line = payload["lines"][int(rng.integers(len(payload["lines"])))]
                self._plan(planned, arrived + timedelta(days=float(rng.uniform(2, 21))), customer, "review",
                           f"review-{line['external_id']}")  # fmt: skip
            if rng.random() < 0.025:
                self._plan(planned, arrived + timedelta(days=float(rng.uniform(1, 5))), customer, "survey",
                           f"survey-{payload['external_id']}")  # fmt: skip
        for person in self.history.customers:
            joined = first_seen.get(person.external_id) or person.signed_up_at
            if joined is None:
                continue
            # Those who only signed up did so for the newsletter; some buyers subscribe too.
            subscribes = 0.8 if person.external_id not in first_seen else 0.5 * ("newsletter" in person.tags)
            if rng.random() < subscribes:
                when = joined + timedelta(hours=float(rng.uniform(0.1, 48)))
                self._plan(
                    planned, when, person.external_id, "newsletter", f"newsletter-{person.external_id}"
                )
            if person.external_id in first_seen and rng.random() < 0.04:
                when = joined + timedelta(days=float(rng.uniform(1, 120)))
                self._plan(planned, when, person.external_id, "social_follow", f"follow-{person.external_id}")
        return planned

    def _plan(self, planned: _Planned, when: datetime, customer: str, action: str, event_id: str) -> None:
        if when < self.end:
            planned.actions[self.week_of(when)].append((when, customer, action, event_id))

    def _plan_referrals(self) -> tuple[dict[int, list[DemoCustomer]], dict[int, list[DemoCustomer]]]:
        """Friends who came through a member's referral link, by the week they sign up: ten buyers, who
        sign up the week before their first order (the recent ones are still qualifying), and three
        newsletter sign-ups who have not bought yet (pending)."""
        firsts: dict[str, DemoOrder] = {}
        for order in self.history.orders:
            firsts.setdefault(order.payload["customer"]["external_id"], order)
        window = (self.end - timedelta(days=400), self.end - timedelta(days=4))
        buyers = [
            customer
            for customer, order in firsts.items()
            if window[0] < parse_time(order.payload["placed_at"]) < window[1]
            and order.payload["status"] != "cancelled"
        ]
        browsers = [
            person
            for person in self.history.customers
            if person.signed_up_at is not None and window[0] < person.signed_up_at < window[1]
        ]
        before: dict[int, list[DemoCustomer]] = defaultdict(list)
        for index in sorted(int(i) for i in self._pick(len(buyers), 10)):
            customer = buyers[index]
            before[self.week_of(parse_time(firsts[customer].payload["placed_at"])) - 1].append(
                self.people[customer]
            )
        after: dict[int, list[DemoCustomer]] = defaultdict(list)
        for index in sorted(int(i) for i in self._pick(len(browsers), 3)):
            person = browsers[index]
            assert person.signed_up_at is not None
            after[self.week_of(person.signed_up_at)].append(person)
        return before, after

    def _pick(self, population: int, count: int) -> list[int]:
        if population == 0:
            return []
        return [int(i) for i in self.rng.choice(population, size=min(count, population), replace=False)]

    # -- each week -------------------------------------------------------------------------------

    def before_orders(self, week: int, start: datetime, end: datetime) -> None:
        """At the start of the week, friends sign up with a referral code; then, day by day, the birthday
        job runs (at 10:00 UTC, so that it is the birthday everywhere in Europe)."""
        self.clock.set(start)
        self.database.write(self._week_start, week, start, end)

    def _week_start(self, uow: UnitOfWork, week: int, start: datetime, end: datetime) -> None:
        for friend in self.friends.get(week, []):
            self._refer(uow, friend)
        self._birthdays(uow, start, end)

    def _birthdays(self, uow: UnitOfWork, start: datetime, end: datetime) -> int:
        done = 0
        day = datetime.combine(start.date(), time(10), UTC)
        while day < end:
            if day > start and (day.month, day.day) in self.birthdays:
                self.clock.set(day)
                done += send_birthday_rewards(uow)
            day += timedelta(days=1)
        return done

    def after_orders(self, week: int, moment: datetime) -> None:
        """At the week's end: handle its events, then run the jobs and let the members act (the events
        these emit are handled with the next week's)."""
        self.clock.set(moment)
        dispatch_until_idle(self.database, limit=DISPATCH_BATCH)
        # The win-back campaign starts a quarter before the end; its job looks at members idle for a
        # month-wide window, so running it every four weeks sees each of them once.
        winback = self.end - moment <= timedelta(weeks=WINBACK_WEEKS)
        if winback and self.program is not None and WINBACK_RULE.name not in self.program.rules:
            rule = self.database.write(save_rule, self.system, self.store_id, WINBACK_RULE)
            self.program.rules[WINBACK_RULE.name] = rule.id
        self.database.write(self._week_end, week, winback and week % 4 == 0)
        if self.end - moment < timedelta(days=7):
            self._finale()

    def _week_end(self, uow: UnitOfWork, week: int, winback: bool) -> None:
        run_due_jobs(uow, winback=winback)
        for friend in self.browsing_friends.get(week, []):
            self._refer(uow, friend)
        self._act(uow, sorted(self.planned.actions.get(week, [])))
        self._redeem(uow, week)

    def _act(self, uow: UnitOfWork, actions: list[tuple[datetime, str, str, str]]) -> None:
        for _when, customer, action, event_id in actions:
            data = ActionEventIn(customer_external_id=customer, action=action, external_id=event_id)  # type: ignore[arg-type]
            attempt(uow, record_action_event, self.system, self.store_id, data)

    # -- redemptions -----------------------------------------------------------------------------

    def _redeem(self, uow: UnitOfWork, week: int) -> None:
        now = uow.now()
        rows = uow.session.execute(
            select(Member.id, Member.customer_id, Member.available_points, Tier.rank, Customer.external_id)
            .join(Customer, Customer.id == Member.customer_id)
            .outerjoin(Tier, Tier.id == Member.tier_id)
            .where(Member.store_id == self.store_id, Member.available_points >= 500)
            .order_by(Member.id)
        ).all()
        stock = {
            reward_id: (left or 0) - issued
            for reward_id, left, issued in uow.session.execute(
                select(Reward.id, Reward.stock, Reward.issued_count).where(
                    Reward.store_id == self.store_id, Reward.stock.is_not(None)
                )
            )
        }
        expert = next(reward for reward in self.rewards if reward.kind == "custom")
        wishes: list[tuple[int, int, str, Reward, DemoOrder | None]] = []
        for member_id, customer_id, available, rank, external_id in rows:
            # Members with early access who see the expert's diary open book a session eagerly.
            if self._offered(expert, available, rank or 0, now, stock) and self.rng.random() < 0.05:
                stock[expert.id] = stock.get(expert.id, 1) - 1
                wishes.append((member_id, customer_id, external_id or str(customer_id), expert, None))
                continue
            # Most members redeem just before they buy again; a few redeem on a whim and forget the code.
            upcoming = self._next_order(external_id or "", now)
            if self.rng.random() >= (0.45 if upcoming is not None else 0.004):
                continue
            reward = self._choose(available, rank or 0, now, stock)
            if reward is not None:
                wishes.append((member_id, customer_id, external_id or str(customer_id), reward, upcoming))
        self._redeem_all(uow, week, wishes)

    def _next_order(self, customer: str, now: datetime) -> DemoOrder | None:
        """The customer's order in the coming week, if they place one (and do not cancel it)."""
        for order in self.orders_of.get(customer, []):
            placed = parse_time(order.payload["placed_at"])
            if placed > now:
                soon = placed - now <= timedelta(days=7) and order.payload["status"] != "cancelled"
                return order if soon else None
        return None

    def _offered(
        self, reward: Reward, available: int, rank: int, now: datetime, stock: dict[int, int]
    ) -> bool:
        """Whether the member may take ``reward`` now (as ``redemptions.offer_for`` will judge it)."""
        costs = reward.tier_costs.values() if rank >= 2 else ()
        early = timedelta(days=reward.early_access_days) if rank >= 2 else timedelta(0)  # Gold's perk
        return (
            min(costs, default=reward.points_cost) <= available
            and stock.get(reward.id, 1) > 0
            and (reward.min_tier_rank is None or rank >= reward.min_tier_rank)
            and (reward.available_from is None or now >= reward.available_from - early)
        )

    def _choose(self, available: int, rank: int, now: datetime, stock: dict[int, int]) -> Reward | None:
        """A discount the member can afford; those who saved up tend to take the bigger rewards."""
        liked = {"Free shipping": 1, "€5 off": 4, "€10 off": 3, "10% off your next order": 2}
        affordable = [
            reward
            for reward in self.rewards
            if reward.kind != "custom" and self._offered(reward, available, rank, now, stock)
        ]
        if not affordable:
            return None
        chances = np.array([liked.get(reward.name, 2) * reward.points_cost / 500 for reward in affordable])
        return affordable[int(self.rng.choice(len(affordable), p=chances / chances.sum()))]

    def _redeem_all(
        self, uow: UnitOfWork, week: int, wishes: list[tuple[int, int, str, Reward, DemoOrder | None]]
    ) -> None:
        for member_id, customer_id, external_id, reward, upcoming in wishes:
            shopper = Actor(
                kind="customer", id=customer_id, store_id=self.store_id, label=f"shopper {external_id}"
            )
            code = attempt(
                uow, redeem, shopper, self.store_id, member_id, reward.id, key=f"demo:{week}:{member_id}"
            )
            # The order placed in the coming week carries the code (unless they forget it at checkout).
            usable = code is not None and upcoming is not None and reward.kind in CODE_DISCOUNT_KINDS
            if usable and self.rng.random() < 0.9:
                assert code is not None and upcoming is not None
                apply_code(upcoming.payload, code.code, reward)

    # -- referrals, adjustments ------------------------------------------------------------------

    def _refer(self, uow: UnitOfWork, friend: DemoCustomer) -> None:
        """A friend signs up through a member's referral link (or has just signed up, with it)."""
        codes = uow.session.scalars(
            select(Member.referral_code)
            .where(Member.store_id == self.store_id, Member.lifetime_earned_points >= 300)
            .order_by(Member.id)
        ).all()
        if not codes:
            return
        code = codes[int(self.rng.integers(len(codes)))]
        [customer_id] = resolve_customers(
            uow, self.store_id, [customer_ref(friend, uow.now())], source="demo"
        )
        assert customer_id is not None
        attempt(uow, record_referral, self.system, self.store_id, code, customer_id)

    def _finale(self) -> None:
        """The last days: two referrals the fraud checks reject, and adjustments by staff."""
        self.database.write(self._last_days)

    def _last_days(self, uow: UnitOfWork) -> None:
        self._suspicious_referrals(uow)
        self._adjustments(uow)

    def _suspicious_referrals(self, uow: UnitOfWork) -> None:
        rows = uow.session.execute(
            select(
                Member.referral_code, Customer.email, Customer.phone, Customer.first_name, Customer.last_name
            )
            .join(Customer, Customer.id == Member.customer_id)
            .where(Member.store_id == self.store_id, Customer.phone.is_not(None), Member.available_points > 0)
            .order_by(Member.lifetime_earned_points.desc(), Member.id)
            .limit(2)
        ).all()
        for number, (code, email, phone, first, last) in enumerate(rows):
            local, _, domain = (email or "x@example.com").partition("@")
            if number == 0:  # one keystroke away from the referrer's own address
                fake_email, fake_phone = f"{local}9@{domain}", None
            else:  # another mailbox, but the referrer's own phone
                # Letters only: a surname such as "de Vries" must still make a valid address.
                initials = "".join(c for c in (last or "b").lower() if c.isalpha())[:3] or "b"
                fake_email, fake_phone = f"{(first or 'a').lower()}.{initials}.nl@mail.example", phone
            ref = CustomerRef(
                external_id=f"C9{number:05d}",
                email=fake_email,
                profile=CustomerProfile(
                    email=fake_email, first_name=first, last_name=last, phone=fake_phone, locale="nl-NL"
                ),
                first_seen_at=uow.now(),
            )
            [customer_id] = resolve_customers(uow, self.store_id, [ref], source="demo")
            assert customer_id is not None
            attempt(uow, record_referral, self.system, self.store_id, code, customer_id)

    def _adjustments(self, uow: UnitOfWork) -> None:
        staff = {
            account.email: account
            for account in uow.session.scalars(
                select(StaffAccount).where(
                    StaffAccount.email.in_(["agent@juniper.example.com", "admin@juniper.example.com"])
                )
            )
        }
        members = list(
            uow.session.scalars(
                select(Member.id)
                .where(Member.store_id == self.store_id, Member.available_points >= 100)
                .order_by(Member.id)
            )
        )
        if len(members) < 3 or len(staff) < 2:
            return
        picks = [members[int(i)] for i in self.rng.choice(len(members), size=3, replace=False)]
        agent = staff_actor(staff["agent@juniper.example.com"], self.store_id, "agent")
        admin = staff_actor(staff["admin@juniper.example.com"], self.store_id, "admin")
        changes = (
            (agent, AdjustmentIn(points=250, reason_code=AdjustmentReason.SERVICE_RECOVERY,
                                 note="Parcel arrived two weeks late; sorry for the wait")),
            (agent, AdjustmentIn(points=100, reason_code=AdjustmentReason.GOODWILL,
                                 note="Candle arrived with a cracked lid; goodwill points")),
            (admin, AdjustmentIn(points=-75, reason_code=AdjustmentReason.CORRECTION,
                                 note="Review points given twice for one review")),
        )  # fmt: skip
        for member_id, (actor, change) in zip(picks, changes, strict=True):
            attempt(uow, adjust_points, actor, self.store_id, member_id, change, key=f"demo-{member_id}")

    # -- the end ---------------------------------------------------------------------------------

    def finish(self) -> LoyaltyFigures:
        """At the seeding moment: handle what is left, run every loyalty job once, and count."""
        dispatch_until_idle(self.database, limit=DISPATCH_BATCH)
        for job in jobs.all():
            if job.name.startswith("loyalty.") and job.in_transaction:
                self.database.write(job.run)  # type: ignore[arg-type]
        dispatch_until_idle(self.database, limit=DISPATCH_BATCH)
        with self.database.read() as session:
            failed = session.execute(
                select(func.count(EventRecord.id), func.min(EventRecord.dispatch_error)).where(
                    EventRecord.store_id == self.store_id, EventRecord.dispatched_at.is_(None)
                )
            ).one()
            if failed[0]:
                # A handler that fails leaves its event for a later retry; a demo must not hide that.
                raise RuntimeError(f"{failed[0]} events of the demo store could not be handled: {failed[1]}")
            return figures(session, self.store_id)
