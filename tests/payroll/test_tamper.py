"""Tamper evidence (issue 9, class 3): a locked batch changed behind the triggers' back is caught.

Each tampering is done for real, as someone with the database in hand would: on
SQLite every trigger is dropped and rows edited in the file; on PostgreSQL the
tables' owner runs ``ALTER TABLE ... DISABLE TRIGGER ALL`` and edits rows. Then
``commission batch verify`` names what differs, and the payroll export and the
statement refuse the batch (nothing written). With the triggers in place, inserts
into a locked batch are refused like updates.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_run import run
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from commission.payroll import approve, load, lock, run_batch
from commission.payroll.verify import verify
from commission.store import migrate, open_store, seal

RULES = Path(__file__).resolve().parents[2] / "rules"
ROOT = "root@example.com"
GUARDED = ("batch_lines", "batch_payouts", "plans", "batch_seals", "batches",
           "batch_events", "batch_plans", "batch_seal_reps", "batch_volumes", "batch_counts")


def _draft(store_url, csvs, tmp_path, capsys, monkeypatch) -> int:
    """A store with an admin (Root) and a draft batch for 2026-01; its id."""
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    assert run(capsys, "user", "--db", store_url, "add", ROOT, "--name", "Root",
               "--role", "admin", "--role", "finance")[0] == 0
    with open_store(store_url) as store:
        load(store, csvs.small(tmp_path / "data"), RULES)
        return run_batch(store, "2026-01", by="ann").batch_id


@pytest.fixture
def locked(store_url, csvs, tmp_path, capsys, monkeypatch) -> tuple[str, int]:
    """A store with a locked batch for 2026-01 (R2 paid at 4% by invoiced-traditional)."""
    b = _draft(store_url, csvs, tmp_path, capsys, monkeypatch)
    with open_store(store_url) as store:
        approve(store, b, by="bob")
        lock(store, b, by="cy")
    return store_url, b


def tamper(url: str, statements: list[str]) -> None:
    """Edit rows as the database's owner would: triggers dropped (SQLite) or disabled (PG)."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(make_url(url).database)
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            con.execute(f"DROP TRIGGER {name}")
        for s in statements:
            con.execute(s)
        con.commit()
        con.close()
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        for t in GUARDED:
            conn.exec_driver_sql(f"ALTER TABLE {t} DISABLE TRIGGER ALL")
        for s in statements:
            conn.exec_driver_sql(s)
        for t in GUARDED:
            conn.exec_driver_sql(f"ALTER TABLE {t} ENABLE TRIGGER ALL")
    engine.dispose()


RAISE_LINE = ("UPDATE batch_lines SET gross = gross + 1000000, amount = amount + 1000000 "
              "WHERE batch_id = {b} AND rep_id = 'R2'")
RAISE_PAYOUT = ("UPDATE batch_payouts SET gross = gross + 1000000, net = net + 1000000, "
                "payout = payout + 1000000 WHERE batch_id = {b} AND rep_id = 'R2'")
#: paid events are the locked batches' events (migration 0021): one more is one more paid
PAY_P2 = ("INSERT INTO batch_events (batch_id, event_kind, event_id, event_date, amount, "
          "row_hash) VALUES ({b}, 'payment', 'P2', '2026-02-20', 300000, 0)")
TAMPERING = {
    "line and payout raised by 10,000 (still reconciles)": (
        [RAISE_LINE, RAISE_PAYOUT], ["lines differ from the seal", "payouts differ from the seal"]),
    "a paid event added (a later payment silently unpaid)": (
        [PAY_P2],
        ["paid events differ from the seal"]),
    "stored plan text edited 4% -> 40%": (
        ["UPDATE plans SET yaml_text = replace(yaml_text, 'rate: 0.04', 'rate: 0.40') "
         "WHERE plan_id = 'invoiced-traditional'"],
        ["plan texts differ from the seal",
         "plan invoiced-traditional version 1: its stored text is not the text"]),
    "a line deleted": (["DELETE FROM batch_lines WHERE batch_id = {b} AND rep_id = 'R2'"],
                       ["lines differ from the seal"]),
    "the seal removed": (["DELETE FROM batch_seals WHERE batch_id = {b}"],
                         ["the batch is locked but has no seal"]),
    "a kept tier volume raised (later months' tiers)": (
        ["UPDATE batch_volumes SET base_amount = base_amount + 100000000 "
         "WHERE batch_id = {b} AND rep_id = 'R2'"],
        ["the tier volumes kept for later months differ from the batch's lines"]),
    "a kept count lowered (what the summary says it paid)": (
        ["UPDATE batch_counts SET payments = payments - 1 WHERE batch_id = {b}"],
        ["the counts of lines and events kept for the batch's summary differ"]),
}

