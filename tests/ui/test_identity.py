"""Who sees and does what in the app: role x page x action, under AppTest.

Sign-in is configured the way a deployment configures it, through secrets: the
tests set ``at.secrets["auth"]`` (so :func:`commission.ui.session.auth_configured`
is true) and ``at.user`` (what ``st.user`` returns after ``st.login``). There is no
test-only path in the app. Each allowed action must work; each forbidden one must be
refused on the page with a clear message and leave an entry in the audit log.
The people are those of ``tests/identity_org.py``.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from identity_org import (
    ADMIN,
    ALL_REPS,
    APPROVER,
    FINANCE,
    MANAGER,
    MANAGER_TEAM,
    PLANNER,
    REP,
    STRANGER,
    make_org,
)
from streamlit.testing.v1 import AppTest

from commission import access
from commission.payroll import lifecycle
from commission.reports.compare import data_periods
from commission.sample import write_sample
from commission.store import open_store
from commission.ui.session import LOCAL_BANNER, PAGES

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
AUTH = {"redirect_uri": "http://127.0.0.1:9/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "commission", "client_secret": "not-used",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
SCRIPT = {p.key: p.script for p in PAGES}
TITLE = {p.key: p.title for p in PAGES}
#: the pages each person's roles may use, in menu order
MAY_OPEN = {
    ADMIN: ["compare", "my-pay", "batches", "collections", "admin"],
    FINANCE: ["compare", "my-pay", "batches", "collections"],
    APPROVER: ["compare", "my-pay", "batches"],
    PLANNER: ["compare", "my-pay"],
    MANAGER: ["my-pay"],
    REP: ["my-pay"],
}


# --------------------------------------------------------------------------- set-up


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The sample data, the plans and a store holding the company, made once."""
    root = tmp_path_factory.mktemp("org")
    data, rules = root / "data", root / "rules"
    write_sample(data)
    shutil.copytree(REPO / "rules", rules)
    make_org(f"sqlite:///{root / 'org.db'}", data, rules)
    return SimpleNamespace(data=data, rules=rules, db=root / "org.db")


