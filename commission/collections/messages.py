"""Messages that go out: each rep's monthly aging summary, and ladder messages to owners.

Each message has an idempotency key; a key recorded in ``collection_messages`` is
never sent again, so a re-run sends nothing twice. A message is claimed (status
``sending``) before it is handed to the SMTP server and marked ``sent`` after; a
crash in between leaves it ``sending`` and it is not sent again (at most once:
``pending_claims`` lists them for a person to check). ``dry_run`` only previews.

Keys: ``summary:<rep_id>:<YYYY-MM>`` (one summary per rep and month) and
``ladder:<invoice_id>:<step>:<role>:<rep_id>`` (one per invoice, ladder step and
recipient role; the rep part only for a rep's and their manager's copy).
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from commission.collections.ladder import Ladder
from commission.inputs.tables import Inputs
from commission.money import format_money
from commission.reports.aging import aging, aging_text
from commission.store import Store
from commission.store.collections import CollectionMessage
from commission.store.db import utcnow

ENV = "COMMISSION_SMTP_"
SHOULD_OR_MUST = ("should", "must")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_config(cls, ladder: Ladder, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """The ladder file's ``smtp`` section, overridden by COMMISSION_SMTP_* variables."""
        env = os.environ if env is None else env
        s = ladder.smtp
        tls = env.get(ENV + "STARTTLS")
        return cls(host=env.get(ENV + "HOST") or s.host,
                   port=int(env.get(ENV + "PORT") or s.port),
                   sender=env.get(ENV + "FROM") or s.sender,
                   starttls=s.starttls if tls is None else tls.lower() in ("1", "true", "yes"),
                   user=env.get(ENV + "USER") or s.user,
                   password=env.get(ENV + "PASSWORD") or None)


@dataclass(frozen=True)
class OutMessage:
    key: str
    kind: str  # summary | ladder
    to: str
    subject: str
    body: str
    rep_id: str | None = None
    invoice_id: str | None = None


@dataclass
class SendReport:
    sent: list[OutMessage] = field(default_factory=list)
    already: list[OutMessage] = field(default_factory=list)  # recorded earlier: not sent again
    preview: list[OutMessage] = field(default_factory=list)  # dry run: would be sent
    unaddressed: list[str] = field(default_factory=list)  # keys with no address to send to


# ----------------------------------------------------------------------------- composing


def _emails(inputs: Inputs) -> pd.Series:
    reps = inputs.reps
    return pd.Series(reps["email"].fillna("").to_numpy(dtype=object),
                     index=reps["rep_id"].to_numpy(dtype=object))


def _managers(inputs: Inputs) -> pd.Series:
    reps = inputs.reps
    return pd.Series(reps["manager_id"].to_numpy(dtype=object),
                     index=reps["rep_id"].to_numpy(dtype=object))


def _day(v: object) -> str:
    return "" if pd.isna(v) else pd.Timestamp(v).date().isoformat()


def monthly_summaries(inputs: Inputs, worklist: pd.DataFrame, as_of: dt.date | str
                      ) -> list[OutMessage]:
    """One summary per rep with open invoices: their customers' aging and their money at stake.

    ``worklist`` is :func:`commission.collections.worklist.worklist` on ``as_of``
    (all reps); each rep's message holds only the rows of that rep.
    """
    day = pd.Timestamp(as_of).date()
    month = day.strftime("%Y-%m")
    table = aging(inputs, day)
    emails = _emails(inputs)
    out = []
    for rep_id, rows in table.groupby("rep_id", sort=True):
        mine = worklist[worklist["rep_id"] == rep_id]
        body = _summary_body(str(rep_id), rows, mine, day)
        out.append(OutMessage(f"summary:{rep_id}:{month}", "summary", emails.get(rep_id, ""),
                              f"Your customers' aging on {day} ({rep_id})", body,
                              rep_id=str(rep_id)))
    return out


def _summary_body(rep_id: str, rows: pd.DataFrame, mine: pd.DataFrame, day: dt.date) -> str:
    keep, cost = int(mine["commission_now"].sum()), int(mine["next_step_cost"].sum())
    lines = [f"Open invoices of your customers on {day}, by days past due:", "",
             aging_text(rows.reset_index(drop=True)),
             f"Overdue invoices: {len(mine)}; your commission on them if collected now: "
             f"{format_money(keep)}; the next haircut steps would cost you {format_money(cost)}.",
             ""]
    for r in mine.itertuples(index=False):  # one rep's overdue invoices: a short list
        when = _day(r.collect_by)
        act = f"collect by {when} to keep {format_money(r.commission_now)}" if when else (
            f"earns {format_money(r.commission_now)}")
        lines.append(f"- {r.invoice_id} {r.customer_name}: {format_money(r.open_amount)} open, "
                     f"{r.days_past_due} days past due, step {r.step or '-'}; {act}"
                     + (f"; promise {r.promise_status}" if r.promise_status else ""))
    lines += ["", "Reps never agree payment plans: pass any request to credit."]
    return "\n".join(lines) + "\n"


