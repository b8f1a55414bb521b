"""CLV and cohort analytics on the combined UCI Online Retail data: loyaldesk beside lifetimes, plain pandas
and DuckDB in the same run, with the outputs checked equal.

1. *Import*, as a user does, into a throwaway SQLite database in a temporary directory: ``loyaldesk
   migrate``, ``loyaldesk stores create --slug retail --currency GBP --timezone Europe/London`` and
   ``loyaldesk import orders --store retail`` on both parquet files of ``--data-dir`` (each command timed;
   skipped with ``--database-url``, which reuses an imported database; ``--work-dir`` keeps the new one).
2. *Load orders*: ``analytics.queries.order_facts`` (orders of known customers net of refunds, cancelled
   ones left out), once per repetition. Every pipeline starts from these facts.
3. Four pipelines on the facts, each step timed:
   - *input*: the facts as the pipeline's input (loyaldesk: three lists, as ``value_report`` passes them;
     the others: a pandas DataFrame with UTC timestamps and amounts in pence; DuckDB registers it);
   - *RFM summary* in weeks (``period_days`` 7), observation end the UTC day after the last order.
     Definitions of ``analytics.rfm_summary``: one purchase per customer per UTC calendar day (its value the
     day's sum), recency and age in whole days / 7, monetary value the mean of the repeat days. lifetimes'
     ``summary_data_from_transaction_data(freq="D", freq_multiplier=7)`` computes exactly that; pandas does
     it with groupby, DuckDB with one SQL query;
   - *BG/NBD* and *Gamma-Gamma* fits (the latter on repeat buyers with a positive mean spend, in pence):
     ``clv.fit_bgnbd``/``fit_gamma_gamma``; lifetimes' ``BetaGeoFitter``/``GammaGammaFitter`` (penalizer 0,
     which also computes the Hessian for standard errors); pandas and DuckDB have no such models: their
     columns minimise the same log-likelihoods written in numpy with scipy's Nelder-Mead, as one would by
     hand;
   - *cohort matrix*: monthly acquisition cohorts in Europe/London through the month of the last order
     (``cohorts.retention_matrix``: customers active, retention share and net revenue per month offset);
     pandas groupby, one DuckDB query; lifetimes has none, its column runs the pandas one.
4. *Pages*: the four dashboards (and an opened segment) requested through the web app in-process
   (FastAPI's TestClient, logged in as an analyst the bench adds), dated at the last order: the first request
   computes and caches the figures, the next ``PAGE_REQUESTS`` are served from the cache (median and
   worst, ms; goal under 200 ms).
5. *Check*: the RFM arrays must be equal exactly (frequency, recency, age) and the monetary values to 1e-9
   relative; fitted parameters to 3 significant figures (relative difference <= 5e-4; lifetimes' alpha
   unscaled); every cohort cell exactly. Differences are printed and the exit status is 1.

The pipelines run ``--repetitions`` times in rotating order; the table gives the best and the median wall
time of each step (ms) and loyaldesk's median over the fastest other median. Input building is shown as
its own row so that every total starts from the same facts.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/analytics.py --repetitions 3 --work-dir /tmp/retail
    .venv/bin/python bench/analytics.py --database-url sqlite:////tmp/retail/retail.db
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import argparse
import importlib.metadata
import os
import platform
import sqlite3
import statistics
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

from loyaldesk.analytics import clv
from loyaldesk.analytics.cohorts import retention_matrix
from loyaldesk.analytics.metrics import OrderFact
from loyaldesk.analytics.queries import order_facts
from loyaldesk.analytics.rfm_summary import summarize_transactions
from loyaldesk.composition import compose
from loyaldesk.kernel.db import Database
from loyaldesk.stores import store_by_slug
from loyaldesk_cli import run_commands

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail"
DATA_FILES = ("online_retail_II_2009-12_to_2010-12.parquet", "online_retail_2010-12_to_2011-12.parquet")
STORE_SLUG = "retail"
TIME_ZONE = "Europe/London"
PERIOD_DAYS = 7.0
MONETARY_TOLERANCE = 1e-9
PARAMETER_TOLERANCE = 5e-4  # "3 significant figures"
PIPELINES = ("loyaldesk", "lifetimes", "pandas", "DuckDB")
STEPS = ("input", "rfm", "bgnbd", "gamma_gamma", "cohorts")
NEEDS = {"rfm": "input", "bgnbd": "rfm", "gamma_gamma": "rfm", "cohorts": "input"}
LABELS = {
    "load": "load orders (`order_facts`, shared)",
    "input": "input from the facts",
    "rfm": "RFM summary",
    "bgnbd": "BG/NBD fit",
    "gamma_gamma": "Gamma-Gamma fit",
    "cohorts": "cohort matrix",
    "total": "**total** (after load)",
    "computation": "total without the input row",
}
NOTES = {("lifetimes", "cohorts"): "†", ("pandas", "bgnbd"): "‡", ("pandas", "gamma_gamma"): "‡"}
NOTES |= {("DuckDB", "bgnbd"): "‡", ("DuckDB", "gamma_gamma"): "‡"}


# -- import ---------------------------------------------------------------------------------------
def import_data(data_dir: Path, work_dir: Path, store: str) -> tuple[str, dict[str, float], str]:
    """A new SQLite database in ``work_dir`` filled through the CLI; (url, seconds per command, report)."""
    files = [data_dir / name for name in DATA_FILES]
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        raise SystemExit(f"data files not found: {missing} (give --data-dir)")
    database = work_dir / "retail.db"
    if database.exists():
        raise SystemExit(f"{database} exists: reuse it with --database-url sqlite:///{database}")
    url = f"sqlite:///{database}"
    password = "bench-owner-password\n"
    owner = ["--currency", "GBP", "--timezone", TIME_ZONE, "--owner-email", "bench@example.com"]
    seconds, output = run_commands(
        {
            "migrate": (["migrate"], None),
            "stores create": (
                ["stores", "create", "--slug", store, "--name", "Online Retail", *owner],
                password * 2,
            ),
            "import orders": (["import", "orders", "--store", store, *map(str, files)], None),
        },
        url,
        work_dir,
    )
    report = "\n".join(
        line for line in output.splitlines() if line.strip() and not line.startswith("Importing invoices")
    )
    return url, seconds, report


def load_orders(database: Database, slug: str) -> tuple[Sequence[OrderFact], str, str]:
    """The store's order facts (all of them), its time zone and currency."""
    with database.read() as session:
        store = store_by_slug(session, slug)
        facts = order_facts(session, store, datetime(9999, 1, 1, tzinfo=UTC))
        return facts, store.timezone, store.currency