@pytest.fixture
def org(template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A copy of the company's store and plans for one test, and the app pointed at them."""
    db, rules = tmp_path / "org.db", tmp_path / "rules"
    shutil.copy(template.db, db)
    shutil.copytree(template.rules, rules)
    url = f"sqlite:///{db}"
    monkeypatch.setenv("COMMISSION_DB", url)
    monkeypatch.setenv("COMMISSION_RULES", str(rules))
    monkeypatch.setenv("COMMISSION_DATA", str(template.data))
    with open_store(url) as store:
        periods = data_periods(store.stored_inputs())
    return SimpleNamespace(url=url, rules=rules, periods=periods)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in(email: str | None, page: str | None = None, **query: str) -> AppTest:
    """The app with sign-in configured, as ``email`` (None: signed out), on ``page``."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = ({"is_logged_in": True, "email": email, "email_verified": True} if email
               else {"is_logged_in": False})
    at.query_params.update(query)
    run(at)
    if page is not None:
        at.switch_page(SCRIPT[page])
        run(at)
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def menu(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def audit(url: str, email: str, outcome: str | None = None) -> list[dict]:
    with open_store(url) as store:
        entries = access.audit_log(access.LOCAL_ADMIN, store, user_email=email)
    return [e for e in entries if outcome is None or e["outcome"] == outcome]


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return run(at)


def buttons(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def downloads(at: AppTest) -> set[str]:
    return {d.key for d in at.download_button if d.key}


# --------------------------------------------------------------------------- signing in


def test_a_signed_out_visitor_sees_only_the_sign_in_page(org):
    at = signed_in(None)
    assert [t.value for t in at.title] == ["Commission"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not menu(at) and not at.metric and not at.dataframe
    assert LOCAL_BANNER not in texts(at.warning)


def test_an_unknown_email_has_no_access_and_the_refusal_is_recorded_once(org):
    at = signed_in(STRANGER)
    assert "You have no access to this app; ask an administrator" in texts(at.error)
    assert not menu(at) and not at.metric
    run(at)  # a rerun of the same session does not record it again
    refused = audit(org.url, STRANGER, "refused")
    assert [(e["action"], e["object"]) for e in refused] == [("sign-in", f"user:{STRANGER}")]


def test_a_sign_in_is_recorded_once_a_session(org):
    at = signed_in(REP)
    run(at)
    run(at)
    assert [e["action"] for e in audit(org.url, REP) if e["action"] == "sign-in"] == ["sign-in"]
    assert f"Signed in as Nora Xu · {REP} (rep)" in texts(at.sidebar.caption)


def test_a_deactivated_user_is_refused_at_once(org):
    at = signed_in(REP, "my-pay")
    with open_store(org.url) as store:
        access.set_user_active(access.resolve(store, ADMIN), store, REP, False)
    run(at)
    assert "You have no access" in texts(at.error)
    assert not at.metric


# --------------------------------------------------------------------------- pages x roles


@pytest.mark.parametrize("email", list(MAY_OPEN))
def test_the_menu_lists_only_the_pages_a_role_may_use(org, email):
    assert menu(signed_in(email)) == [TITLE[k] for k in MAY_OPEN[email]]


@pytest.mark.parametrize("page", [p.key for p in PAGES if p.key != "my-pay"])
@pytest.mark.parametrize("email", list(MAY_OPEN))
def test_a_page_opens_for_its_roles_and_its_address_is_refused_to_the_rest(org, email, page):
    at = signed_in(email, page)
    if page in MAY_OPEN[email]:
        assert [t.value for t in at.title] == [TITLE[page]]
        assert "may not open" not in texts(at.error)
        return
    assert not at.title and not at.metric and not at.dataframe
    assert f"{email} (" in texts(at.error) and f"may not open {TITLE[page]}" in texts(at.error)
    refused = audit(org.url, email, "refused")
    assert (refused[-1]["action"], refused[-1]["object"]) == ("page.open", f"page:{page}")


# --------------------------------------------------------------------------- my pay


def test_a_rep_sees_their_own_pay_and_no_one_elses(org):
    at = signed_in(REP, "my-pay")
    assert at.subheader[0].value.startswith("Nora Xu (R007)")
    assert "my_pay.rep" not in {s.key for s in at.selectbox}  # nothing to choose from
    assert {"my_pay.html", "my_pay.pdf", "my_pay.csv"} <= downloads(at)
    assert audit(org.url, REP, "refused") == []


@pytest.mark.parametrize("other", ["R006", "R001", "R999"])
def test_another_reps_pay_in_the_address_is_refused_and_recorded(org, other):
    at = signed_in(REP, "my-pay", rep=other)
    assert f"may not see the pay of rep {other}" in texts(at.error)
    assert not at.metric and not at.download_button and not at.subheader
    refused = audit(org.url, REP, "refused")
    assert (refused[-1]["action"], refused[-1]["details"]["rep"]) == ("pay.view", other)


def test_a_manager_chooses_among_their_team_and_no_one_else(org):
    at = signed_in(MANAGER, "my-pay")
    assert at.selectbox(key="my_pay.rep").options == [
        f"{r} · {n}" for r, n in zip(MANAGER_TEAM, ["Elena Zhang", "Carla Varga", "Ivan Novak",
                                                     "Olga Gray"], strict=True)]
    assert at.subheader[0].value.startswith("Elena Zhang (R005)")  # their own first
    at.selectbox(key="my_pay.rep").set_value("R006")
    run(at)
    assert at.subheader[0].value.startswith("Carla Varga (R006)")
    views = [e for e in audit(org.url, MANAGER, "allowed") if e["action"] == "pay.view"]
    assert views[-1]["details"]["reps"] == ["R006"]  # a view of someone else's pay
    at = signed_in(MANAGER, "my-pay", rep="R007")
    assert "may not see the pay of rep R007" in texts(at.error) and not at.metric


def test_finance_chooses_among_everyone(org):
    at = signed_in(FINANCE, "my-pay", rep="R011")
    assert [o.split(" · ")[0] for o in at.selectbox(key="my_pay.rep").options] == ALL_REPS
    assert at.subheader[0].value.startswith("Farid Fischer (R011)")


def test_signed_in_pages_read_the_store_not_the_data_folder(org):
    at = signed_in(FINANCE, "my-pay")
    assert "my_pay.source" not in {r.key for r in at.radio}
    at = signed_in(PLANNER, "compare")
    assert at.radio(key="compare.source").options == ["Store", "Upload CSV files"]


# --------------------------------------------------------------------------- batches


def test_finance_runs_another_approves_the_runner_may_not_finance_locks(org):
    first = org.periods[0]
    at = signed_in(FINANCE, "batches")
    assert {"batches.load", "batches.run"} <= buttons(at)
    click(at, "batches.run")
    assert f"Batch 1 ({first}) computed" in texts(at.success)
    click(at, "batches.approve")  # Fiona is an approver too, but she ran it
    assert "Approval refused" in texts(at.error)
    assert f"{FINANCE} ran batch 1 (run 1) and may not approve it" in texts(at.error)
    assert audit(org.url, FINANCE, "refused")[-1]["action"] == "batch.approve"

    at = signed_in(APPROVER, "batches")
    assert not {"batches.load", "batches.run", "batches.lock"} & buttons(at)
    assert "batches.export" not in downloads(at)  # the payroll file is finance's
    click(at, "batches.approve")
    assert f"approved by {APPROVER}" in texts(at.success)
    assert "batches.lock" not in buttons(at)  # locking needs finance or admin

    at = signed_in(FINANCE, "batches")
    assert "batches.export" in downloads(at)
    click(at, "batches.lock")
    assert f"locked by {FINANCE}" in texts(at.success)
    with open_store(org.url) as store:
        s = lifecycle.show(store, 1)
    assert (s.run_by, s.approved_by, s.locked_by) == (FINANCE, APPROVER, FINANCE)


def test_an_administrator_may_lock_but_not_load_run_or_approve(org):
    with open_store(org.url) as store:
        batch = access.run_draft(access.resolve(store, FINANCE), store, org.periods[0])
        access.approve_batch(access.resolve(store, APPROVER), store, batch.batch_id)
    at = signed_in(ADMIN, "batches")
    assert not {"batches.load", "batches.run", "batches.approve"} & buttons(at)
    assert "batches.export" not in downloads(at)
    click(at, "batches.lock")
    assert f"locked by {ADMIN}" in texts(at.success)


@pytest.mark.parametrize(("email", "reps"), [(REP, {"R007"}), (MANAGER, set(MANAGER_TEAM))])
def test_the_batch_downloads_hold_only_what_the_identity_may_see(org, email, reps):
    from commission.ui.batches import export_text, lines_text, statements_zip

    with open_store(org.url) as store:
        batch = access.run_draft(access.resolve(store, FINANCE), store, org.periods[0])
        who = access.resolve(store, email)
        assert export_text(who, store, batch.batch_id).startswith("refused:")
        lines = pd.read_csv(io.StringIO(lines_text(who, store, batch.batch_id)))
        made = statements_zip(who, store, batch, store.stored_inputs())
    assert set(lines["rep_id"]) <= reps and len(lines)
    with zipfile.ZipFile(io.BytesIO(made)) as zf:
        assert {n.split("_")[1] for n in zf.namelist()} <= reps
    assert audit(org.url, email, "refused")[-1]["action"] == "batch.export"


# --------------------------------------------------------------------------- compare


def test_a_planner_saves_a_scenario_may_not_make_it_live_and_sees_no_ones_pay(org):
    at = signed_in(PLANNER, "compare")
    click(at, "variant.save")
    assert "Saved scenario" in texts(at.success)
    saved = [e for e in audit(org.url, PLANNER, "allowed") if e["action"] == "scenario.save"]
    assert len(saved) == 1
    assert "Making a scenario live needs the finance or admin role" in texts(at.caption)
    assert "live.go" not in buttons(at)
    at.session_state["compare.tab"] = "Per rep"
    run(at)
    assert "Each rep's figures are for finance" in texts(at.info)
    assert not any("rep_id" in df.value.columns for df in at.dataframe)


def test_an_approver_compares_read_only(org):
    at = signed_in(APPROVER, "compare")
    assert "variant.save" not in buttons(at)
    assert "Read-only: saving a scenario needs the planner, finance or admin role" in texts(
        at.caption)


def test_finance_saves_a_scenario_and_sees_the_make_live_step(org):
    at = signed_in(FINANCE, "compare")
    click(at, "variant.save")
    assert "Saved scenario" in texts(at.success)
    assert "live.go" in buttons(at)  # the separate step, behind a confirmation


# --------------------------------------------------------------------------- admin


def test_an_administrator_manages_users_settings_and_reads_the_audit_log(org):
    at = signed_in(ADMIN, "admin")
    at.text_input(key="admin.email").set_value("new@example.com")
    at.text_input(key="admin.name").set_value("New Person")
    at.text_input(key="admin.rep").set_value("R012")
    at.multiselect(key="admin.roles").set_value(["rep"])
    at.button[[b.label for b in at.button].index("Add user")].click()
    run(at)
    assert "Added new@example.com (rep)" in texts(at.success)
    at.selectbox(key="admin.user").set_value("new@example.com")
    at.selectbox(key="admin.role").set_value("manager")
    click(at, "admin.grant")
    assert "Granted manager to new@example.com" in texts(at.success)
    at.selectbox(key="admin.user").set_value(ADMIN)
    at.selectbox(key="admin.role").set_value("admin")
    click(at, "admin.revoke")
    assert "would lock everyone out" in texts(at.error)
    at.toggle(key="admin.self_approval").set_value(True)
    run(at)
    assert "Self-approval is now allowed" in texts(at.success)
    at.text_input(key="admin.object").set_value("user:new@example.com")
    run(at)
    log = next(df.value for df in at.dataframe if "outcome" in df.value.columns)
    assert log["action"].tolist() == ["role.grant", "user.add"]  # newest first
    at.selectbox(key="admin.outcome").set_value("refused")
    at.text_input(key="admin.object").set_value("")
    run(at)
    log = next(df.value for df in at.dataframe if "outcome" in df.value.columns)
    assert set(log["outcome"]) == {"refused"} and "users.manage" in set(log["action"])


# --------------------------------------------------------------------------- local mode


@pytest.mark.parametrize("page", [p.key for p in PAGES])
def test_local_mode_says_on_every_page_that_it_is_for_one_person(org, page):
    at = AppTest.from_file(APP, default_timeout=120)
    run(at)
    at.switch_page(SCRIPT[page])
    run(at)
    assert LOCAL_BANNER in texts(at.warning)
    assert [t.value for t in at.title] == [TITLE[page]]
    assert not at.get("page_link")  # the usual menu, every page
