"""The sample data generator: the validator's invariants, realism, determinism, files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commission.inputs import ADJUSTMENT_KINDS, COLUMNS, ID_COLUMN
from commission.sample import ACCELERATOR, DRAW, OVERRIDE, PLAN_IDS, generate, write_sample

ALL_PLANS = (*PLAN_IDS, ACCELERATOR, DRAW, OVERRIDE)

RULES = Path(__file__).resolve().parents[1] / "rules"
MONEY = r"-?\d+\.\d{2}"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def cents(values: pd.Series) -> pd.Series:
    """Exact int64 cents of two-decimal money strings (never through floats)."""
    assert values.str.fullmatch(MONEY).all(), values[~values.str.fullmatch(MONEY)].head()
    return values.str.replace(".", "", regex=False).astype("int64")


def as_dates(values: pd.Series) -> pd.Series:
    assert values.str.fullmatch(ISO_DATE).all()
    return pd.to_datetime(values, format="%Y-%m-%d")


def check_invariants(t: dict[str, pd.DataFrame]) -> None:  # noqa: PLR0915 - one assertion per invariant
    """Every rule the project's validator enforces on the input tables."""
    assert list(t) == list(COLUMNS)
    for name, frame in t.items():
        assert list(frame.columns) == COLUMNS[name], name
        assert not frame.isna().any().any(), name
        assert frame.map(lambda v: isinstance(v, str)).all().all(), name
    reps, customers, invoices = t["reps"], t["customers"], t["invoices"]
    splits, payments, adjustments, disputes = (
        t["splits"],
        t["payments"],
        t["adjustments"],
        t["disputes"],
    )

    # ids unique, references known
    for name, column in ID_COLUMN.items():
        assert t[name][column].is_unique, name
        assert (t[name][column] != "").all(), name
    rep_ids, invoice_ids = set(reps.rep_id), set(invoices.invoice_id)
    assert set(invoices.customer_id) <= set(customers.customer_id)
    assert set(invoices.rep_id) <= rep_ids
    assert set(splits.rep_id) <= rep_ids
    managers = reps.manager_id[reps.manager_id != ""]
    assert set(managers) <= rep_ids
    assert set(reps.plan_id) <= set(ALL_PLANS)
    for table in ("splits", "payments", "adjustments", "disputes"):
        assert set(t[table].invoice_id) <= invoice_ids, table
    assert not splits.duplicated(["invoice_id", "rep_id"]).any()

    # amounts
    amount = cents(invoices.amount)
    assert (amount > 0).all()
    assert (amount < 10_000_000_000_00).all()
    adj = cents(adjustments.amount) * np.where(
        adjustments.kind == "write_off_reversal", -1, 1)
    assert (adj != 0).all()  # write_off_reversal rows count negative
    assert set(adjustments.kind) <= set(ADJUSTMENT_KINDS)
    paid = cents(payments.amount)
    assert (paid != 0).all()

    # dates
    invoice_date = as_dates(invoices.invoice_date)
    assert (as_dates(invoices.due_date) >= invoice_date).all()
    date_of_invoice = dict(zip(invoices.invoice_id, invoices.invoice_date, strict=True))
    for table, column in (
        ("payments", "payment_date"),
        ("adjustments", "adjustment_date"),
        ("disputes", "opened_date"),
    ):
        frame = t[table]
        as_dates(frame[column])
        assert (frame[column] >= frame.invoice_id.map(date_of_invoice)).all(), table
    resolved = disputes[disputes.resolved_date != ""]
    as_dates(resolved.resolved_date)
    assert (resolved.resolved_date >= resolved.opened_date).all()

    # reversals: of a positive payment of the same invoice, dated on/after it, never exceeding it
    positive = payments[paid > 0]
    negative = payments[paid < 0]
    assert (positive.reverses_payment_id == "").all()
    assert (negative.reverses_payment_id != "").all()
    target = positive.set_index("payment_id")
    assert set(negative.reverses_payment_id) <= set(target.index)
    reversed_ = target.loc[negative.reverses_payment_id]
    assert (reversed_.invoice_id.to_numpy() == negative.invoice_id.to_numpy()).all()
    assert (reversed_.payment_date.to_numpy() <= negative.payment_date.to_numpy()).all()
    reversed_total = (-paid[paid < 0]).groupby(negative.reverses_payment_id.to_numpy()).sum()
    original = cents(target.amount).loc[reversed_total.index]
    assert (reversed_total <= original).all()

    # for every invoice at every date: payments (net) + adjustments <= amount, payments >= 0
    events = pd.concat(
        [
            pd.DataFrame(
                {"invoice_id": payments.invoice_id, "day": payments.payment_date, "c": paid}
            ),
            pd.DataFrame(
                {"invoice_id": adjustments.invoice_id, "day": adjustments.adjustment_date, "c": adj}
            ),
        ]
    )
    for frame, what in ((events, "all"), (events.iloc[: len(payments)], "payments")):
        daily = frame.groupby(["invoice_id", "day"], sort=True).c.sum().reset_index()
        running = daily.groupby("invoice_id").c.cumsum()
        limit = daily.invoice_id.map(dict(zip(invoices.invoice_id, amount, strict=True)))
        assert (running <= limit).all(), what
        if what == "payments":
            assert (running >= 0).all()

    # split shares: each in (0, 1], exactly 1 per invoice, the owner among them
    shares = splits.share.map(Decimal)
    assert ((shares > 0) & (shares <= 1)).all()
    assert all(total == Decimal(1) for total in shares.groupby(splits.invoice_id).sum())
    owner = splits.invoice_id.map(dict(zip(invoices.invoice_id, invoices.rep_id, strict=True)))
    assert (splits.rep_id == owner).groupby(splits.invoice_id).any().all()