# -- outputs in one comparable form ---------------------------------------------------------------
@dataclass(frozen=True)
class Rfm:
    customer_ids: NDArray[np.int64]
    frequency: NDArray[np.int64]
    recency: NDArray[np.float64]
    age: NDArray[np.float64]
    monetary_value: NDArray[np.float64]


@dataclass(frozen=True)
class CohortGrid:
    """A cohort matrix as numpy arrays: cohort month numbers (year*12 + month-1), active customers and
    net revenue per (cohort, offset), retention shares; cells after ``last_month`` are not observed."""

    cohort_months: NDArray[np.int64]
    active: NDArray[np.int64]
    retention: NDArray[np.float64]
    revenue: NDArray[np.int64]
    last_month: int


CohortCells = tuple[tuple[str, int, tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]], ...]


def grid_cells(grid: CohortGrid) -> CohortCells:
    offsets = range(grid.active.shape[1])

    def cells(values: NDArray[Any], kind: type, observed: int) -> tuple[Any, ...]:
        return tuple(kind(values[offset]) if offset < observed else None for offset in offsets)

    rows = []
    for index, cohort in enumerate(grid.cohort_months.tolist()):
        observed = grid.last_month - cohort + 1
        rows.append(
            (
                f"{cohort // 12:04d}-{cohort % 12 + 1:02d}",
                int(grid.active[index, 0]),
                cells(grid.active[index], int, observed),
                cells(grid.retention[index], float, observed),
                cells(grid.revenue[index], int, observed),
            )
        )
    return tuple(rows)


@dataclass
class Run:
    """One pipeline's repetition: seconds and output of each step, or why a step failed."""

    seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    facts: Sequence[OrderFact]
    observation_end: date  # the UTC day after the last order
    through_month: date  # the month of the last order in the store's time zone
    time_zone: str


# -- loyaldesk ------------------------------------------------------------------------------------
def loyaldesk_steps(context: Context) -> dict[str, Callable[[dict[str, Any]], Any]]:
    def inputs(_: dict[str, Any]) -> tuple[list[int], list[datetime], list[int]]:
        facts = context.facts
        return (
            [order.customer_id for order in facts],
            [order.placed_at for order in facts],
            [order.net_amount_minor for order in facts],
        )

    def rfm(state: dict[str, Any]) -> Any:
        ids, placed_at, amounts = state["input"]
        return summarize_transactions(
            ids, placed_at, amounts, observation_end=context.observation_end, period_days=PERIOD_DAYS
        )

    def bgnbd(state: dict[str, Any]) -> clv.BgNbdParams:
        summary = state["rfm"]
        return clv.fit_bgnbd(summary.frequency, summary.recency, summary.age)

    def gamma_gamma(state: dict[str, Any]) -> clv.GammaGammaParams:
        return clv.fit_gamma_gamma(state["rfm"].frequency, state["rfm"].monetary_value)

    def cohorts(_: dict[str, Any]) -> Any:
        return retention_matrix(context.facts, context.through_month, context.time_zone)

    return {"input": inputs, "rfm": rfm, "bgnbd": bgnbd, "gamma_gamma": gamma_gamma, "cohorts": cohorts}


