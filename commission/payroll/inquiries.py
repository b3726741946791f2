"""Inquiries on draft statements: a rep questions a line, finance answers, resolves or declines.

A rep flags a line of a draft (or approved, not yet locked) batch, or the
statement as a whole, with a reason from :data:`REASONS` and a comment. Finance
answers it (it stays open), resolves it with a correction, or declines it with an
answer. A correction is a manual line for the rep, dated the last day of the
inquiry's period, whose id is the inquiry's reference (``INQ-000012``): the rows
:func:`commission_adjustments` hands back are part 2's ``commission_adjustments``,
so the next run of the draft pays it. Open inquiries hold up an approval unless it
acknowledges them, and roll to the next period when their batch locks
(:func:`commission.payroll.lifecycle.lock`). Every step is recorded with who and when.

Free text is sanitised, not refused: control characters are removed (line
breaks kept), and text is cut to a length limit.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import pandas as pd

from commission.payroll.lifecycle import BatchError
from commission.periods import add_months
from commission.store import Store, batchdb
from commission.store import inquiries as db
from commission.store.db import utcnow

REASONS = db.REASONS
MAX_COMMENT = 1000
MAX_ANSWER = 2000
#: what a list of inquiries shows, in order
COLUMNS = ["inquiry_id", "reference", "rep_id", "period", "opened_period", "batch_id",
           "line_kind", "event_id", "invoice_id", "reason", "reason_text", "comment", "status",
           "opened_by", "opened_at", "answer", "answered_by", "answered_at", "rolled",
           "correction_amount"]


def clean_text(value: object, most: int) -> str:
    """Text with control characters removed (line breaks kept), trimmed, cut to ``most``."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) not in
                   ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = text.strip()
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def period_end(period: str) -> dt.date:
    first = dt.date.fromisoformat(f"{period}-01")
    return add_months(first, 1) - dt.timedelta(days=1)


def next_period(period: str) -> str:
    return add_months(dt.date.fromisoformat(f"{period}-01"), 1).isoformat()[:7]


# ----------------------------------------------------------------------------- opening


def _line_of(conn, batch_id: int, rep_id: str, line_kind: str | None,
             event_id: str | None) -> dict[str, Any]:
    if not event_id:
        return {"line_kind": None, "event_id": None, "invoice_id": None}
    lines = batchdb.read_lines(conn, batch_id)
    mine = lines[(lines["rep_id"] == rep_id) & (lines["event_id"] == event_id)]
    if line_kind:
        mine = mine[mine["line_kind"] == line_kind]
    if mine.empty:
        raise BatchError(f"batch {batch_id} has no line {line_kind or ''} {event_id} of rep "
                         f"{rep_id}".replace("  ", " "))
    row = mine.iloc[0]
    invoice = row["invoice_id"]
    return {"line_kind": str(row["line_kind"]), "event_id": str(event_id),
            "invoice_id": None if pd.isna(invoice) or invoice == "" else str(invoice)}


def open_inquiry(store: Store, batch_id: int, rep_id: str, reason: str, comment: str, by: str,
                 line_kind: str | None = None, event_id: str | None = None) -> dict[str, Any]:
    """Flag a line (``event_id``, optionally ``line_kind``) or the statement; the new inquiry."""
    if reason not in REASONS:
        raise BatchError(f"unknown reason {str(reason)[:30]!r}; one of {', '.join(REASONS)}")
    comment = clean_text(comment, MAX_COMMENT)
    if reason == "other" and not comment:
        raise BatchError("say what is wrong: a comment is needed with the reason 'other'")
    with store.write() as conn:
        b = batchdb.get(conn, int(batch_id))
        if b is None:
            raise BatchError(f"no batch {batch_id}")
        if b["status"] == "locked":
            raise BatchError(f"batch {batch_id} ({b['period']}) is locked; inquiries are raised "
                             "on draft statements")
        if rep_id not in set(batchdb.read_payouts(conn, int(batch_id))["rep_id"]):
            raise BatchError(f"rep {rep_id!r} has no statement in batch {batch_id}")
        line = _line_of(conn, int(batch_id), rep_id, line_kind, event_id)
        inquiry_id = db.add(conn, {"rep_id": rep_id, "period": b["period"],
                                   "opened_period": b["period"], "batch_id": int(batch_id),
                                   "reason": reason, "comment": comment, "opened_by": by,
                                   **line}, utcnow())
    return get(store, inquiry_id)


# ----------------------------------------------------------------------------- answering


