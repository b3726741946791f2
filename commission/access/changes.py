"""Why a rep's pay changed between two stored batches, for whoever may see that rep's pay."""

from __future__ import annotations

from typing import Any

from commission.access.identity import Identity
from commission.access.pay import _scope, _viewed, statement
from commission.payroll import lifecycle
from commission.reports.explain import Explanation, Side, explain_change
from commission.store import Store, batchdb


def _batch_of(store: Store, period: str) -> dict[str, Any]:
    with store.read() as conn:
        b = batchdb.by_period(conn, period)
    if b is None:
        raise lifecycle.BatchError(f"no batch for {period} (commission batch list)")
    return b


def batch_side(store: Store, batch: dict[str, Any], rep_id: str) -> Side:
    """A rep's payout in a stored batch, with the base batch's row (for draw recovery)."""
    bid = int(batch["batch_id"])
    lines = lifecycle.batch_lines(store, bid, rep_id)  # the rep's only (indexed)
    payouts = lifecycle.batch_payouts(store, bid)
    row = payouts[payouts["rep_id"] == rep_id]
    previous = previous_plans = None
    if batch.get("base_batch_id"):
        base = lifecycle.batch_payouts(store, int(batch["base_batch_id"]))
        prev = base[base["rep_id"] == rep_id]
        previous = None if prev.empty else prev.iloc[0].to_dict()
        previous_plans = lifecycle.batch_plans(store, int(batch["base_batch_id"]))
    label = f"{batch['period']} (batch {bid}, {batch['status']})"
    return Side(label, lines.reset_index(drop=True),
                None if row.empty else row.iloc[0].to_dict(), lifecycle.batch_plans(store, bid),
                previous, previous_plans)


def explain_pay(identity: Identity, store: Store, rep_id: str, period_from: str,
                period_to: str) -> Explanation:
    """The waterfall from a rep's payout in the batch of ``period_from`` to ``period_to``'s."""
    _scope(identity, store, f"explain:{rep_id}", rep_id)
    before, after = _batch_of(store, period_from), _batch_of(store, period_to)
    result = explain_change(rep_id, batch_side(store, before, rep_id),
                            batch_side(store, after, rep_id))
    _viewed(identity, store, f"batch:{after['batch_id']}", [rep_id], False)
    return result


def previous_period(store: Store, period: str) -> str | None:
    """The latest period before ``period`` that has a batch (what the rep saw last time)."""
    with store.read() as conn:
        earlier = [b["period"] for b in batchdb.all_batches(conn) if b["period"] < period]
    return max(earlier) if earlier else None


def compared_data(explained: Explanation) -> dict[str, Any]:
    """What a statement shows of a waterfall: the sentence, and one row per step."""
    return {"sentence": explained.sentence(), "before_label": explained.before_label,
            "before": explained.before, "after": explained.after, "change": explained.change,
            "items": [{"label": c.label, "amount": c.amount, "lines": len(c.lines)}
                      for c in explained.nonzero()],
            "rows": [{"step": r["step"], "amount": r["amount"]}
                     for r in explained.frame().to_dict("records")]}


def inquiry_rows(identity: Identity, store: Store, rep_id: str, period: str
                 ) -> list[dict[str, Any]]:
    """The rep's inquiries raised on or rolled into ``period``, as a statement shows them."""
    from commission.access.inquiries import list_inquiries

    frame = list_inquiries(identity, store, rep_id=rep_id)
    keep = (frame["period"] == period) | (frame["opened_period"] == period)
    cols = ["reference", "line_kind", "event_id", "reason_text", "comment", "status", "answer",
            "answered_by", "correction_amount"]
    return frame.loc[keep, cols].to_dict("records")


def statement_with_changes(identity: Identity, store: Store, batch_id: int, rep_id: str,
                           as_of: Any = None) -> dict[str, Any]:
    """A statement's data (:func:`commission.access.statement`), with "Compared with last
    month" (the batch of the latest earlier period, when there is one) and the rep's
    inquiries and their answers."""
    data = statement(identity, store, batch_id, rep_id, as_of)
    earlier = previous_period(store, data["period"])
    if earlier is not None:
        data["compared"] = compared_data(explain_pay(identity, store, rep_id, earlier,
                                                     data["period"]))
    data["inquiries"] = inquiry_rows(identity, store, rep_id, data["period"])
    return data


__all__ = ["batch_side", "compared_data", "explain_pay", "inquiry_rows", "previous_period",
           "statement_with_changes"]