def loyaldesk_outputs(state: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "rfm" in state:
        s = state["rfm"]
        out["rfm"] = Rfm(s.customer_ids.astype(np.int64), s.frequency, s.recency, s.age, s.monetary_value)
    if "bgnbd" in state:
        p = state["bgnbd"]
        out["bgnbd"] = {"r": p.r, "alpha": p.alpha, "a": p.a, "b": p.b}
    if "gamma_gamma" in state:
        g = state["gamma_gamma"]
        out["gamma_gamma"] = {"p": g.p, "q": g.q, "gamma": g.gamma}
    if "cohorts" in state:
        out["cohorts"] = tuple(
            (row.label, row.size, row.active, row.retention, row.revenue_minor)
            for row in state["cohorts"].rows
        )
    return out


# -- pandas (and the input of lifetimes and DuckDB) -----------------------------------------------
def facts_frame(facts: Sequence[OrderFact]) -> Any:
    """customer_id (int64), placed_at (naive UTC datetime64[us]), amount (int64 pence)."""
    import pandas as pd

    count = len(facts)
    return pd.DataFrame(
        {
            "customer_id": np.fromiter((order.customer_id for order in facts), np.int64, count),
            "placed_at": np.array(
                [order.placed_at.astimezone(UTC).replace(tzinfo=None) for order in facts],
                dtype="datetime64[us]",
            ),
            "amount": np.fromiter((order.net_amount_minor for order in facts), np.int64, count),
        }
    )


def pandas_rfm(frame: Any, observation_end: date) -> Any:
    import pandas as pd

    end = pd.Timestamp(observation_end)
    days = frame.assign(day=frame["placed_at"].dt.floor("D"))
    per_day = (
        days[days["day"] <= end].groupby(["customer_id", "day"], sort=True, as_index=False)["amount"].sum()
    )
    customers = per_day.groupby("customer_id", sort=True).agg(
        first_day=("day", "min"),
        last_day=("day", "max"),
        days=("day", "size"),
        total=("amount", "sum"),
        first_value=("amount", "first"),  # rows are sorted by day within each customer
    )
    frequency = customers["days"] - 1
    repeat_total = (customers["total"] - customers["first_value"]).astype(np.float64)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (customers["last_day"] - customers["first_day"]).dt.days / PERIOD_DAYS,
            "T": (end - customers["first_day"]).dt.days / PERIOD_DAYS,
            "monetary_value": (repeat_total / frequency.where(frequency > 0, 1)).where(frequency > 0, 0.0),
        }
    )


def pandas_cohorts(frame: Any, through_month: date, time_zone: str) -> CohortGrid:
    local = frame["placed_at"].dt.tz_localize("UTC").dt.tz_convert(time_zone)
    month = (local.dt.year * 12 + local.dt.month - 1).astype(np.int64)
    last = through_month.year * 12 + through_month.month - 1
    observed = frame.assign(month=month)[month <= last]
    cohort = observed.groupby("customer_id")["month"].transform("min").rename("cohort")
    offset = (observed["month"] - cohort).rename("offset")
    grouped = observed.groupby([cohort, offset])
    width = int(last - cohort.min() + 1)
    active = (
        grouped["customer_id"].nunique().unstack(fill_value=0).reindex(columns=range(width), fill_value=0)
    )
    revenue = grouped["amount"].sum().unstack(fill_value=0).reindex(columns=range(width), fill_value=0)
    sizes = active[0]
    return CohortGrid(
        cohort_months=active.index.to_numpy(np.int64),
        active=active.to_numpy(np.int64),
        retention=active.div(sizes, axis=0).to_numpy(np.float64),
        revenue=revenue.to_numpy(np.int64),
        last_month=last,
    )


def frame_rfm(summary: Any) -> Rfm:
    summary = summary.sort_index()
    return Rfm(
        summary.index.to_numpy(np.int64),
        summary["frequency"].to_numpy().astype(np.int64),
        summary["recency"].to_numpy(np.float64),
        summary["T"].to_numpy(np.float64),
        summary["monetary_value"].to_numpy(np.float64),
    )


# -- plain scipy fits (the pandas and DuckDB columns) ---------------------------------------------
def plain_bgnbd(frequency: Any, recency: Any, age: Any) -> dict[str, float]:
    """BG/NBD maximum likelihood (FHL 2005, eq. 6) by Nelder-Mead on log-parameters from all ones."""
    x, t_x, big_t = (np.asarray(value, dtype=np.float64) for value in (frequency, recency, age))

    def negative_log_likelihood(log_params: NDArray[np.float64]) -> float:
        r, alpha, a, b = np.exp(log_params)
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
        alive = -(r + x) * np.log(alpha + big_t)
        dropped = np.where(
            x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x), -np.inf
        )
        return -float(np.mean(common + np.logaddexp(alive, dropped)))

    result = _nelder_mead(negative_log_likelihood, np.zeros(4))
    return dict(zip(("r", "alpha", "a", "b"), np.exp(result).tolist(), strict=True))