def _open_one(conn, inquiry_id: int) -> dict[str, Any]:
    row = db.get(conn, inquiry_id)
    if row is None:
        raise BatchError(f"no inquiry {inquiry_id}")
    if row["status"] != "open":
        raise BatchError(f"inquiry {db.reference(inquiry_id)} is already {row['status']}")
    return row


def _answer_text(answer: str) -> str:
    text = clean_text(answer, MAX_ANSWER)
    if not text:
        raise BatchError("an answer is needed (what the rep will read)")
    return text


def answer(store: Store, inquiry_id: int, text: str, by: str) -> dict[str, Any]:
    """Answer an open inquiry; it stays open (a question back, or a note while it is checked)."""
    text = _answer_text(text)
    with store.write() as conn:
        _open_one(conn, inquiry_id)
        at = utcnow()
        db.set_answer(conn, inquiry_id, "open", text, by, at)
        db.log(conn, inquiry_id, by, "answer", at, {})
    return get(store, inquiry_id)


def resolve(store: Store, inquiry_id: int, text: str, amount_cents: int, by: str
            ) -> dict[str, Any]:
    """Resolve an open inquiry with a correction: a manual line of ``amount_cents`` (≠ 0)."""
    text = _answer_text(text)
    if int(amount_cents) == 0:
        raise BatchError("a correction of 0.00 corrects nothing; decline the inquiry instead")
    with store.write() as conn:
        row = _open_one(conn, inquiry_id)
        at = utcnow()
        ref = db.reference(inquiry_id)
        db.add_correction(conn, {
            "commission_adjustment_id": ref, "inquiry_id": int(inquiry_id),
            "rep_id": row["rep_id"], "adjustment_date": period_end(row["period"]),
            "amount": int(amount_cents), "reason": clean_text(f"Inquiry {ref}: {text}", 500),
            "recorded_by": by, "recorded_at": at})
        db.set_answer(conn, inquiry_id, "resolved", text, by, at)
        db.log(conn, inquiry_id, by, "resolve", at, {"amount": int(amount_cents)})
    return get(store, inquiry_id)


def decline(store: Store, inquiry_id: int, text: str, by: str) -> dict[str, Any]:
    """Decline an open inquiry with an answer the rep reads."""
    text = _answer_text(text)
    with store.write() as conn:
        _open_one(conn, inquiry_id)
        at = utcnow()
        db.set_answer(conn, inquiry_id, "declined", text, by, at)
        db.log(conn, inquiry_id, by, "decline", at, {})
    return get(store, inquiry_id)


# ----------------------------------------------------------------------------- reading


def _present(frame: pd.DataFrame, fixes: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.insert(1, "reference", [db.reference(i) for i in out["inquiry_id"]])
    out["reason_text"] = [REASONS.get(r, r) for r in out["reason"]]
    amounts = dict(zip(fixes["inquiry_id"], fixes["amount"], strict=True))
    out["correction_amount"] = [amounts.get(i) for i in out["inquiry_id"]]
    return out[COLUMNS].astype(object).where(out[COLUMNS].notna(), None)


def inquiries(store: Store, batch_id: int | None = None, rep_id: str | None = None,
              period: str | None = None, status: str | None = None) -> pd.DataFrame:
    """Inquiries matching every filter given, oldest first, with reference and correction."""
    with store.read() as conn:
        frame = db.find(conn, batch_id=batch_id, rep_id=rep_id, period=period, status=status)
        fixes = db.corrections(conn, rep_id)
    return _present(frame, fixes)


def get(store: Store, inquiry_id: int) -> dict[str, Any]:
    with store.read() as conn:
        frame = db.find(conn, inquiry_id=int(inquiry_id))
        fixes = db.corrections(conn)
    if frame.empty:
        raise BatchError(f"no inquiry {inquiry_id}")
    return _present(frame, fixes).iloc[0].to_dict()


def history(store: Store, inquiry_id: int) -> pd.DataFrame:
    """Every step of an inquiry: at, actor, action, details."""
    with store.read() as conn:
        return db.events(conn, inquiry_id)


def open_count(store: Store, period: str) -> int:
    with store.read() as conn:
        return db.open_in(conn, period)


def commission_adjustments(store: Store, rep_id: str | None = None) -> pd.DataFrame:
    """The corrections as part 2's ``commission_adjustments`` rows (amount in int cents)."""
    with store.read() as conn:
        fixes = db.corrections(conn, rep_id)
    return fixes[db.ADJUSTMENT_COLUMNS].reset_index(drop=True)


__all__ = ["COLUMNS", "MAX_ANSWER", "MAX_COMMENT", "REASONS", "answer", "clean_text",
           "commission_adjustments", "decline", "get", "history", "inquiries", "next_period",
           "open_count", "open_inquiry", "period_end", "resolve"]
