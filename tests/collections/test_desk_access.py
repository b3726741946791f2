"""Who may use the desk: the access layer's collections functions, role by role."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from commission import access
from commission.access import AccessDenied, Identity
from commission.access.identity import PERMISSIONS
from commission.collections import desk
from commission.collections.desk import Arrangement, Contact
from commission.collections.messages import SmtpSettings
from commission.plans import load_plans
from commission.problems import InputError

RULES = Path(__file__).resolve().parents[2] / "rules"
TODAY = dt.date(2026, 4, 15)
DAY = dt.date(2026, 3, 31)


def who(*roles: str, rep_id: str | None = None) -> Identity:
    name = "-".join(roles) or "nobody"
    return Identity(f"{name}{'.' + rep_id if rep_id else ''}@example.com".lower(),
                    frozenset(roles), rep_id)


COLLECTOR, CREDIT, FINANCE, ADMIN = who("collector"), who("credit"), who("finance"), who("admin")
REP1, REP2 = who("rep", rep_id="R1"), who("rep", rep_id="R2")
MANAGER = who("manager", rep_id="M1")  # M1 manages R1 and R2
APPROVER = who("approver")


def audit(store, identity: Identity, outcome: str | None = None) -> list[dict]:
    got = access.audit_log(access.LOCAL_ADMIN, store, user_email=identity.email)
    return [e for e in got if outcome is None or e["outcome"] == outcome]


def contact(invoice: str = "I1") -> Contact:
    return Contact(invoice, "2026-03-02", "phone", "AP says next week")


def arrangement() -> Arrangement:
    return Arrangement("I1", "2026-03-02", 2, "1000.00", "2026-04-01")


ACTIONS = {
    "contact": lambda i, s: access.record_contact(i, s, contact(), today=TODAY),
    "dispute": lambda i, s: access.open_dispute(i, s, "I1", "2026-03-01", "wrong price",
                                                today=TODAY),
    "arrange": lambda i, s: access.record_arrangement(i, s, arrangement(), today=TODAY),
}
ALLOWED = {  # who may do each action (on I1, an invoice of R1)
    "contact": {"collector", "credit", "finance", "rep R1"},
    "dispute": {"collector", "credit", "finance"},
    "arrange": {"credit", "finance"},
}
PEOPLE = {"collector": COLLECTOR, "credit": CREDIT, "finance": FINANCE, "admin": ADMIN,
          "rep R1": REP1, "rep R2": REP2, "manager": MANAGER, "approver": APPROVER}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("person", sorted(PEOPLE))
def test_each_role_may_do_only_its_part(desk_store, action, person):
    store, _ladder = desk_store
    identity = PEOPLE[person]
    if person in ALLOWED[action]:
        ACTIONS[action](identity, store)
        assert [e["outcome"] for e in audit(store, identity)] == ["allowed"]
    else:
        with pytest.raises(AccessDenied, match="may not"):
            ACTIONS[action](identity, store)
        assert len(audit(store, identity, "refused")) == 1
        assert desk.contacts(store).empty and desk.arrangements(store).empty


def test_the_record_carries_the_email_and_the_role_acted_in(desk_store):
    store, _ladder = desk_store
    access.record_contact(REP1, store, contact(), today=TODAY)
    both = Identity("cara@example.com", frozenset({"credit", "collector"}))
    access.record_arrangement(both, store, arrangement(), today=TODAY)
    got = desk.contacts(store).iloc[0]
    assert (got["actor"], got["actor_role"]) == ("rep.r1@example.com", "rep")
    got = desk.arrangements(store).iloc[0]
    assert (got["actor"], got["actor_role"]) == ("cara@example.com", "credit")


def test_a_rep_on_someone_elses_invoice_is_refused_and_recorded(desk_store):
    store, _ladder = desk_store
    with pytest.raises(AccessDenied, match="not an invoice of rep R1"):
        access.record_contact(REP1, store, contact("I2"), today=TODAY)
    [entry] = audit(store, REP1, "refused")
    assert entry["object"] == "invoice:I2" and entry["action"] == "collections.contact"
    with pytest.raises(InputError):  # an unknown invoice is a problem, not a refusal
        access.record_contact(REP1, store, contact("I9"), today=TODAY)
    assert [e["outcome"] for e in audit(store, REP1)] == ["refused", "failed"]


def test_a_dispute_resolved_through_the_access_layer(desk_store):
    store, _ladder = desk_store
    did = access.open_dispute(CREDIT, store, "I1", "2026-03-01", "wrong price", today=TODAY)
    with pytest.raises(AccessDenied):
        access.resolve_dispute(REP1, store, did, "2026-03-05", "done", today=TODAY)
    access.resolve_dispute(COLLECTOR, store, did, "2026-03-05", "credit note", today=TODAY)
    actions = desk.dispute_actions(store)
    assert list(actions["actor_role"]) == ["credit", "collector"]


def _worklist(identity, store, ladder, rep_id=None):
    plans, _t, _p = load_plans(RULES)
    return access.collections_worklist(identity, store, store.stored_inputs(), plans, ladder,
                                       DAY, rep_id=rep_id)


@pytest.mark.parametrize(("person", "reps"), [
    ("collector", {"R1", "R2"}), ("credit", {"R1", "R2"}), ("finance", {"R1", "R2"}),
    ("admin", {"R1", "R2"}), ("manager", {"R1", "R2"}), ("rep R1", {"R1"}), ("rep R2", {"R2"}),
])
def test_the_worklist_shows_only_the_rows_one_may_see(desk_store, person, reps):
    store, ladder = desk_store
    assert set(_worklist(PEOPLE[person], store, ladder)["rep_id"]) == reps


def test_the_worklist_and_signal_are_refused_beyond_ones_reach(desk_store):
    store, ladder = desk_store
    with pytest.raises(AccessDenied, match="worklist of rep R2"):
        _worklist(REP1, store, ladder, rep_id="R2")
    with pytest.raises(AccessDenied, match="collections worklist"):
        _worklist(APPROVER, store, ladder)
    assert len(audit(store, REP1, "refused")) == 1
    inputs = store.stored_inputs()
    mine = access.customer_credit(REP1, store, inputs, DAY, ladder.credit_signal)
    assert list(mine["customer_id"]) == ["C1"]
    every = access.customer_credit(COLLECTOR, store, inputs, DAY, ladder.credit_signal)
    assert list(every["customer_id"]) == ["C1", "C2", "C3"]


def test_a_collector_seeing_everyones_commission_is_a_recorded_view(desk_store):
    store, ladder = desk_store
    _worklist(COLLECTOR, store, ladder)
    _worklist(COLLECTOR, store, ladder)  # folded: once within ten minutes
    assert [(e["action"], e["object"]) for e in audit(store, COLLECTOR)] == [
        ("pay.view", "worklist")]
    _worklist(REP1, store, ladder)  # one's own rows are not recorded
    assert audit(store, REP1) == []


def test_sending_is_for_credit_finance_and_admin(desk_store):
    store, _ladder = desk_store
    settings = SmtpSettings("127.0.0.1", 1, "desk@example.com", False, None, None)
    for identity in (COLLECTOR, REP1, MANAGER):
        with pytest.raises(AccessDenied, match="send collections messages"):
            access.send_messages(identity, store, [], settings, dry_run=True)
    report = access.send_messages(CREDIT, store, [], settings, dry_run=True)
    assert report.preview == [] and audit(store, CREDIT)[0]["action"] == "collections.send"


def test_performance_is_for_the_desk_and_management(desk_store):
    store, ladder = desk_store
    inputs = store.stored_inputs()
    assert not access.collections_performance(MANAGER, store, inputs, ladder, DAY).empty
    with pytest.raises(AccessDenied):
        access.collections_performance(REP1, store, inputs, ladder, DAY)


def test_the_desks_own_role_rules_agree_with_the_permissions():
    assert set(desk.CONTACT_ROLES) - {"rep"} == PERMISSIONS["collections.contact"]
    assert set(desk.DISPUTE_ROLES) == PERMISSIONS["collections.dispute"]
    assert set(desk.ARRANGEMENT_ROLES) == PERMISSIONS["collections.arrange"]
    assert {"collector", "credit"} <= set(access.ROLES)