@pytest.fixture(scope="module")
def small() -> dict[str, pd.DataFrame]:
    return generate(400)


@pytest.fixture(scope="module")
def medium() -> dict[str, pd.DataFrame]:
    return generate(3000, seed=11)


@pytest.mark.parametrize(
    ("n", "seed"), [(400, 7), (400, 1), (3000, 2024), (1, 3), (25, 5), (20_000, 8)]
)
def test_invariants_hold(n: int, seed: int) -> None:
    check_invariants(generate(n, seed=seed))


def test_invariants_hold_for_another_window() -> None:
    t = generate(300, seed=4, start=date(2023, 1, 15), months=6)
    check_invariants(t)
    assert t["invoices"].invoice_date.min() >= "2023-01-15"
    assert t["invoices"].invoice_date.max() < "2023-07-15"
    assert t["payments"].payment_date.max() <= "2023-08-03"


def test_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError):
        generate(0)
    with pytest.raises(ValueError):
        generate(10, months=0)


def test_reps_managers_and_plans(small: dict[str, pd.DataFrame]) -> None:
    reps = small["reps"]
    assert len(reps) == 12
    assert reps.rep_id.str.fullmatch(r"R\d{3}").all()
    assert reps.email.str.fullmatch(r"[a-z]+\.[a-z]+\d*@example\.com").all()
    assert reps.email.is_unique and reps.name.is_unique
    managers = set(reps.manager_id) - {""}
    assert 2 <= len(managers) <= 3
    assert (reps.set_index("rep_id").loc[sorted(managers), "manager_id"] == "").all()
    assert (reps.manager_id == "").sum() == len(managers)  # everybody else reports to one
    counts = reps.plan_id.value_counts()
    assert {DRAW, OVERRIDE} <= set(counts.index) <= set(ALL_PLANS)
    for plan in ALL_PLANS:
        assert (RULES / f"{plan}.yaml").is_file()
    assert len(generate(40_000)["reps"]) == 16  # max(12, n // 2500)


def test_customers_own_their_invoices(medium: dict[str, pd.DataFrame]) -> None:
    customers, invoices = medium["customers"], medium["invoices"]
    assert len(customers) == 250
    assert len(generate(60)["customers"]) == 30
    assert customers.customer_id.str.fullmatch(r"C\d{4}").all()
    assert set(customers.segment) == {"enterprise", "mid-market", "smb", ""}
    assert (invoices.groupby("customer_id").rep_id.nunique() == 1).all()
    assert invoices.customer_id.nunique() > 0.9 * len(customers)


