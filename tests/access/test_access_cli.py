"""The command line acts as a known user: refusals are one line, exit 2, change nothing."""

from __future__ import annotations

import pytest
from cli_run import loaded_store, run

from commission import access
from commission.payroll import lifecycle
from commission.store import open_store

ROOT = access.Identity("root@example.com", frozenset({"admin"}))


@pytest.fixture
def db(store_url, csvs, tmp_path, capsys, monkeypatch) -> list[str]:
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    return loaded_store(capsys, store_url, csvs.small(tmp_path / "data"),
                        (("rita", "rep", "R1"), ("fin", "finance", "R1")))


def refused(store_url: str) -> list[dict]:
    with open_store(store_url) as s:
        return [e for e in access.audit_log(ROOT, s) if e["outcome"] == "refused"]


@pytest.mark.parametrize(("who", "message"), [
    (None, "say who you are: --as EMAIL or COMMISSION_USER (commission user list)"),
    ("nobody@example.com", "nobody@example.com is not a user of this store (an administrator "
                           "adds people with commission user add)"),
    ("rita@example.com", "rita@example.com (rep) may not run the batch of 2026-01: "
                         "that needs the finance role"),
])
def test_an_unknown_user_or_a_role_that_may_not_act_is_refused(db, store_url, capsys, who,
                                                                message):
    as_ = ["--as", who] if who else []
    code, out, err = run(capsys, "batch", *db, "run", "--period", "2026-01", *as_)
    assert code == 2 and out == ""
    assert err == f"commission: {message}\n"
    with open_store(store_url) as s:
        assert lifecycle.list_batches(s).empty  # nothing changed
    assert refused(store_url)[-1]["details"]["reason"] == message


def test_the_environment_names_the_user_and_the_record_is_true(db, store_url, capsys,
                                                               monkeypatch):
    monkeypatch.setenv("COMMISSION_USER", "fin@example.com")
    code, out, err = run(capsys, "batch", *db, "run", "--period", "2026-01")
    assert code == 0, err
    assert "run 1 by fin@example.com" in out
    code, _, err = run(capsys, "batch", *db, "approve", "1")
    assert code == 2 and "needs the approver role" in err
    code, out, _ = run(capsys, "audit", *db, "--as", "root@example.com", "--user",
                       "fin@example.com")
    assert "allowed  batch.run  batch:1" in out and "refused  batch.approve  batch:1" in out
    code, out, _ = run(capsys, "audit", *db, "--since", "2000-01-01")  # one's own: allowed
    assert code == 2  # everyone's needs admin


def test_a_rep_reads_only_their_own_statement_from_the_command_line(db, store_url, capsys,
                                                                    tmp_path):
    assert run(capsys, "batch", *db, "run", "--period", "2026-01", "--as", "fin@example.com"
               )[0] == 0
    out = tmp_path / "s.html"
    code, _, err = run(capsys, "statement", *db, "--batch", "1", "--rep", "R2", "--out",
                       str(out), "--as", "rita@example.com")
    assert code == 2 and "may not see the pay of rep R2" in err and not out.exists()
    code, _, err = run(capsys, "statement", *db, "--batch", "1", "--rep", "R1", "--out",
                       str(out), "--as", "rita@example.com")
    assert code == 0, err


def test_user_commands_grant_revoke_list_and_refuse_a_second_bootstrap(db, capsys):
    code, _, err = run(capsys, "user", *db, "add", "eve@example.com", "--name", "Eve",
                       "--role", "admin")
    assert code == 2 and "say who you are" in err
    me = ["--as", "root@example.com"]
    assert run(capsys, "user", *db, "grant", "rita@example.com", "manager", *me)[0] == 0
    assert run(capsys, "user", *db, "revoke", "rita@example.com", "rep", *me)[0] == 0
    code, out, _ = run(capsys, "user", *db, "list", *me)
    assert "rita@example.com  rita  [manager]  rep R1" in out
    code, _, err = run(capsys, "user", *db, "list", "--as", "fin@example.com")
    assert code == 2 and "needs the admin role" in err
    code, _, err = run(capsys, "user", *db, "revoke", "root@example.com", "admin", *me)
    assert code == 2 and "last administrator" in err