#: tampering no statement shows: a statement checks its rep's lines and payout, the plan
#: texts and the seal itself, not the batch's paid events (verify does)
NOT_ON_STATEMENTS = {"a paid event added (a later payment silently unpaid)",
                     "a kept tier volume raised (later months' tiers)",
                     "a kept count lowered (what the summary says it paid)"}
#: tampering that leaves the payroll file as locked: the export checks every payout, the
#: plan texts and the seal itself; the lines and paid events are verify's (docs/security.md)
NOT_ON_EXPORTS = {"a paid event added (a later payment silently unpaid)", "a line deleted",
                  "a kept tier volume raised (later months' tiers)",
                  "a kept count lowered (what the summary says it paid)"}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_verify_detects_tampering_and_export_and_statement_refuse(locked, case, capsys,
                                                                  tmp_path):
    url, b = locked
    db = ["--db", url, "--as", ROOT]
    code, out, _err = run(capsys, "batch", "verify", str(b), *db)
    assert code == 0 and f"batch {b} (2026-01): OK, matches its seal" in out
    statements, expected = TAMPERING[case]
    tamper(url, [s.format(b=b) for s in statements])

    code, out, err = run(capsys, "batch", "verify", str(b), *db)
    assert code == 1 and out == "" and "Traceback" not in err
    assert f"batch {b} (2026-01): FAILED verification" in err
    for words in expected:
        assert words in err
    export, page = tmp_path / "pay.csv", tmp_path / "st.html"
    code, _out, err = run(capsys, "batch", "export", str(b), "--out", str(export), *db)
    if case in NOT_ON_EXPORTS:  # the file is the sealed payouts, unchanged
        assert code == 0 and export.exists()
    else:
        assert code == 2 and "fails verification" in err and not export.exists()
    code, _out, err = run(capsys, "statement", "--batch", str(b), "--rep", "R2", "--out",
                          str(page), *db)
    if case in NOT_ON_STATEMENTS:  # a statement checks what it shows (docs/security.md)
        assert code == 0 and page.exists()
        return
    assert code == 2 and "fails verification" in err and not page.exists()


INSERTS = {
    "batch_lines": "INSERT INTO batch_lines SELECT batch_id, line_no + 100, period, rep_id, "
                   "plan_id, line_kind, event_id, invoice_id, event_date, base_amount, share, "
                   "rate, rate_num, rate_den, days_late, haircut_num, haircut_pct, gross, "
                   "haircut, amount, prior_period, explanation FROM batch_lines "
                   "WHERE batch_id = {b}",
    "batch_payouts": "INSERT INTO batch_payouts (batch_id, rep_id, period, plan_id, gross, "
                     "haircuts, clawbacks, net, carry_in, payout, carry_out) VALUES "
                     "({b}, 'R9', '2026-01', 'x', 1, 0, 0, 1, 0, 1, 0)",
    "batch_events": PAY_P2,
    "batch_seals": "INSERT INTO batch_seals SELECT * FROM batch_seals WHERE batch_id = {b}",
    "batch_seal_reps": "INSERT INTO batch_seal_reps (batch_id, rep_id, lines_sha256, "
                       "payouts_sha256) VALUES ({b}, 'R9', 'x', 'y')",
}


@pytest.mark.parametrize("table", list(INSERTS))
def test_the_database_refuses_an_insert_into_a_locked_batch(locked, table):
    url, b = locked
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError, match=r"locked|fixed|sealed|permanent|UNIQUE|duplicate"), \
                engine.begin() as conn:
            conn.exec_driver_sql(INSERTS[table].format(b=b))
    finally:
        engine.dispose()
    with open_store(url) as store:
        assert verify(store, b).ok  # nothing changed


def test_stored_plan_text_cannot_be_updated_with_the_triggers_in_place(locked):
    url, _b = locked
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError, match="a change is a new plan id"), engine.begin() as c:
            c.exec_driver_sql("UPDATE plans SET yaml_text = yaml_text || ' '")
    finally:
        engine.dispose()


def test_a_store_at_0005_upgrades_in_place_and_its_locked_batches_are_sealed(locked, capsys):
    url, b = locked
    with open_store(url) as store, store.write() as conn:
        from alembic import command

        command.downgrade(migrate.alembic_config(conn), "0005")
    with open_store(url) as store:  # opening upgrades (through 0006) and seals the locked batch
        with store.read() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
        v = verify(store, b)
        assert v.ok and v.sealed_by == "migration 0006 (locked before digests)"
    tamper(url, [RAISE_LINE.format(b=b)])
    with open_store(url) as store:
        assert "lines differ from the seal" in verify(store, b).text()
        # sealed whole (sha256-v1): one rep's statement verifies the whole batch
        from commission.store import seal

        with store.read() as conn:
            assert seal.read(conn, b)["method"] == seal.V1 and not seal.read_reps(conn, b)
        assert "lines differ from the seal" in verify(store, b, "R1").text()