def _recipients(row, step, ladder: Ladder, emails: pd.Series, managers: pd.Series
                ) -> list[tuple[str, str]]:
    """(role, address) of the step's owner and copies for one worklist row."""
    out = []
    for role in (step.owner, *step.copy_to):
        if role == "rep":
            out.append((role, emails.get(row.rep_id, "")))
        elif role == "manager":
            boss = managers.get(row.rep_id)
            out.append((role, emails.get(boss, "") if isinstance(boss, str) else ""))
        else:
            out.append((role, getattr(ladder.desk, role)))
    return out


def _fields(row) -> dict[str, str]:
    return {"invoice_id": row.invoice_id, "customer_id": row.customer_id,
            "customer_name": row.customer_name, "rep_id": row.rep_id, "rep_name": row.rep_name,
            "days_past_due": str(row.days_past_due), "open_amount": format_money(row.open_amount),
            "due_date": _day(row.due_date), "step": row.step, "action": row.action,
            "keep": format_money(row.commission_now), "collect_by": _day(row.collect_by) or "-",
            "next_cost": format_money(row.next_step_cost)}


def ladder_messages(inputs: Inputs, worklist: pd.DataFrame, ladder: Ladder) -> list[OutMessage]:
    """A message to the owner (and copies) of every row on a *should* or *must* step."""
    emails, managers = _emails(inputs), _managers(inputs)
    idx = worklist["step_index"].to_numpy()
    wanted = [i for i, s in enumerate(ladder.steps)
              if s.involvement in SHOULD_OR_MUST and s.message is not None]
    out: dict[str, OutMessage] = {}
    for row in worklist[np.isin(idx, wanted)].itertuples(index=False):
        step = ladder.steps[row.step_index]
        assert step.message is not None
        values = _fields(row)
        subject = step.message.subject.format(**values)
        body = step.message.body.format(**values)
        for role, address in _recipients(row, step, ladder, emails, managers):
            who = f":{row.rep_id}" if role in ("rep", "manager") else ""
            key = f"ladder:{row.invoice_id}:{row.step_index}:{role}{who}"
            out.setdefault(key, OutMessage(key, "ladder", address, subject, body,
                                           rep_id=row.rep_id, invoice_id=row.invoice_id))
    return list(out.values())


# ----------------------------------------------------------------------------- sending


def recorded_keys(store: Store, keys: Iterable[str]) -> set[str]:
    t = CollectionMessage.__table__  # type: ignore[attr-defined]
    keys = list(keys)
    found: set[str] = set()
    with store.read() as conn:
        for i in range(0, len(keys), 500):
            found |= set(conn.execute(select(t.c.message_key).where(
                t.c.message_key.in_(keys[i:i + 500]))).scalars())
    return found


def _claim(store: Store, m: OutMessage) -> bool:
    t = CollectionMessage.__table__  # type: ignore[attr-defined]
    try:
        with store.write() as conn:
            conn.execute(insert(t).values(
                message_key=m.key, kind=m.kind, recipient=m.to, subject=m.subject, body=m.body,
                rep_id=m.rep_id, invoice_id=m.invoice_id, status="sending",
                created_at=utcnow()))
    except IntegrityError:  # another run claimed it meanwhile
        return False
    return True


def _mark_sent(store: Store, key: str) -> None:
    t = CollectionMessage.__table__  # type: ignore[attr-defined]
    with store.write() as conn:
        conn.execute(update(t).where(t.c.message_key == key).values(status="sent",
                                                                     sent_at=utcnow()))


def _email(m: OutMessage, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, m.to, m.subject
    msg["Message-ID"] = f"<{m.key.replace(':', '.')}@commission>"
    msg.set_content(m.body)
    return msg


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=30)
    if settings.starttls:
        smtp.starttls()
    if settings.user:
        smtp.login(settings.user, settings.password or "")
    return smtp


def send(store: Store, messages: Sequence[OutMessage], settings: SmtpSettings,
         dry_run: bool = False) -> SendReport:
    """Send each message not recorded yet, once; with ``dry_run``, only say what would go."""
    report = SendReport()
    done = recorded_keys(store, [m.key for m in messages])
    todo = []
    for m in messages:
        if m.key in done:
            report.already.append(m)
        elif not m.to:
            report.unaddressed.append(m.key)
        else:
            todo.append(m)
    if dry_run or not todo:
        report.preview = todo if dry_run else []
        return report
    with _connect(settings) as smtp:
        for m in todo:
            if not _claim(store, m):
                report.already.append(m)
                continue
            smtp.send_message(_email(m, settings.sender))
            _mark_sent(store, m.key)
            report.sent.append(m)
    return report


def pending_claims(store: Store) -> pd.DataFrame:
    """Messages claimed but not confirmed sent (a crash mid-send): check them by hand."""
    t = CollectionMessage.__table__  # type: ignore[attr-defined]
    with store.read() as conn:
        rows = conn.execute(select(t).where(t.c.status == "sending")).fetchall()
    return pd.DataFrame(rows, columns=[c.name for c in t.columns])


__all__ = ["OutMessage", "SendReport", "SmtpSettings", "ladder_messages", "monthly_summaries",
           "pending_claims", "recorded_keys", "send"]
