"""Messages reach a real SMTP server on loopback, once each, with only the recipient's customers."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from commission.collections import desk
from commission.collections.messages import (
    SmtpSettings,
    ladder_messages,
    monthly_summaries,
    pending_claims,
    send,
)
from commission.collections.worklist import worklist
from commission.plans import load_plans

RULES = Path(__file__).resolve().parents[2] / "rules"
AS_OF = dt.date(2026, 3, 31)


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.got: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.got.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.got if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, SmtpSettings("127.0.0.1", controller.port, "collections@example.com")
    finally:
        controller.stop()


def _messages(store, ladder):
    plans, _t, _p = load_plans(RULES)
    inputs = store.stored_inputs()
    work = worklist(inputs, plans, ladder, AS_OF, desk.contacts(store))
    return inputs, work


def test_monthly_summaries_reach_each_rep_once_with_only_their_customers(desk_store, smtp):
    store, ladder = desk_store
    inbox, settings = smtp
    inputs, work = _messages(store, ladder)
    out = monthly_summaries(inputs, work, AS_OF)
    report = send(store, out, settings)
    assert {m.to for m in report.sent} == {"r1@example.com", "r2@example.com"}
    r1, r2 = inbox.to("r1@example.com"), inbox.to("r2@example.com")
    assert len(r1) == 1 and len(r2) == 1
    body1, body2 = r1[0].get_content(), r2[0].get_content()
    assert "Acme Ltd" in body1 and "Bolt GmbH" not in body1 and "Crane SA" not in body1
    assert "Bolt GmbH" in body2 and "Crane SA" in body2 and "Acme Ltd" not in body2
    assert "I1" in body1 and "collect by" in body1
    again = send(store, monthly_summaries(inputs, work, AS_OF), settings)
    assert again.sent == [] and len(again.already) == 2
    assert len(inbox.got) == 2


def test_ladder_messages_go_to_the_owner_and_copies_once(desk_store, smtp):
    store, ladder = desk_store
    inbox, settings = smtp
    inputs, work = _messages(store, ladder)
    out = ladder_messages(inputs, work, ladder)
    # I1 (55 days) and I2 (50) are on "rep must call purchasing" (manager copied);
    # I4 (30 days) on "rep should call"
    report = send(store, out, settings)
    assert len(report.sent) == 5
    r1 = inbox.to("r1@example.com")
    assert [m["Subject"] for m in r1] == ["Action required: Acme Ltd invoice I1, 55 days"]
    r2 = sorted(m["Subject"] for m in inbox.to("r2@example.com"))
    assert r2 == ["Action required: Bolt GmbH invoice I2, 50 days",
                  "Invoice I4 (Crane SA) is 30 days overdue"]
    assert len(inbox.to("m1@example.com")) == 2
    assert "Acme" not in " ".join(m.get_content() for m in inbox.to("r2@example.com"))
    assert send(store, ladder_messages(inputs, work, ladder), settings).sent == []
    assert len(inbox.got) == 5 and pending_claims(store).empty


def test_dry_run_previews_and_sends_nothing(desk_store, smtp):
    store, ladder = desk_store
    inbox, settings = smtp
    inputs, work = _messages(store, ladder)
    report = send(store, ladder_messages(inputs, work, ladder), settings, dry_run=True)
    assert len(report.preview) == 5 and report.sent == []
    assert inbox.got == []
    assert len(send(store, ladder_messages(inputs, work, ladder), settings).sent) == 5


def test_smtp_settings_come_from_the_ladder_and_the_environment(desk_store):
    _store, ladder = desk_store
    s = SmtpSettings.from_config(ladder, {"COMMISSION_SMTP_HOST": "mail.local",
                                          "COMMISSION_SMTP_PORT": "2525",
                                          "COMMISSION_SMTP_STARTTLS": "yes",
                                          "COMMISSION_SMTP_PASSWORD": "pw"})
    assert (s.host, s.port, s.starttls, s.password) == ("mail.local", 2525, True, "pw")
    assert SmtpSettings.from_config(ladder, {}).sender == "collections@example.com"