def test_verify_of_a_draft_says_only_locked_batches_are_sealed(locked, capsys):
    url, _b = locked
    db = ["--db", url, "--as", ROOT]
    with open_store(url) as store:
        d = run_batch(store, "2026-02", by="ann").batch_id
    code, _out, err = run(capsys, "batch", "verify", str(d), *db)
    assert code == 2 and "is draft, not locked: only a locked batch is sealed" in err


def test_database_serialization_equals_the_python_reference(locked) -> None:
    """The seal's large sections are serialized by the database (fast); they must give the
    bytes of the row-by-row ``json.dumps`` reference, on text that JSON escapes too."""
    from commission.store import seal

    url, b = locked
    tricky = "quote \" backslash \\ tab \t newline \n bell \x07 del \x7f é … € \u2028 😀"
    tamper(url, [f"UPDATE batch_lines SET explanation = '{tricky.replace(chr(39), chr(39) * 2)}'"
                 f" WHERE batch_id = {b} AND line_no = 1",
                 f"UPDATE batch_lines SET days_late = NULL WHERE batch_id = {b} AND line_no = 2"])
    engine = create_engine(url)
    with engine.connect() as conn:
        assert seal._database_json_agrees(conn)
        fast = seal.sections(conn, b, seal.V1)
        reference = {name: seal._digest(conn, q) for name, q in seal._queries(b).items()}
        # sha256-v2: each rep's lines, hashed by the database path and row by row
        lines = seal.LINES
        per_rep = seal._rep_digests_python(conn, select(
            lines.c.rep_id, *(lines.c[c] for c in seal.LINE_SEALED_COLUMNS))
            .where(lines.c.batch_id == b).order_by(lines.c.line_no))
        assert seal._line_digests(conn, b, None) == per_rep and len(per_rep) > 1
        for rep, digest in per_rep.items():
            assert seal._line_digests(conn, b, rep) == {rep: digest}
        explanation = conn.exec_driver_sql(
            f"SELECT explanation FROM batch_lines WHERE batch_id = {b} AND line_no = 1").scalar()
    engine.dispose()
    assert explanation == tricky
    assert fast == reference


def _statement(capsys, url: str, b: int, rep: str, page: Path) -> tuple[int, str]:
    code, _out, err = run(capsys, "statement", "--batch", str(b), "--rep", rep, "--out",
                          str(page), "--db", url, "--as", ROOT)
    return code, err


def test_a_seal_per_rep_names_the_rep_and_refuses_only_that_reps_statement(
        locked, capsys, tmp_path):
    """sha256-v2: one rep's altered line fails verify (naming the rep), the export and that
    rep's statement; another rep's statement, whose rows are intact, is still issued."""
    url, b = locked
    with open_store(url) as store, store.read() as conn:
        from commission.store import seal

        assert seal.read(conn, b)["method"] == seal.V2
        assert set(seal.read_reps(conn, b)) == {"R1", "R2"}
    tamper(url, [f"UPDATE batch_lines SET explanation = explanation || ' (edited)' "
                 f"WHERE batch_id = {b} AND rep_id = 'R2'"])
    with open_store(url) as store:
        text = verify(store, b).text()
        assert "lines differ from the seal" in text and "lines of rep R2 differ" in text
        assert "R1" not in text
        assert verify(store, b, "R1").ok and not verify(store, b, "R2").ok
    code, err = _statement(capsys, url, b, "R2", tmp_path / "r2.html")
    assert code == 2 and "lines of rep R2 differ from the seal" in err
    assert not (tmp_path / "r2.html").exists()
    code, _err = _statement(capsys, url, b, "R1", tmp_path / "r1.html")
    assert code == 0 and (tmp_path / "r1.html").exists()


def test_the_export_hands_out_the_sealed_payouts_and_refuses_a_tampered_one(
        locked, capsys, tmp_path):
    """A locked batch's payroll file is its payouts, checked against the seal rep by rep:
    lines altered alone (an explanation, a line's money) leave the file as locked, so it
    is issued, byte for byte the same, while verify names the reps; a payout altered
    alone refuses the export and names the rep."""
    url, b = locked
    db = ["--db", url, "--as", ROOT]
    assert run(capsys, "batch", "export", str(b), "--out", str(tmp_path / "a.csv"), *db)[0] == 0
    tamper(url, [f"UPDATE batch_lines SET explanation = 'x' WHERE batch_id = {b} "
                 "AND rep_id = 'R1'", RAISE_LINE.format(b=b)])
    assert run(capsys, "batch", "export", str(b), "--out", str(tmp_path / "b.csv"), *db)[0] == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    with open_store(url) as store:
        assert "lines of reps R1, R2 differ" in verify(store, b).text()
    tamper(url, [f"UPDATE batch_payouts SET payout = payout + 1 WHERE batch_id = {b} "
                 "AND rep_id = 'R1'"])
    code, _out, err = run(capsys, "batch", "export", str(b), "--out", str(tmp_path / "c.csv"),
                          *db)
    assert code == 2 and "fails verification" in err and "payouts of rep R1 differ" in err
    assert not (tmp_path / "c.csv").exists()