def plain_gamma_gamma(frequency: Any, monetary_value: Any) -> dict[str, float]:
    """Gamma-Gamma maximum likelihood (Fader & Hardie 2013) on repeat buyers with a positive mean spend,
    by Nelder-Mead on log-parameters from p = q = 1, gamma = mean spend."""
    x, spend = np.asarray(frequency, dtype=np.float64), np.asarray(monetary_value, dtype=np.float64)
    usable = (x > 0) & (spend > 0)
    x, spend = x[usable], spend[usable]

    def negative_log_likelihood(log_params: NDArray[np.float64]) -> float:
        p, q, gamma = np.exp(log_params)
        shape = p * x
        return -float(
            np.mean(
                gammaln(shape + q) - gammaln(shape) - gammaln(q) + q * np.log(gamma)
                + (shape - 1) * np.log(spend) + shape * np.log(x) - (shape + q) * np.log(gamma + x * spend)
            )
        )  # fmt: skip

    result = _nelder_mead(negative_log_likelihood, np.array([0.0, 0.0, np.log(spend.mean())]))
    return dict(zip(("p", "q", "gamma"), np.exp(result).tolist(), strict=True))


def _nelder_mead(objective: Callable[[NDArray[np.float64]], float], start: NDArray[Any]) -> NDArray[Any]:
    with np.errstate(all="ignore"):
        result = minimize(
            objective,
            start,
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 20_000, "maxfev": 20_000},
        )
    if not result.success:
        raise RuntimeError(f"Nelder-Mead did not converge: {result.message}")
    return np.asarray(result.x)


# -- the other pipelines --------------------------------------------------------------------------
def lifetimes_steps(context: Context) -> dict[str, Callable[[dict[str, Any]], Any]]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    def rfm(state: dict[str, Any]) -> Any:
        return summary_data_from_transaction_data(
            state["input"],
            "customer_id",
            "placed_at",
            monetary_value_col="amount",
            observation_period_end=context.observation_end.isoformat(),
            freq="D",
            freq_multiplier=int(PERIOD_DAYS),
        )

    def bgnbd(state: dict[str, Any]) -> Any:
        summary = state["rfm"]
        return BetaGeoFitter(penalizer_coef=0.0).fit(summary["frequency"], summary["recency"], summary["T"])

    def gamma_gamma(state: dict[str, Any]) -> Any:
        summary = state["rfm"]
        repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
        return GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"], repeat["monetary_value"])

    return {
        "input": lambda _: facts_frame(context.facts),
        "rfm": rfm,
        "bgnbd": bgnbd,
        "gamma_gamma": gamma_gamma,
        "cohorts": lambda state: pandas_cohorts(state["input"], context.through_month, context.time_zone),
    }