def test_invoices_look_like_invoices(medium: dict[str, pd.DataFrame]) -> None:
    invoices = medium["invoices"]
    assert list(invoices.invoice_id[:3]) == ["I000001", "I000002", "I000003"]
    assert invoices.invoice_date.is_monotonic_increasing
    assert invoices.invoice_date.min() >= "2024-11-01"
    assert invoices.invoice_date.max() <= "2026-10-31"
    assert invoices.invoice_date.str[:7].nunique() == 24
    terms = (as_dates(invoices.due_date) - as_dates(invoices.invoice_date)).dt.days
    assert set(terms) == {15, 30, 45, 60}
    amount = cents(invoices.amount)
    assert amount.min() >= 200_00 and amount.max() <= 80_000_00
    assert amount.median() < amount.mean()  # skewed to the right
    assert (amount % 100 != 0).mean() > 0.9  # real cents


def test_payments_instalments_bounces_and_tail(medium: dict[str, pd.DataFrame]) -> None:
    payments, invoices = medium["payments"], medium["invoices"]
    paid = cents(payments.amount)
    assert list(payments.payment_id[:2]) == ["P0000001", "P0000002"]
    assert payments.payment_date.is_monotonic_increasing
    assert 1.45 <= len(payments) / len(invoices) <= 1.75
    per_invoice = payments[paid > 0].groupby("invoice_id").size()
    assert (per_invoice == 1).mean() > 0.5  # most invoices are paid in one go
    assert (per_invoice >= 2).sum() > 0.25 * len(per_invoice)  # partial payments
    assert (per_invoice >= 3).any()
    reversals = payments[paid < 0]
    assert 0.01 <= len(reversals) / (paid > 0).sum() <= 0.06
    # a bounced payment is reversed 3-20 days later and paid again afterwards
    bounced = payments.set_index("payment_id").loc[reversals.reverses_payment_id]
    delay = (
        as_dates(reversals.payment_date).to_numpy() - as_dates(bounced.payment_date).to_numpy()
    ).astype("timedelta64[D]")
    assert (delay.astype(int) >= 3).all() and (delay.astype(int) <= 20).all()
    assert (cents(bounced.amount).to_numpy() == -paid[paid < 0].to_numpy()).all()
    again = payments[paid > 0].merge(
        reversals[["invoice_id", "payment_date"]], on="invoice_id", suffixes=("", "_rev")
    )
    again = again[again.payment_date > again.payment_date_rev]
    assert again.invoice_id.nunique() >= 0.8 * reversals.invoice_id.nunique()
    # the collection tail runs past the last invoice month, up to the as-of date
    assert (payments.payment_date > "2026-10-31").any()
    assert payments.payment_date.max() <= "2026-11-20"


def test_adjustments(medium: dict[str, pd.DataFrame]) -> None:
    adjustments, invoices = medium["adjustments"], medium["invoices"]
    assert set(adjustments.kind) == set(ADJUSTMENT_KINDS)
    assert adjustments.adjustment_date.max() <= "2026-11-20"
    amount = dict(zip(invoices.invoice_id, cents(invoices.amount), strict=True))
    inv_date = dict(zip(invoices.invoice_id, as_dates(invoices.invoice_date), strict=True))
    adj = adjustments.assign(
        c=cents(adjustments.amount),
        amount=adjustments.invoice_id.map(amount),
        age=(as_dates(adjustments.adjustment_date) - adjustments.invoice_id.map(inv_date)).dt.days,
    )
    discounts = adj[adj.kind == "discount"]
    ratio = discounts.c / discounts.amount
    assert ratio.between(0.013, 0.0201).all() and ratio.median() > 0.0195
    assert (discounts.age <= 10).all()  # taken for early payment
    payments = medium["payments"]
    paid_on = set(zip(payments.invoice_id, payments.payment_date, strict=True))
    assert all(
        pair in paid_on
        for pair in zip(discounts.invoice_id, discounts.adjustment_date, strict=True)
    )
    credits = adj[adj.kind == "credit_note"]
    assert (credits.c < credits.amount).all()
    assert 0.03 < credits.invoice_id.nunique() / len(invoices) < 0.2
    write_offs = adj[adj.kind == "write_off"]
    assert write_offs.age.min() >= 120
    assert (write_offs.age <= 365).any() and (write_offs.age > 365).any()
    assert (write_offs.age <= 180).any() and (write_offs.age > 180).any()
    # written-off invoices: some partly paid first, some never paid
    paid_invoices = set(payments.invoice_id)
    assert write_offs.invoice_id.isin(paid_invoices).any()
    assert (~write_offs.invoice_id.isin(paid_invoices)).any()