def test_an_altered_rep_digest_is_an_altered_seal_for_every_statement(locked, capsys,
                                                                       tmp_path):
    url, b = locked
    tamper(url, [f"UPDATE batch_seal_reps SET lines_sha256 = '{'0' * 64}' "
                 f"WHERE batch_id = {b} AND rep_id = 'R1'"])
    with open_store(url) as store:
        text = verify(store, b).text()
    assert "the seal itself was altered (its per-rep digests do not match its sections)" in text
    for rep in ("R1", "R2"):
        code, err = _statement(capsys, url, b, rep, tmp_path / f"{rep}.html")
        assert code == 2 and "the seal itself was altered" in err


def test_a_rep_added_behind_the_seal_is_no_part_of_it(locked, capsys):
    url, b = locked
    tamper(url, ["INSERT INTO batch_payouts (batch_id, rep_id, period, plan_id, gross, "
                 "haircuts, clawbacks, net, carry_in, payout, carry_out) VALUES "
                 f"({b}, 'R9', '2026-01', 'x', 1, 0, 0, 1, 0, 1, 0)"])
    with open_store(url) as store:
        assert "payouts of rep R9 differ from the seal" in verify(store, b).text()
        assert "rep R9 has no part in the seal" in verify(store, b, "R9").text()


def test_a_draft_export_reconciles_its_payouts_with_the_lines_summed_in_the_database(
        store_url, csvs, tmp_path, capsys, monkeypatch):
    """No seal before lock: a DRAFT payroll file is issued only when every payout adds up
    to its lines (summed in the database), else refused naming the rep."""
    b = _draft(store_url, csvs, tmp_path, capsys, monkeypatch)
    db = ["--db", store_url, "--as", ROOT]
    assert run(capsys, "batch", "export", str(b), "--out", str(tmp_path / "a.csv"), *db)[0] == 0
    assert (tmp_path / "a_DRAFT.csv").exists()
    tamper(store_url, [RAISE_LINE.format(b=b)])
    code, _out, err = run(capsys, "batch", "export", str(b), "--out", str(tmp_path / "b.csv"),
                          *db)
    assert code == 2 and "does not reconcile" in err and "R2" in err
    assert not (tmp_path / "b_DRAFT.csv").exists()


# ----------------------------------------------------------------------------- between run and lock
# The lock seals with the digests the run computed from the rows it wrote (0017), so a draft
# row changed behind the app's back before the lock is not blessed by the seal.


@pytest.mark.parametrize("how", ["raised", "explanation edited", "deleted"])
def test_a_draft_line_changed_between_run_and_lock_fails_verification(
        store_url, csvs, tmp_path, capsys, monkeypatch, how):
    b = _draft(store_url, csvs, tmp_path, capsys, monkeypatch)
    change = {"raised": "UPDATE batch_lines SET gross = gross + 1, amount = amount + 1",
              "explanation edited": "UPDATE batch_lines SET explanation = explanation || ' '",
              "deleted": "DELETE FROM batch_lines"}[how]
    engine = create_engine(store_url)  # the triggers as they are: a draft may be rewritten
    with engine.begin() as conn:
        conn.exec_driver_sql(f"{change} WHERE batch_id = {b} AND rep_id = 'R2'")
    engine.dispose()
    with open_store(store_url) as store:
        approve(store, b, by="bob")
        lock(store, b, by="cy")
        result = verify(store, b)
        assert not result.ok
        assert any(d.startswith("lines differ from the seal") for d in result.differences)
        assert "lines of rep R2 differ from the seal" in result.differences
        assert not any("R1" in d or "payouts" in d or "paid events" in d
                       for d in result.differences)
        assert verify(store, b, rep_id="R1").ok  # the untouched rep's statement still issues
    code, _out, err = run(capsys, "batch", "verify", str(b), "--db", store_url, "--as", ROOT)
    assert code == 1 and "lines of rep R2 differ from the seal" in err


def test_an_untouched_draft_locks_to_a_seal_that_verifies(locked):
    url, b = locked
    with open_store(url) as store:
        assert verify(store, b).ok
        with store.read() as conn:  # the run's digests are what the rows give
            kept = seal.read_reps(conn, b)
            assert {r: d[0] for r, d in seal.rep_digests(conn, b).items()} == {
                r: d[0] for r, d in kept.items()}
