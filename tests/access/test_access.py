"""Who may see and do what, through the access layer, on SQLite and PostgreSQL.

A small organisation: R1 manages R2, who manages R3; R4 reports to no one.
Everyone's pay is in one batch; each role either does an action or is refused
with a clear message and an audit entry.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from commission import access
from commission.access import AccessDenied, Identity
from commission.payroll import lifecycle
from commission.plans.language import load_plans

RULES = Path(__file__).resolve().parents[2] / "rules"
ROLES = access.ROLES
REPS = [("R1", "Rep One", "r1@example.com", None, "invoiced-traditional"),
        ("R2", "Rep Two", "r2@example.com", "R1", "invoiced-traditional"),
        ("R3", "Rep Three", "r3@example.com", "R2", "invoiced-traditional"),
        ("R4", "Rep Four", "r4@example.com", None, "invoiced-traditional")]
INVOICES = [(f"I{n}", "C1", f"R{n}", "2026-01-05", "2026-02-04", "1000.00") for n in range(1, 5)]


def person(role: str, rep_id: str | None = None, name: str | None = None) -> Identity:
    return Identity(f"{name or role}@example.com", frozenset({role}), rep_id, name or role)


ADMIN = person("admin")
FINANCE = Identity("fin@example.com", frozenset({"finance", "approver"}), None, "Fin")
APPROVER = person("approver")


@pytest.fixture
def data(csvs, tmp_path) -> Path:
    return csvs.write(tmp_path / "data", reps=REPS, customers=[("C1", "Customer", "smb")],
                      invoices=INVOICES, payments=[], adjustments=[])


@pytest.fixture
def org(store, data):
    """The store with the data loaded and a draft for 2026-01 run by finance."""
    lifecycle.load(store, data, RULES, by="setup")
    return store, access.run_draft(FINANCE, store, "2026-01").batch_id


def refusals(store, actor: str) -> list[dict]:
    return [e for e in access.audit_log(ADMIN, store, user_email=actor)
            if e["outcome"] == "refused"]


# ----------------------------------------------------------------------------- role x action


def _actions(store, batch_id: int, data: Path, tmp_path: Path) -> dict:
    variant = next(iter(load_plans(RULES)[0].values())).model_copy(update={"id": "variant-1"})
    (tmp_path / "drafts").mkdir(exist_ok=True)
    return {
        "data.load": lambda who: access.load_data(who, store, data),
        "batch.run": lambda who: access.run_draft(who, store, "2026-02"),
        "batch.approve": lambda who: access.approve_batch(who, store, batch_id),
        "batch.lock": lambda who: access.lock_batch(who, store, batch_id),
        "batch.export": lambda who: access.export_batch(who, store, batch_id),
        "batch.read": lambda who: access.batch_summary(who, store, batch_id),
        "batch.manual_line": lambda who: access.add_manual_line(who, store, "R1", "2026-01",
                                                                5000, "SPIFF for the launch"),
        "plan.save": lambda who: access.save_plan_variant(who, store, variant,
                                                          tmp_path / "drafts", overwrite=True),
        "plan.effective": lambda who: access.make_plans_effective(who, store, RULES),
        "users.manage": lambda who: access.list_users(who, store),
        "settings.change": lambda who: access.set_setting(who, store, "allow_self_approval",
                                                          "false"),
        "audit.read": lambda who: access.audit_log(who, store),
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_does_what_it_may_and_is_refused_the_rest_with_an_audit_entry(
        org, data, tmp_path, role):
    store, batch_id = org
    who = person(role)
    for action, do in _actions(store, batch_id, data, tmp_path).items():
        before = len(refusals(store, who.email))
        if role in access.PERMISSIONS[action]:
            # allowed through the door; the lifecycle may still have its own reason
            with contextlib.suppress(lifecycle.BatchError):
                do(who)
            assert len(refusals(store, who.email)) == before, action
        else:
            with pytest.raises(AccessDenied, match=rf"{who.email} .* may not .*needs the"):
                do(who)
            last = refusals(store, who.email)[-1]
            assert len(refusals(store, who.email)) == before + 1, action
            assert last["action"] == action and "may not" in last["details"]["reason"]


def test_every_lifecycle_action_is_recorded_with_the_real_identity(org):
    store, batch_id = org
    access.approve_batch(APPROVER, store, batch_id)
    summary = access.lock_batch(FINANCE, store, batch_id)
    assert (summary.run_by, summary.approved_by, summary.locked_by) == (
        FINANCE.email, APPROVER.email, FINANCE.email)
    entries = access.audit_log(ADMIN, store, obj=f"batch:{batch_id}")
    done = [(e["actor"], e["action"]) for e in entries if e["outcome"] == "allowed"]
    assert done == [(FINANCE.email, "batch.run"), (APPROVER.email, "batch.approve"),
                    (FINANCE.email, "batch.lock")]


# ----------------------------------------------------------------------------- segregation


def test_the_person_who_ran_a_draft_may_not_approve_it(org):
    store, batch_id = org
    with pytest.raises(AccessDenied, match=r"ran batch \d+ \(run 1\) and may not approve it"):
        access.approve_batch(FINANCE, store, batch_id)
    assert lifecycle.show(store, batch_id).status == "draft"
    assert refusals(store, FINANCE.email)[-1]["details"]["run_by"] == FINANCE.email


def test_self_approval_when_the_setting_allows_it_is_flagged_on_the_batch(org):
    store, batch_id = org
    with pytest.raises(AccessDenied):
        access.set_setting(FINANCE, store, "allow_self_approval", "true")
    access.set_setting(ADMIN, store, "allow_self_approval", "true")
    assert access.approve_batch(FINANCE, store, batch_id).approved_by == FINANCE.email
    access.lock_batch(FINANCE, store, batch_id)
    entries = {e["action"]: e for e in access.audit_log(ADMIN, store, obj=f"batch:{batch_id}")
               if e["outcome"] == "allowed"}
    assert entries["batch.approve"]["details"]["self_approval"] is True
    assert entries["batch.approve"]["details"]["because"] == "setting allow_self_approval"
    assert entries["batch.lock"]["details"]["self_approval"] is True


def test_local_mode_may_approve_its_own_run_and_says_so(org):
    store, _ = org
    b = access.run_draft(access.LOCAL_ADMIN, store, "2026-01")
    access.approve_batch(access.LOCAL_ADMIN, store, b.batch_id)
    entry = access.audit_log(ADMIN, store, obj=f"batch:{b.batch_id}")[-1]
    assert entry["details"]["because"] == "local mode" and entry["details"]["local_mode"]


# ----------------------------------------------------------------------------- who sees whom


def test_a_manager_sees_their_team_however_deep_and_no_one_else(org):
    store, batch_id = org
    manager = Identity("r1@example.com", frozenset({"rep", "manager"}), "R1", "Rep One")
    assert access.visible_reps(manager, store) == {"R1", "R2", "R3"}
    assert set(access.pay_payouts(manager, store, batch_id)["rep_id"]) == {"R1", "R2", "R3"}
    assert set(access.pay_lines(manager, store, batch_id, "R3")["rep_id"]) == {"R3"}
    with pytest.raises(AccessDenied, match="may not see the pay of rep R4"):
        access.pay_lines(manager, store, batch_id, "R4")
    views = [e for e in access.audit_log(ADMIN, store, user_email=manager.email)
             if e["action"] == "pay.view"]
    assert [e["details"].get("reps", e["details"].get("rep")) for e in views] == [
        ["R2", "R3"], ["R3"], "R4"]
    assert [e["outcome"] for e in views] == ["allowed", "allowed", "refused"]


def test_a_rep_sees_only_their_own_pay_by_every_function(org):
    store, batch_id = org
    rep = Identity("r2@example.com", frozenset({"rep"}), "R2", "Rep Two")  # not a manager
    assert access.visible_reps(rep, store) == {"R2"}
    assert set(access.pay_payouts(rep, store, batch_id)["rep_id"]) == {"R2"}
    assert set(access.pay_lines(rep, store, batch_id)["rep_id"]) == {"R2"}
    assert access.statement(rep, store, batch_id, "R2")["rep"]["rep_id"] == "R2"
    assert set(access.aging(rep, store, "2026-03-31")["rep_id"]) <= {"R2"}
    for read in (lambda: access.pay_lines(rep, store, batch_id, "R1"),
                 lambda: access.pay_payouts(rep, store, batch_id, "R3"),
                 lambda: access.statement(rep, store, batch_id, "R4"),
                 lambda: access.aging(rep, store, "2026-03-31", "R1"),
                 lambda: access.batch_summary(rep, store, batch_id)):
        with pytest.raises(AccessDenied, match="may not"):
            read()
    assert list(access.batches(rep, store).columns) == ["batch_id", "period", "status"]
    # their own pay is not a view of someone else's: nothing recorded but the refusals
    entries = access.audit_log(ADMIN, store, user_email=rep.email)
    assert {e["outcome"] for e in entries} == {"refused"} and len(entries) == 5


def test_finance_views_of_everyone_are_recorded_once_in_a_while(org):
    store, batch_id = org
    for _ in range(3):
        assert len(access.pay_payouts(FINANCE, store, batch_id)) == 4
    views = [e for e in access.audit_log(ADMIN, store, user_email=FINANCE.email)
             if e["action"] == "pay.view"]
    assert len(views) == 1 and views[0]["details"]["reps"] == "all"


# ----------------------------------------------------------------------------- users


def test_the_first_administrator_is_a_bootstrap_and_the_last_cannot_leave(store):
    assert access.needs_bootstrap(store)
    with pytest.raises(AccessDenied, match="--role admin"):
        access.bootstrap_admin(store, "a@example.com", "A", roles=["finance"])
    root = access.bootstrap_admin(store, "Root@Example.com", "Root")
    assert root.email == "root@example.com" and not access.needs_bootstrap(store)
    with pytest.raises(AccessDenied, match="already has an administrator"):
        access.bootstrap_admin(store, "mallory@example.com", "M")
    with pytest.raises(AccessDenied, match="last administrator"):
        access.revoke_role(root, store, root.email, "admin")
    with pytest.raises(AccessDenied, match="last administrator"):
        access.set_user_active(root, store, root.email, False)
    access.add_user(root, store, "fin@example.com", "Fin", roles=["finance"])
    with pytest.raises(AccessDenied, match="needs the admin role"):
        access.grant_role(access.resolve(store, "fin@example.com"), store, "fin@example.com",
                          "admin")
    access.set_user_active(root, store, "fin@example.com", False)
    with pytest.raises(AccessDenied, match="deactivated"):
        access.resolve(store, "fin@example.com")
    first = access.audit_log(root, store)[1]
    assert first["details"]["bootstrap"] is True and first["actor"] == "root@example.com"


@pytest.mark.parametrize(("email", "name", "words"), [
    ("x y@example.com", "X", "is not an email address"),
    ("<script>@example.com", "X", "is not an email address"),
    ("a@b\n.c", "X", "is not an email address"),  # a newline inside
    ("a\x00b@example.com", "X", "is not an email address"),
    ("a" * 250 + "@example.com", "X", "is not an email address"),
    ("ok@example.com", "Ann\x1b[31m", "is not a name"),
    ("ok@example.com", "Ann\nBob", "is not a name"),
    ("ok@example.com", "A" * 201, "is not a name"),
    ("ok@example.com", "   ", "needs an email address and a display name"),
])
def test_a_person_is_added_only_with_an_address_and_a_name_fit_to_show(store, email, name,
                                                                        words):
    """An address or name reaches the audit log, exports and every page: no control
    characters, markup or spaces, and a bounded length, refused and audited."""
    root = access.bootstrap_admin(store, "root@example.com", "Root")
    with pytest.raises(AccessDenied, match=words):
        access.add_user(root, store, email, name, roles=["finance"])
    assert [u["email"] for u in access.list_users(root, store)] == ["root@example.com"]
    assert refusals(store, "root@example.com")[-1]["action"] == "users.manage"


def test_ordinary_addresses_and_names_are_added(store):
    root = access.bootstrap_admin(store, "local-admin@localhost", "Local")
    for email, name in [("o'brien@example.ie", "Seán O'Brien"), ("a+pay@x", "李 雷"),
                        ("Mixed.Case@Example.COM", "Zoë")]:
        access.add_user(root, store, email, name, roles=["rep"])
    assert {u["email"] for u in access.list_users(root, store)} == {
        "local-admin@localhost", "o'brien@example.ie", "a+pay@x", "mixed.case@example.com"}


# ----------------------------------------------------------------------------- the database


def test_the_audit_log_cannot_be_changed_or_deleted_in_the_database(store):
    access.record(store, "a@example.com", "test", "x")
    for sql in ("UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.write() as conn:
            conn.execute(text(sql))
    if store.dialect == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), store.write() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert [e["actor"] for e in access.audit_log(ADMIN, store)] == ["a@example.com"]


def test_a_store_made_by_the_previous_version_upgrades_in_place(store_url):
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from commission.store import open_store
    from commission.store.db import normalize_url
    from commission.store.migrate import alembic_config, current_revision, head_revision

    engine = create_engine(normalize_url(store_url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(text("INSERT INTO loads (loaded_at, loaded_by, source, summary) "
                          "VALUES ('2026-01-01 00:00:00', 'ana', 'old', '{}')"))
    engine.dispose()
    with open_store(store_url) as s, s.read() as conn:
        assert current_revision(conn) == head_revision()
        tables = set(inspect(conn).get_table_names())
        assert {"users", "user_roles", "settings", "audit_log"} <= tables
        assert conn.execute(text("SELECT loaded_by FROM loads")).scalar_one() == "ana"
