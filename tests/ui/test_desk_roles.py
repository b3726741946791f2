"""The collections desk in the app, by role (AppTest, signed in through the real path).

A collector opens Collections, logs a contact and opens a dispute as themself; only
credit (and finance) get the arrangement form; a rep cannot open Collections (so
cannot record an arrangement) but sees their own overdue invoices, their customers'
credit signal and a contact form for their own invoices on My pay.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from identity_org import ADMIN, MANAGER, MANAGER_TEAM, REP, make_org
from streamlit.testing.v1 import AppTest

from commission import access
from commission.collections import desk
from commission.collections.ladder import load_ladder
from commission.payroll.lifecycle import stored_plans
from commission.sample import write_sample
from commission.store import open_store
from commission.ui.session import PAGES

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
AUTH = {"redirect_uri": "http://127.0.0.1:9/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "commission", "client_secret": "not-used",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
SCRIPT = {p.key: p.script for p in PAGES}
COLLECTOR, CREDIT = "cole.lector@example.com", "cred.it@example.com"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("desk")
    data, rules = root / "data", root / "rules"
    write_sample(data)
    shutil.copytree(REPO / "rules", rules)
    url = f"sqlite:///{root / 'org.db'}"
    make_org(url, data, rules)
    with open_store(url) as store:
        admin = access.resolve(store, ADMIN)
        access.add_user(admin, store, COLLECTOR, "Cole Lector", None, ("collector",))
        access.add_user(admin, store, CREDIT, "Cred It", None, ("credit",))
    return SimpleNamespace(data=data, rules=rules, db=root / "org.db")


@pytest.fixture
def org(template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    db = tmp_path / "org.db"
    shutil.copy(template.db, db)
    url = f"sqlite:///{db}"
    monkeypatch.setenv("COMMISSION_DB", url)
    monkeypatch.setenv("COMMISSION_RULES", str(template.rules))
    monkeypatch.setenv("COMMISSION_DATA", str(template.data))
    return SimpleNamespace(url=url, rules=template.rules)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in(email: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    run(at)
    at.switch_page(SCRIPT[page])
    return run(at)


def keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def worklist_of(org, as_of: dt.date, rep_id: str | None = None):
    with open_store(org.url) as store:
        plans, _problems = stored_plans(store)
        ladder, _p = load_ladder(org.rules / "collections.yaml")
        return access.collections_worklist(access.LOCAL_ADMIN, store, store.stored_inputs(),
                                           plans, ladder, as_of, rep_id=rep_id)


def records(org):
    with open_store(org.url) as store:
        return desk.contacts(store), desk.dispute_actions(store), desk.arrangements(store)


def test_a_collector_logs_a_contact_and_opens_a_dispute(org):
    at = signed_in(COLLECTOR, "collections")
    assert "Collections" in [link.proto.label for link in at.get("page_link")]
    assert at.metric[0].label == "Overdue invoices" and int(at.metric[0].value) > 0
    assert "coll.a.submit" not in keys(at)  # arrangements: credit and finance only
    as_of = at.date_input(key="coll.as_of").value
    invoice = str(worklist_of(org, as_of)["invoice_id"].iloc[0])
    at.text_input(key="coll.contact.invoice").set_value(invoice)
    at.date_input(key="coll.contact.date").set_value(as_of)
    at.text_area(key="coll.contact.outcome").set_value("AP will pay on Friday")
    at.button(key="coll.contact.submit").click()
    run(at)
    assert "Contact recorded." in [s.value for s in at.success]
    at.radio(key="coll.d.what").set_value("open")
    at.text_input(key="coll.d.ref").set_value(invoice)
    at.date_input(key="coll.d.day").set_value(as_of)
    at.text_input(key="coll.d.note").set_value("price disputed")
    at.button(key="coll.d.submit").click()
    run(at)
    contacts, disputes, _arrangements = records(org)
    assert list(contacts["actor"]) == [COLLECTOR] and list(contacts["actor_role"]) == [
        "collector"]
    assert list(disputes["actor"]) == [COLLECTOR] and list(disputes["action"]) == ["open"]


def test_credit_gets_the_arrangement_form(org):
    at = signed_in(CREDIT, "collections")
    assert {"coll.a.submit", "coll.d.submit", "coll.contact.submit"} <= keys(at)


def test_a_rep_cannot_open_collections_nor_record_an_arrangement(org):
    at = signed_in(REP, "collections")
    assert any("may not open Collections" in str(e.value) for e in at.error)
    assert not any(k.startswith("coll.") for k in keys(at))
    at = signed_in(REP, "my-pay")
    assert not any(k.startswith("coll.a") for k in keys(at))
    with open_store(org.url) as store:
        refused = [e for e in access.audit_log(access.LOCAL_ADMIN, store, user_email=REP)
                   if e["outcome"] == "refused"]
    assert [e["object"] for e in refused] == ["page:collections"]


def _desk_table(at: AppTest):
    [table] = [d.value for d in at.dataframe if "you keep" in d.value.columns]
    return table


def test_a_rep_sees_only_their_own_worklist_rows_and_logs_a_contact(org):
    at = signed_in(REP, "my-pay")
    as_of = at.date_input(key=next(k for k in (w.key for w in at.date_input)
                                   if k and k.startswith("my_pay.as_of"))).value
    mine = worklist_of(org, as_of, "R007")
    table = _desk_table(at)
    assert sorted(table["invoice"]) == sorted(mine["invoice_id"]) and len(mine) > 0
    everyone = worklist_of(org, as_of)
    others = set(everyone.loc[everyone["rep_id"] != "R007", "invoice_id"]) - set(
        mine["invoice_id"])
    assert not others & set(table["invoice"])
    assert any("customer_name" in d.value.columns and "flag" in d.value.columns
               for d in at.dataframe)
    assert at.selectbox(key="my_pay.desk.contact.invoice").options == sorted(
        mine["invoice_id"])
    at.date_input(key="my_pay.desk.contact.date").set_value(as_of)
    at.text_area(key="my_pay.desk.contact.outcome").set_value("buyer chases AP")
    at.button(key="my_pay.desk.contact.submit").click()
    run(at)
    contacts, _d, _a = records(org)
    assert list(contacts["actor"]) == [REP] and list(contacts["actor_role"]) == ["rep"]
    assert contacts["invoice_id"].iloc[0] in set(mine["invoice_id"])


def test_a_manager_sees_the_desk_section_on_my_pay(org):
    at = signed_in(MANAGER, "my-pay")  # their own rows; the Rep picker offers the team
    assert {o.split(" ")[0] for o in at.selectbox(key="my_pay.rep").options} == set(MANAGER_TEAM)
    _desk_table(at)