def test_splits(medium: dict[str, pd.DataFrame]) -> None:
    splits = medium["splits"]
    assert splits.invoice_id.nunique() == 60  # 2% of 3000
    assert (splits.groupby("invoice_id").size() == 2).all()
    assert set(splits.share) <= {"0.5", "0.6", "0.4", "0.7", "0.3"}
    assert len(set(splits.share)) == 5


def test_disputes(medium: dict[str, pd.DataFrame]) -> None:
    disputes, invoices = medium["disputes"], medium["invoices"]
    assert disputes.dispute_id.str.fullmatch(r"D\d{6}").all()
    still_open = disputes[disputes.resolved_date == ""]
    resolved = disputes[disputes.resolved_date != ""]
    assert 0 < len(still_open) < 0.3 * len(disputes)
    days = (as_dates(resolved.resolved_date) - as_dates(resolved.opened_date)).dt.days
    assert days.between(10, 60).all()
    assert disputes.invoice_id.duplicated().any()  # some invoices are disputed twice
    # disputes cluster on the disputing customers
    customer = disputes.invoice_id.map(
        dict(zip(invoices.invoice_id, invoices.customer_id, strict=True))
    )
    per_customer = customer.value_counts()
    assert per_customer.iloc[0] >= 5
    assert disputes.invoice_id.nunique() < 0.2 * len(invoices)


def test_habits_show_in_lateness(medium: dict[str, pd.DataFrame]) -> None:
    payments, invoices = medium["payments"], medium["invoices"]
    positive = payments[cents(payments.amount) > 0]
    due = positive.invoice_id.map(
        dict(zip(invoices.invoice_id, as_dates(invoices.due_date), strict=True))
    )
    late = (as_dates(positive.payment_date) - due).dt.days
    customer = positive.invoice_id.map(
        dict(zip(invoices.invoice_id, invoices.customer_id, strict=True))
    )
    median = late.groupby(customer.to_numpy()).median()
    assert (median <= 0).sum() >= 20  # prompt payers
    assert median.between(5, 30).sum() >= 10  # slow payers
    assert (median > 30).sum() >= 10  # chronically late
    assert (median > 60).any()


def test_deterministic(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_sample(a, 400, seed=3)
    write_sample(b, 400, seed=3)
    write_sample(c, 400, seed=4)
    for name in COLUMNS:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name
    for name in ("customers", "invoices", "payments", "adjustments", "disputes", "splits"):
        assert (a / f"{name}.csv").read_bytes() != (c / f"{name}.csv").read_bytes(), name
    first, second = generate(400, seed=9), generate(400, seed=9)
    for name in COLUMNS:
        pd.testing.assert_frame_equal(first[name], second[name])


def test_write_sample_writes_the_seven_files(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "sample"
    (out.parent).mkdir()
    out.mkdir()
    (out / "invoices.csv").write_text("stale\n")
    counts = write_sample(out, n_invoices=400, seed=5)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in COLUMNS)
    assert list(counts) == list(COLUMNS)
    expected = generate(400, seed=5)
    for name, columns in COLUMNS.items():
        raw = (out / f"{name}.csv").read_bytes()
        assert b"\r" not in raw
        lines = raw.decode("utf-8").splitlines()
        assert lines[0] == ",".join(columns)
        assert len(lines) - 1 == counts[name] == len(expected[name])
        back = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
        assert back.equals(expected[name].astype(object)) or (
            back.to_numpy().tolist() == expected[name].to_numpy().tolist()
        )
    assert counts["splits"] > 0 and counts["disputes"] > 0
    assert (out / "invoices.csv").read_text().splitlines()[1].startswith("I000001,C")


def test_write_sample_accepts_a_string_path(tmp_path: Path) -> None:
    counts = write_sample(str(tmp_path / "new"), n_invoices=50, seed=1)
    assert counts["invoices"] == 50
    assert (tmp_path / "new" / "reps.csv").is_file()
