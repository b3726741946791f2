"""Inquiries as a known person: a rep flags their own lines; finance answers, resolves, declines.

Who may do what:

- open: the rep whose statement it is (``identity.rep_id``), and no one else — a
  manager or finance cannot put words in a rep's mouth. In local mode (one person on
  one machine, no sign-in) the local administrator may open one for any rep.
- read: whoever may see the rep's pay (the rep, their managers, finance, approvers,
  administrators); a list holds only the reps one may see.
- answer, resolve (with a correction), decline: finance (``inquiry.answer``).

Every action is recorded in the audit log (``inquiry.open``, ``inquiry.answer``,
``inquiry.resolve``, ``inquiry.decline``), refusals too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from commission.access.identity import Identity, record, refuse, require
from commission.access.pay import _scope
from commission.payroll import inquiries as rules
from commission.payroll.lifecycle import BatchError
from commission.store import Store


def _obj(inquiry_id: int) -> str:
    return f"inquiry:{int(inquiry_id)}"


def _done(store: Store, identity: Identity, action: str, obj: str,
          work: Callable[[], dict[str, Any]], **details: Any) -> dict[str, Any]:
    try:
        row = work()
    except BatchError as exc:
        record(store, identity, action, obj, "failed", error=str(exc), **details)
        raise
    record(store, identity, action, _obj(row["inquiry_id"]), reference=row["reference"],
           rep=row["rep_id"], period=row["period"], status=row["status"], **details)
    return row


def open_inquiry(identity: Identity, store: Store, batch_id: int, rep_id: str, reason: str,
                 comment: str = "", line_kind: str | None = None,
                 event_id: str | None = None) -> dict[str, Any]:
    """Flag a line of one's own draft statement (or the statement as a whole)."""
    obj = f"batch:{batch_id}"
    if identity.rep_id != rep_id and not identity.local:
        raise refuse(store, identity, "inquiry.open", obj,
                     f"{identity.label} may only raise inquiries on their own statement, "
                     f"not rep {rep_id}'s", rep=rep_id)
    return _done(store, identity, "inquiry.open", obj,
                 lambda: rules.open_inquiry(store, batch_id, rep_id, reason, comment,
                                            identity.email, line_kind, event_id),
                 batch=int(batch_id), line=event_id or "statement", reason=reason)


def list_inquiries(identity: Identity, store: Store, batch_id: int | None = None,
                   rep_id: str | None = None, period: str | None = None,
                   status: str | None = None) -> pd.DataFrame:
    """Inquiries one may see (a rep: their own; managers: their team; finance: all)."""
    reps = _scope(identity, store, "inquiries", rep_id)
    frame = rules.inquiries(store, batch_id, rep_id, period, status)
    if reps is not None:
        frame = frame[frame["rep_id"].isin(sorted(reps))].reset_index(drop=True)
    return frame


def get_inquiry(identity: Identity, store: Store, inquiry_id: int) -> dict[str, Any]:
    row = rules.get(store, inquiry_id)
    _scope(identity, store, _obj(inquiry_id), row["rep_id"])
    return row


def _finance(identity: Identity, store: Store, inquiry_id: int, what: str) -> None:
    require(store, identity, "inquiry.answer", _obj(inquiry_id),
            f"{what} inquiry {inquiry_id}")


def answer_inquiry(identity: Identity, store: Store, inquiry_id: int, text: str
                   ) -> dict[str, Any]:
    """Answer an inquiry and leave it open (finance)."""
    _finance(identity, store, inquiry_id, "answer")
    return _done(store, identity, "inquiry.answer", _obj(inquiry_id),
                 lambda: rules.answer(store, inquiry_id, text, identity.email))


def resolve_inquiry(identity: Identity, store: Store, inquiry_id: int, text: str,
                    amount_cents: int) -> dict[str, Any]:
    """Resolve an inquiry with a correction, a manual line for the rep (finance)."""
    _finance(identity, store, inquiry_id, "resolve")
    return _done(store, identity, "inquiry.resolve", _obj(inquiry_id),
                 lambda: rules.resolve(store, inquiry_id, text, amount_cents, identity.email),
                 amount=int(amount_cents))


def decline_inquiry(identity: Identity, store: Store, inquiry_id: int, text: str
                    ) -> dict[str, Any]:
    """Decline an inquiry with an answer (finance)."""
    _finance(identity, store, inquiry_id, "decline")
    return _done(store, identity, "inquiry.decline", _obj(inquiry_id),
                 lambda: rules.decline(store, inquiry_id, text, identity.email))


__all__ = ["answer_inquiry", "decline_inquiry", "get_inquiry", "list_inquiries",
           "open_inquiry", "resolve_inquiry"]