def lifetimes_outputs(state: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "rfm" in state:
        out["rfm"] = frame_rfm(state["rfm"])
    if "bgnbd" in state:
        out["bgnbd"] = {name: float(value) for name, value in state["bgnbd"].params_.items()}
    if "gamma_gamma" in state:
        params = state["gamma_gamma"].params_
        out["gamma_gamma"] = {"p": float(params["p"]), "q": float(params["q"]), "gamma": float(params["v"])}
    if "cohorts" in state:
        out["cohorts"] = grid_cells(state["cohorts"])
    return out


def pandas_steps(context: Context) -> dict[str, Callable[[dict[str, Any]], Any]]:
    def rfm(state: dict[str, Any]) -> Any:
        return pandas_rfm(state["input"], context.observation_end)

    def bgnbd(state: dict[str, Any]) -> dict[str, float]:
        summary = state["rfm"]
        return plain_bgnbd(summary["frequency"], summary["recency"], summary["T"])

    def gamma_gamma(state: dict[str, Any]) -> dict[str, float]:
        return plain_gamma_gamma(state["rfm"]["frequency"], state["rfm"]["monetary_value"])

    return {
        "input": lambda _: facts_frame(context.facts),
        "rfm": rfm,
        "bgnbd": bgnbd,
        "gamma_gamma": gamma_gamma,
        "cohorts": lambda state: pandas_cohorts(state["input"], context.through_month, context.time_zone),
    }


def pandas_outputs(state: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {name: state[name] for name in ("bgnbd", "gamma_gamma") if name in state}
    if "rfm" in state:
        out["rfm"] = frame_rfm(state["rfm"])
    if "cohorts" in state:
        out["cohorts"] = grid_cells(state["cohorts"])
    return out


DUCKDB_RFM = """
WITH purchase_days AS (
    SELECT customer_id, CAST(placed_at AS DATE) AS day, SUM(amount) AS value
    FROM orders
    WHERE CAST(placed_at AS DATE) <= $observation_end
    GROUP BY customer_id, day
), customers AS (
    SELECT customer_id, MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS days,
           SUM(value) AS total, arg_min(value, day) AS first_value
    FROM purchase_days
    GROUP BY customer_id
)
SELECT customer_id,
       days - 1 AS frequency,
       CAST(date_diff('day', first_day, last_day) AS DOUBLE) / $period_days AS recency,
       CAST(date_diff('day', first_day, $observation_end) AS DOUBLE) / $period_days AS age,
       CASE WHEN days > 1 THEN CAST(total - first_value AS DOUBLE) / (days - 1) ELSE 0.0 END
           AS monetary_value
FROM customers
ORDER BY customer_id
"""

# placed_at is naive UTC: timezone('UTC', .) makes it an instant, timezone(zone, .) its local time there.
DUCKDB_COHORTS = """
WITH local_orders AS (
    SELECT customer_id, amount, year(local_time) * 12 + month(local_time) - 1 AS month
    FROM (SELECT customer_id, amount, timezone($zone, timezone('UTC', placed_at)) AS local_time FROM orders)
), observed AS (
    SELECT * FROM local_orders WHERE month <= $last_month
), cohorts AS (
    SELECT customer_id, MIN(month) AS cohort FROM observed GROUP BY customer_id
)
SELECT cohort, month - cohort AS month_offset, COUNT(DISTINCT customer_id) AS active,
       CAST(SUM(amount) AS BIGINT) AS revenue
FROM observed JOIN cohorts USING (customer_id)
GROUP BY cohort, month_offset
ORDER BY cohort, month_offset
"""


def duckdb_steps(context: Context) -> dict[str, Callable[[dict[str, Any]], Any]]:
    import duckdb

    last = context.through_month.year * 12 + context.through_month.month - 1

    def inputs(_: dict[str, Any]) -> Any:
        connection = duckdb.connect()
        connection.register("orders", facts_frame(context.facts))
        return connection

    def rfm(state: dict[str, Any]) -> dict[str, NDArray[Any]]:
        parameters = {"observation_end": context.observation_end, "period_days": PERIOD_DAYS}
        return dict(state["input"].execute(DUCKDB_RFM, parameters).fetchnumpy())

    def bgnbd(state: dict[str, Any]) -> dict[str, float]:
        summary = state["rfm"]
        return plain_bgnbd(summary["frequency"], summary["recency"], summary["age"])

    def gamma_gamma(state: dict[str, Any]) -> dict[str, float]:
        return plain_gamma_gamma(state["rfm"]["frequency"], state["rfm"]["monetary_value"])

    def cohorts(state: dict[str, Any]) -> CohortGrid:
        parameters = {"zone": context.time_zone, "last_month": last}
        cells = state["input"].execute(DUCKDB_COHORTS, parameters).fetchnumpy()
        months, row = np.unique(np.asarray(cells["cohort"], dtype=np.int64), return_inverse=True)
        offset = np.asarray(cells["month_offset"], dtype=np.int64)
        shape = (months.size, int(last - months[0] + 1) if months.size else 0)
        active, revenue = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
        active[row, offset] = cells["active"]
        revenue[row, offset] = cells["revenue"]
        return CohortGrid(months, active, active / active[:, :1], revenue, last)

    return {"input": inputs, "rfm": rfm, "bgnbd": bgnbd, "gamma_gamma": gamma_gamma, "cohorts": cohorts}


def duckdb_outputs(state: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {name: state[name] for name in ("bgnbd", "gamma_gamma") if name in state}
    if "rfm" in state:
        s = state["rfm"]
        out["rfm"] = Rfm(
            *(
                np.asarray(s[name])
                for name in ("customer_id", "frequency", "recency", "age", "monetary_value")
            )
        )
    if "cohorts" in state:
        out["cohorts"] = grid_cells(state["cohorts"])
    if "input" in state:
        state["input"].close()
    return out


PIPELINE_FUNCTIONS: dict[str, tuple[Callable[[Context], Any], Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "loyaldesk": (loyaldesk_steps, loyaldesk_outputs),
    "lifetimes": (lifetimes_steps, lifetimes_outputs),
    "pandas": (pandas_steps, pandas_outputs),
    "DuckDB": (duckdb_steps, duckdb_outputs),
}


def run_pipeline(name: str, context: Context) -> Run:
    """Every step of one pipeline, timed; a failing step is recorded and the steps needing it skipped."""
    run = Run()
    make_steps, make_outputs = PIPELINE_FUNCTIONS[name]
    try:
        steps = make_steps(context)
    except Exception as error:  # e.g. the library does not import
        run.errors = dict.fromkeys(STEPS, _describe(error))
        return run
    state: dict[str, Any] = {}
    for step in STEPS:
        needed = NEEDS.get(step)
        if needed is not None and needed not in state:
            run.errors[step] = f"skipped ({LABELS[needed]} failed)"
            continue
        start = time.perf_counter()
        try:
            state[step] = steps[step](state)
        except Exception as error:
            run.errors[step] = _describe(error)
            continue
        run.seconds[step] = time.perf_counter() - start
    try:
        run.outputs = make_outputs(state)
    except Exception as error:
        run.errors["outputs"] = _describe(error)
    return run


def _describe(error: BaseException) -> str:
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return (
        f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}{place}"
    )


# -- checks ---------------------------------------------------------------------------------------
def differences(step: str, reference: Any, other: Any) -> list[str]:
    """Why ``other`` (a pipeline's output of ``step``) is not loyaldesk's ``reference``; [] when equal."""
    if step == "rfm":
        if not np.array_equal(reference.customer_ids, other.customer_ids):
            return [f"customers differ ({reference.customer_ids.size} vs {other.customer_ids.size})"]
        found = []
        for name in ("frequency", "recency", "age"):
            mine, theirs = getattr(reference, name), getattr(other, name)
            unequal = np.flatnonzero(mine != theirs)
            if unequal.size:
                first = unequal[0]
                found.append(
                    f"{name} differs for {unequal.size} customers, e.g. customer "
                    f"{reference.customer_ids[first]}: {mine[first]!r} vs {theirs[first]!r}"
                )
        relative = np.abs(other.monetary_value - reference.monetary_value) / np.maximum(
            np.abs(reference.monetary_value), np.finfo(float).tiny
        )
        if np.any(relative > MONETARY_TOLERANCE):
            worst = int(np.argmax(relative))
            found.append(
                f"monetary_value differs for {(relative > MONETARY_TOLERANCE).sum()} customers, worst "
                f"{reference.monetary_value[worst]!r} vs {other.monetary_value[worst]!r}"
            )
        return found
    if step in ("bgnbd", "gamma_gamma"):
        return [
            f"{name} = {other[name]:.6g}, loyaldesk {value:.6g}"
            for name, value in reference.items()
            if not abs(other[name] - value) <= PARAMETER_TOLERANCE * abs(value)
        ]
    if step == "cohorts":
        if len(reference) != len(other):
            return [f"{len(other)} cohorts, loyaldesk {len(reference)}"]
        return [
            f"cohort {mine[0]}: {theirs} vs loyaldesk {mine}"
            for mine, theirs in zip(reference, other, strict=True)
            if mine != theirs
        ][:3]
    return []


# -- report ---------------------------------------------------------------------------------------
def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git(*arguments: str) -> str:
    result = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip()


def _milliseconds(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{min(values) * 1000:,.1f} / {statistics.median(values) * 1000:,.1f}"


def print_machine() -> None:
    dirty = " (src/ has uncommitted changes)" if _git("status", "--porcelain", "src") else ""
    print(
        f"# analytics benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{platform.platform()}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{load:.2f}' for load in os.getloadavg())}"
    )
    versions = ", ".join(
        f"{name} {_version(name)}" for name in ("numpy", "scipy", "pandas", "lifetimes", "autograd", "duckdb")
    )
    print(f"Python {platform.python_version()}, {versions}, SQLite {sqlite3.sqlite_version}")
    print(f"loyaldesk commit {_git('rev-parse', '--short', 'HEAD')}{dirty}\n")


def print_table(
    load_seconds: list[float], runs: dict[str, list[Run]], equal: dict[str, bool], repetitions: int
) -> None:
    header = " | ".join(PIPELINES)
    print(f"Best / median of {repetitions} repetitions, ms.\n")
    print(f"| step | {header} | loyaldesk ÷ fastest other (median) | equal |")
    print("|---|" + "---:|" * len(PIPELINES) + "---:|:---:|")
    shared = ["(same facts)"] * (len(PIPELINES) - 1)
    print(f"| {LABELS['load']} | {_milliseconds(load_seconds)} | {' | '.join(shared)} | | |")
    totals: dict[str, dict[str, list[float]]] = {"total": {}, "computation": {}}
    for name in PIPELINES:
        complete = [run.seconds for run in runs[name] if len(run.seconds) == len(STEPS)]
        totals["total"][name] = [sum(seconds.values()) for seconds in complete]
        totals["computation"][name] = [sum(seconds.values()) - seconds["input"] for seconds in complete]
    for step in (*STEPS, "total", "computation"):
        cells, medians = [], {}
        for name in PIPELINES:
            if step in totals:
                values = totals[step][name]
            else:
                values = [run.seconds[step] for run in runs[name] if step in run.seconds]
            error = next((run.errors[step] for run in runs[name] if step in run.errors), None)
            cell = _milliseconds(values) + NOTES.get((name, step), "")
            if error is not None and not values:
                cell = "—" if step in totals else error if error.startswith("skipped") else f"failed: {error}"
            elif values:
                medians[name] = statistics.median(values)
            cells.append(cell)
        others = [value for name, value in medians.items() if name != "loyaldesk"]
        ratio = f"{medians['loyaldesk'] / min(others):.2f}x" if others and "loyaldesk" in medians else "—"
        if step == "input":
            verdict = ""
        elif step in totals:
            verdict = "yes" if all(equal.values()) else "no"
        else:
            verdict = "yes" if equal.get(step, False) else "no"
        label = LABELS[step]
        print(f"| {label} | {' | '.join(cells)} | {ratio} | {verdict} |")
    print(
        "\n† lifetimes has no cohort matrix: its column runs the pandas one.\n"
        "‡ pandas and DuckDB have no CLV models: the same log-likelihoods in numpy, minimised with "
        "scipy's Nelder-Mead.\n"
        "The input row builds each pipeline's input from the facts (a DataFrame, or three lists for "
        "loyaldesk, which converts the datetimes inside its RFM step): the last row leaves it out, as if "
        "the DataFrame came for free.\n"
        "equal: every pipeline's output of the step equals loyaldesk's (RFM exactly, monetary to "
        f"{MONETARY_TOLERANCE:g} relative; parameters to 3 significant figures; cohort cells exactly)."
    )


def print_outputs(runs: dict[str, Run]) -> None:
    reference = runs["loyaldesk"].outputs
    if "rfm" in reference:
        rfm = reference["rfm"]
        print(
            f"\n{rfm.customer_ids.size:,} customers, {int((rfm.frequency > 0).sum()):,} repeat buyers, "
            f"{int(rfm.frequency.sum()):,} repeat purchase days; "
            f"{len(reference.get('cohorts', ())):,} monthly cohorts."
        )
    print("\n| pipeline | r | alpha (weeks) | a | b | p | q | gamma (pence) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, run in runs.items():
        values = [
            f"{run.outputs[step][parameter]:.6g}" if step in run.outputs else "—"
            for step, parameters in (
                ("bgnbd", ("r", "alpha", "a", "b")),
                ("gamma_gamma", ("p", "q", "gamma")),
            )
            for parameter in parameters
        ]
        print(f"| {name} | {' | '.join(values)} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="the Online Retail parquet files"
    )
    parser.add_argument("--database-url", help="an already imported database: skip the import")
    parser.add_argument("--work-dir", type=Path, help="keep the imported database here (default: a temp dir)")
    parser.add_argument("--store", default=STORE_SLUG, help="the store's slug")
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()

    print_machine()
    with tempfile.TemporaryDirectory(prefix="loyaldesk-analytics-") as scratch:
        if args.database_url:
            url = args.database_url
            print(f"Import: skipped, reusing {url.split('@')[-1]}.")
        else:
            work_dir = args.work_dir or Path(scratch)
            work_dir.mkdir(parents=True, exist_ok=True)
            url, seconds, report = import_data(args.data_dir.resolve(), work_dir.resolve(), args.store)
            print(
                "Import with the CLI into SQLite: "
                + ", ".join(f"`loyaldesk {name}` {value:.1f} s" for name, value in seconds.items())
                + f".\n\n```\n{report}\n```"
            )
        compose()
        database = Database(url)
        try:
            exit_code = measure(database, args.store, args.repetitions)
            measure_pages(url, args.store, Path(scratch))
        finally:
            database.dispose()
    sys.exit(exit_code)


def measure(database: Database, slug: str, repetitions: int) -> int:
    """Run, print and check; the exit status (1 when an output differs or a pipeline failed)."""
    load_seconds: list[float] = []
    runs: dict[str, list[Run]] = {name: [] for name in PIPELINES}
    for repetition in range(repetitions):
        start = time.perf_counter()
        facts, time_zone, currency = load_orders(database, slug)
        load_seconds.append(time.perf_counter() - start)
        if not facts:
            raise SystemExit(f"store {slug!r} has no orders")
        last = max(order.placed_at for order in facts)
        context = Context(
            facts,
            last.astimezone(UTC).date() + timedelta(days=1),
            last.astimezone(ZoneInfo(time_zone)).date(),
            time_zone,
        )
        order = PIPELINES[repetition % len(PIPELINES) :] + PIPELINES[: repetition % len(PIPELINES)]
        for name in order:
            runs[name].append(run_pipeline(name, context))
    print(
        f"\n{len(facts):,} orders ({currency}), last placed {last:%Y-%m-%d %H:%M} UTC; observation end "
        f"{context.observation_end} (inclusive), weeks; cohorts by month in {time_zone} through "
        f"{context.through_month:%Y-%m}.\n"
    )
    last_runs = {name: runs[name][-1] for name in PIPELINES}
    reference = last_runs["loyaldesk"].outputs
    found: list[str] = []
    equal: dict[str, bool] = {}
    for step in STEPS[1:]:
        equal[step] = step in reference
        for name in PIPELINES[1:]:
            outputs = last_runs[name].outputs
            if step not in reference or step not in outputs:
                equal[step] = False
                continue
            problems = differences(step, reference[step], outputs[step])
            equal[step] = equal[step] and not problems
            found += [f"{name}, {LABELS[step]}: {problem}" for problem in problems]
    print_table(load_seconds, runs, equal, repetitions)
    print_outputs(last_runs)
    failures = [
        f"{name}, {step}: {error}"
        for name in PIPELINES
        for step, error in last_runs[name].errors.items()
        if not error.startswith("skipped")
    ]
    for label, skip in (("total", ()), ("total without the input row", ("input",))):
        medians = {
            name: statistics.median(totals)
            for name in PIPELINES
            if (
                totals := [
                    sum(value for step, value in run.seconds.items() if step not in skip)
                    for run in runs[name]
                    if len(run.seconds) == len(STEPS)
                ]
            )
        }
        others = {name: value for name, value in medians.items() if name != "loyaldesk"}
        if "loyaldesk" not in medians or not others:
            continue
        fastest = min(others, key=others.__getitem__)
        verdict = "met" if medians["loyaldesk"] <= others[fastest] and all(equal.values()) else "not met"
        print(
            f"\nGoal on the {label} (loyaldesk at least as fast as the fastest other pipeline, medians, with "
            f"identical numbers): {verdict}; loyaldesk {medians['loyaldesk'] * 1000:,.0f} ms, fastest other "
            f"{fastest} {others[fastest] * 1000:,.0f} ms ({medians['loyaldesk'] / others[fastest]:.2f}x); "
            f"outputs {'equal' if all(equal.values()) else 'DIFFER'}."
        )
    for line in failures:
        print(f"FAILED {line}")
    for line in found:
        print(f"DIFFERS {line}")
    print(f"\nload average at the end: {', '.join(f'{load:.2f}' for load in os.getloadavg())}")
    return 1 if failures or found or not all(equal.values()) else 0


# -- pages ----------------------------------------------------------------------------------------
PAGE_REQUESTS = 10
ANALYST = ("bench-analyst@example.com", "bench-analyst-password")


def _analyst(runtime: Any, store_id: int) -> None:
    """An analyst login for the bench (added once), so that a reused database needs no known password."""
    from sqlalchemy import select

    from loyaldesk.kernel.actors import system_for
    from loyaldesk.stores import StaffAccount, hash_password
    from loyaldesk.stores import actions as store_actions

    with runtime.database.read() as session:
        if session.scalar(select(StaffAccount.id).where(StaffAccount.email == ANALYST[0])) is not None:
            return
    runtime.database.write(
        store_actions.add_staff_member,
        system_for(store_id),
        store_id,
        email=ANALYST[0],
        name="Bench analyst",
        role="analyst",
        password_hash=hash_password(ANALYST[1]),
    )


def measure_pages(url: str, slug: str, scratch: Path) -> None:
    """Time the dashboards through the web app: the first request (computed) and cached ones."""
    from fastapi.testclient import TestClient

    from loyaldesk.runtime import Runtime
    from loyaldesk.settings import Settings
    from loyaldesk.web.app import create_app

    settings = Settings(
        database_url=url,
        data_dir=scratch,
        secret_key="bench-analytics",
        cookie_secure=False,
        run_background_jobs=False,
        write_batching=False,
    )
    runtime = Runtime(settings)
    with runtime.database.read() as session:
        store = store_by_slug(session, slug)
        last = max(order.placed_at for order in order_facts(session, store)).astimezone(
            ZoneInfo(store.timezone)
        )
    _analyst(runtime, store.id)
    day = last.date()
    base = f"/console/{slug}/analytics"
    pages = {
        "Retention and cohorts (90 days)": f"{base}?from={day - timedelta(days=89)}&to={day}",
        "Customer segments": f"{base}/segments?as_of={day}",
        "a segment opened (champions)": f"{base}/segments?as_of={day}&segment=champions",
        "Value and churn risk": f"{base}/value?as_of={day}",
        "Support and loyalty impact": (
            f"{base}/impact?from={day - timedelta(days=269)}&to={day - timedelta(days=180)}"
        ),
    }
    rows = []
    with TestClient(create_app(runtime=runtime), base_url="http://127.0.0.1") as client:
        login = client.get("/login")
        token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        email, password = ANALYST
        answer = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
        )
        if answer.status_code != 303:
            print(f"\nPages: could not log in as {email} ({answer.status_code}); skipped.")
            return
        for label, path in pages.items():
            start = time.perf_counter()
            first = client.get(path)
            cold = time.perf_counter() - start
            cached = []
            for _ in range(PAGE_REQUESTS):
                start = time.perf_counter()
                response = client.get(path)
                cached.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
            rows.append((label, first.status_code, cold, statistics.median(cached), max(cached)))
    runtime.database.dispose()
    print(
        f"\nDashboard pages through the web app (in-process), dated {day}; "
        f"{PAGE_REQUESTS} cached requests each, ms.\n"
    )
    print("| page | first request (computes) | cached, median | cached, worst | under 200 ms |")
    print("|---|---:|---:|---:|:---:|")
    for label, status, cold, median, worst in rows:
        ok = "yes" if worst < 0.2 and status == 200 else "no"
        print(f"| {label} | {cold * 1000:,.0f} | {median * 1000:,.1f} | {worst * 1000:,.1f} | {ok} |")


if __name__ == "__main__":
    main()
