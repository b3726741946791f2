"""``commission collections ...`` on a small store: worklist table and CSV, records, bad input,
and every command acting as a known user (``--as`` / COMMISSION_USER)."""

from __future__ import annotations

import pandas as pd
import pytest

from commission import access
from commission.cli import main

ADMIN, COLLECTOR, CREDIT = "ada@example.com", "ann@example.com", "carl@example.com"
REP1, APPROVER = "r1@example.com", "april@example.com"


@pytest.fixture
def desk_users(desk_store):
    store, _ladder = desk_store
    admin = access.bootstrap_admin(store, ADMIN, "Ada")
    for email, rep_id, roles in ((COLLECTOR, None, ("collector",)), (CREDIT, None, ("credit",)),
                                 (REP1, "R1", ("rep",)), (APPROVER, None, ("approver",))):
        access.add_user(admin, store, email, email.split("@")[0], rep_id, roles)
    return store


def refusals(store, email: str) -> list[dict]:
    return [e for e in access.audit_log(access.LOCAL_ADMIN, store, user_email=email)
            if e["outcome"] == "refused"]


def test_worklist_contact_and_a_refused_arrangement(desk_users, store_url, tmp_path, capsys,
                                                    monkeypatch):
    monkeypatch.setenv("COMMISSION_USER", COLLECTOR)
    out = tmp_path / "w.csv"
    assert main(["collections", "worklist", "--db", store_url, "--as-of", "2026-03-31",
                 "--csv", str(out)]) == 0
    frame = pd.read_csv(out)
    assert list(frame["invoice_id"]) == ["I1", "I2", "I4"]  # by open amount
    assert main(["collections", "worklist", "--db", store_url, "--as-of", "2026-03-31",
                 "--owner", "rep", "--rep", "R2"]) == 0
    shown = capsys.readouterr().out
    assert "I2" in shown and "I1" not in shown
    assert main(["collections", "contact", "--db", store_url, "--invoice", "I1",
                 "--date", "2026-03-02", "--channel", "phone", "--outcome", "ok",
                 "--promise-amount", "-1", "--promise-date", "2026-03-09"]) == 2
    assert "promise_amount" in capsys.readouterr().err
    assert main(["collections", "arrange", "--db", store_url, "--invoice", "I1",
                 "--date", "2026-03-02", "--amount", "10", "--first-due", "2026-04-01",
                 "--installments", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "may not record payment arrangements" in err
    assert main(["collections", "worklist", "--db", store_url, "--as-of", "2026-02-30"]) == 2


def test_every_collections_command_needs_a_known_user(desk_users, store_url, capsys,
                                                      monkeypatch):
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    commands = [
        ["worklist", "--as-of", "2026-03-31"], ["credit", "--as-of", "2026-03-31"],
        ["performance", "--as-of", "2026-03-31"], ["send", "--as-of", "2026-03-31", "--dry-run"],
        ["contact", "--invoice", "I1", "--date", "2026-03-02", "--channel", "phone",
         "--outcome", "ok"],
        ["dispute", "open", "--invoice", "I1", "--date", "2026-03-01", "--note", "x"],
        ["arrange", "--invoice", "I1", "--date", "2026-03-02", "--amount", "10",
         "--first-due", "2026-04-01", "--installments", "2"],
    ]
    for args in commands:
        for who in ([], ["--as", "mallory@example.com"]):
            assert main(["collections", *args, "--db", store_url, *who]) == 2, (args, who)
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1, err
            assert "--as EMAIL" in err if not who else "not a user of this store" in err
    assert desk_users is not None
    assert access.audit_log(access.LOCAL_ADMIN, desk_users, obj="user:mallory@example.com")[0][
        "action"] == "cli collections worklist"


@pytest.mark.parametrize(("email", "args", "message"), [
    (APPROVER, ["worklist", "--as-of", "2026-03-31"], "may not see the collections worklist"),
    (REP1, ["worklist", "--as-of", "2026-03-31", "--rep", "R2"], "worklist of rep R2"),
    (REP1, ["send", "--as-of", "2026-03-31", "--dry-run"], "may not send"),
    (COLLECTOR, ["send", "--as-of", "2026-03-31", "--dry-run"], "may not send"),
    (REP1, ["performance", "--as-of", "2026-03-31"], "may not see collection performance"),
    (REP1, ["dispute", "open", "--invoice", "I1", "--date", "2026-03-01", "--note", "x"],
     "may not open disputes"),
    (REP1, ["contact", "--invoice", "I2", "--date", "2026-03-02", "--channel", "phone",
            "--outcome", "ok"], "not an invoice of rep R1"),
])
def test_a_forbidden_role_gets_one_line_and_exit_2(desk_users, store_url, capsys, email, args,
                                                   message):
    assert main(["collections", *args, "--db", store_url, "--as", email]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert len(refusals(desk_users, email)) == 1


def test_a_rep_works_their_own_list(desk_users, store_url, tmp_path, capsys):
    out = tmp_path / "mine.csv"
    assert main(["collections", "worklist", "--db", store_url, "--as", REP1,
                 "--as-of", "2026-03-31", "--csv", str(out)]) == 0
    assert set(pd.read_csv(out)["rep_id"]) == {"R1"}
    assert main(["collections", "contact", "--db", store_url, "--as", REP1, "--invoice", "I1",
                 "--date", "2026-03-02", "--channel", "visit", "--outcome", "buyer chases"]) == 0
    assert main(["collections", "credit", "--db", store_url, "--as", REP1,
                 "--as-of", "2026-03-31"]) == 0
    shown = capsys.readouterr().out
    assert "C1" in shown and "C2" not in shown
    assert main(["collections", "arrange", "--db", store_url, "--as", CREDIT, "--invoice", "I1",
                 "--date", "2026-03-02", "--amount", "10", "--first-due", "2026-04-01",
                 "--installments", "2"]) == 0
    assert main(["collections", "send", "--db", store_url, "--as", CREDIT,
                 "--as-of", "2026-03-31", "--dry-run"]) == 0
