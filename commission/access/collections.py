"""The collections desk as a known person: worklists, credit signal, records, messages.

Who may do what (``PERMISSIONS`` in :mod:`commission.access.identity`):

- the whole worklist and credit signal: collector, credit, finance, admin; anyone
  else linked to a rep sees their own rows (a manager also their team's) and the
  credit signal of those reps' customers; seeing everyone's pay (an approver) is
  not a desk role;
- log a contact: collector, credit, finance; a rep on invoices credited to them;
- open or resolve a dispute: collector, credit, finance;
- record a payment arrangement: credit, finance (reps never negotiate terms);
- send (or preview) the monthly summaries and ladder messages: credit, finance, admin;
- collection performance: collector, credit, finance, admin, manager.

A refusal raises AccessDenied and is recorded in the audit log; every record and
every sending is recorded too (``failed`` when the desk finds problems in the
entry). The worklist carries each rep's commission at stake, so showing rows of
another rep is recorded as a view of their pay, like every other read of pay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from commission.access.actions import _perform
from commission.access.identity import PERMISSIONS, AccessDenied, Identity, record, refuse, require
from commission.access.pay import _keep, _reps, _viewed, team_of
from commission.collections import desk
from commission.collections.credit import credit_signal
from commission.collections.ladder import CreditThresholds, Ladder
from commission.collections.messages import OutMessage, SendReport, SmtpSettings, send
from commission.collections.performance import by_rep, by_step
from commission.collections.worklist import worklist
from commission.inputs.tables import Inputs
from commission.plans import Plan
from commission.store import Store

#: the role a person with several acts in, first that may (recorded with the entry)
ACTING_ORDER = ("collector", "credit", "finance", "rep")


def acting_role(identity: Identity, action: str) -> str | None:
    """The role ``identity`` does ``action`` in (None: no desk role may)."""
    return next((r for r in ACTING_ORDER if r in identity.roles & PERMISSIONS[action]), None)


def _actor(identity: Identity, role: str) -> desk.Actor:
    return desk.Actor(identity.email, role, identity.rep_id)


def _roles_text(action: str) -> str:
    return " or ".join(sorted(PERMISSIONS[action]))


# ----------------------------------------------------------------------------- reading


def _own_and_team(identity: Identity, store: Store) -> set[str]:
    """One's own rep and, for a manager, their team (seeing all pay is not a desk role)."""
    if identity.rep_id is None:
        return set()
    if identity.has("manager"):
        return {identity.rep_id} | team_of(_reps(store), identity.rep_id)
    return {identity.rep_id}


def may_see_worklist(identity: Identity, store: Store | None, rep_id: str) -> bool:
    """Whether ``identity`` may see ``rep_id``'s worklist rows (asks; records nothing)."""
    if identity.may("collections.worklist") or identity.local:
        return True
    return store is not None and rep_id in _own_and_team(identity, store)


def desk_reps(identity: Identity, store: Store | None, rep_id: str | None = None,
              obj: str = "worklist") -> set[str] | None:
    """The reps whose worklist rows ``identity`` may see (None: every rep), or a refusal."""
    if identity.may("collections.worklist") or (store is None and identity.local):
        return None if rep_id is None else {rep_id}
    if store is None:
        raise AccessDenied("the collections desk reads the store")
    visible = _own_and_team(identity, store)
    if not visible:
        raise refuse(store, identity, "collections.worklist", obj,
                     f"{identity.label} may not see the collections worklist: that needs the "
                     f"{_roles_text('collections.worklist')} role, or to be a rep")
    if rep_id is None:
        return set(visible)
    if rep_id not in visible:
        raise refuse(store, identity, "collections.worklist", obj,
                     f"{identity.label} may not see the worklist of rep {rep_id}", rep=rep_id)
    return {rep_id}


def collections_worklist(identity: Identity, store: Store | None, inputs: Inputs,
                         plans: Mapping[str, Plan], ladder: Ladder, as_of: dt.date | str, *,
                         owner: str | None = None, rep_id: str | None = None) -> pd.DataFrame:
    """The worklist on ``as_of`` (see :func:`commission.collections.worklist.worklist`),
    only the rows ``identity`` may see. ``store`` None: local mode on a folder (no records).
    """
    reps = desk_reps(identity, store, rep_id)
    only = rep_id if rep_id is not None else (next(iter(reps)) if reps and len(reps) == 1
                                              else None)
    records = (desk.contacts(store), desk.arrangements(store)) if store else (None, None)
    frame = _keep(worklist(inputs, plans, ladder, as_of, *records, owner=owner, rep_id=only),
                  reps)
    if store is not None:
        _viewed(identity, store, "worklist", frame["rep_id"], reps is None)
    return frame


def _customers_of(inputs: Inputs, reps: set[str]) -> list[str]:
    inv = inputs.invoices
    mine = set(inv.loc[inv["rep_id"].isin(sorted(reps)), "customer_id"])
    splits = inputs.splits
    if splits is not None and len(splits):
        shared = splits.loc[splits["rep_id"].isin(sorted(reps)), "invoice_id"]
        mine |= set(inv.loc[inv["invoice_id"].isin(shared), "customer_id"])
    return sorted(str(c) for c in mine)


def customer_credit(identity: Identity, store: Store | None, inputs: Inputs,
                    as_of: dt.date | str, terms: CreditThresholds,
                    rep_id: str | None = None) -> pd.DataFrame:
    """The credit signal of every customer, or of the customers of the reps one may see."""
    reps = desk_reps(identity, store, rep_id, obj="credit")
    ids = None if reps is None else _customers_of(inputs, reps)
    return credit_signal(inputs, as_of, terms, customer_ids=ids)


def collections_performance(identity: Identity, store: Store | None, inputs: Inputs,
                            ladder: Ladder, as_of: dt.date | str, by: str = "rep"
                            ) -> pd.DataFrame:
    """Collection performance by rep or by step (collector, credit, finance, admin, manager)."""
    if store is not None or not identity.local:
        if store is None:
            raise AccessDenied("the collections desk reads the store")
        require(store, identity, "collections.performance", "performance",
                "see collection performance")
    return by_rep(inputs, ladder, as_of) if by == "rep" else by_step(inputs, ladder, as_of)


# ----------------------------------------------------------------------------- records


def record_contact(identity: Identity, store: Store, entry: desk.Contact, *,
                   today: dt.date | None = None) -> int:
    """Log a contact (and any promise): desk roles on any invoice, a rep on their own."""
    action, obj = "collections.contact", f"invoice:{entry.invoice_id}"
    role = acting_role(identity, action)
    if role is None and identity.has("rep") and identity.rep_id:
        credited = desk.credited_reps(store, str(entry.invoice_id))
        if credited is not None and identity.rep_id not in credited:
            raise refuse(store, identity, action, obj,
                         f"{identity.label} may not log contacts on {entry.invoice_id}: it is "
                         f"not an invoice of rep {identity.rep_id}")
        role = "rep"
    if role is None:
        raise refuse(store, identity, action, obj,
                     f"{identity.label} may not log contacts: that needs the "
                     f"{_roles_text(action)} role (a rep: on their own invoices)")
    actor = _actor(identity, role)
    return _perform(store, identity, action, obj,
                    lambda: desk.record_contact(store, actor, entry, today=today), role=role)


def _desk_actor(identity: Identity, store: Store, action: str, obj: str,
                what: str) -> desk.Actor:
    require(store, identity, action, obj, what)
    role = acting_role(identity, action)
    assert role is not None  # require let it through
    return _actor(identity, role)


def open_dispute(identity: Identity, store: Store, invoice_id: str, opened_date: object,
                 note: str, *, today: dt.date | None = None) -> str:
    """Open a dispute (collector, credit, finance): the next batch pauses the clock."""
    obj = f"invoice:{invoice_id}"
    actor = _desk_actor(identity, store, "collections.dispute", obj, "open disputes")
    return _perform(store, identity, "collections.dispute", obj,
                    lambda: desk.open_dispute(store, actor, invoice_id, opened_date, note,
                                              today=today), what="open", role=actor.role)


def resolve_dispute(identity: Identity, store: Store, dispute_id: str, resolved_date: object,
                    note: str, *, today: dt.date | None = None) -> None:
    """Resolve an open dispute (collector, credit, finance)."""
    obj = f"dispute:{dispute_id}"
    actor = _desk_actor(identity, store, "collections.dispute", obj, "resolve disputes")
    _perform(store, identity, "collections.dispute", obj,
             lambda: desk.resolve_dispute(store, actor, dispute_id, resolved_date, note,
                                          today=today), what="resolve", role=actor.role)


def record_arrangement(identity: Identity, store: Store, entry: desk.Arrangement, *,
                       today: dt.date | None = None) -> int:
    """Record a payment arrangement (credit and finance only)."""
    obj = f"invoice:{entry.invoice_id}"
    actor = _desk_actor(identity, store, "collections.arrange", obj,
                        "record payment arrangements (that stays with credit)")
    return _perform(store, identity, "collections.arrange", obj,
                    lambda: desk.record_arrangement(store, actor, entry, today=today),
                    role=actor.role)


def send_messages(identity: Identity, store: Store,
                  messages: Sequence[OutMessage] | Callable[[], Sequence[OutMessage]],
                  settings: SmtpSettings, *, dry_run: bool = False) -> SendReport:
    """Send (or with ``dry_run`` preview) summaries and ladder messages, each once.

    ``messages`` may be a function composing them: called only once allowed.
    """
    require(store, identity, "collections.send", "messages",
            "send collections messages (or preview them)")
    out = messages() if callable(messages) else messages
    report = send(store, out, settings, dry_run=dry_run)
    record(store, identity, "collections.send", "messages", dry_run=dry_run,
           sent=len(report.sent), already=len(report.already),
           previewed=len(report.preview), unaddressed=len(report.unaddressed))
    return report


__all__ = ["ACTING_ORDER", "acting_role", "collections_performance", "collections_worklist",
           "customer_credit", "desk_reps", "may_see_worklist", "open_dispute",
           "record_arrangement", "record_contact", "resolve_dispute", "send_messages"]
