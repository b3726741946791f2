"""The inquiry cycle on the pages, under AppTest in local mode (the local administrator
acts for everyone).

A rep flags a line of the draft on My pay; finance resolves it with a correction on
the batch console; the rep sees the answer; a declined one shows its answer; an open
one needs the acknowledgement to approve and rolls to the next period at lock. My
pay also shows "Compared with last month".
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from commission.payroll import inquiries as rules
from commission.payroll import lifecycle
from commission.sample import write_sample
from commission.store import open_store

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample") / "data"
    write_sample(folder)
    return folder


@pytest.fixture
def env(tmp_path, monkeypatch, sample_dir):
    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules_dir)
    db = f"sqlite:///{tmp_path / 'commission.db'}"
    monkeypatch.setenv("COMMISSION_RULES", str(rules_dir))
    monkeypatch.setenv("COMMISSION_DATA", str(sample_dir))
    monkeypatch.setenv("COMMISSION_DB", db)
    with open_store(db) as store:
        lifecycle.load(store, sample_dir, rules_dir, by="setup")
        batch = lifecycle.run_batch(store, "2024-11", by="fiona")
    return db, batch.batch_id


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page(name: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(query)
    run(at)
    at.switch_page(f"commission/ui/{name}.py")
    return run(at)


def my_pay(period: str) -> AppTest:
    at = page("my_pay", rep="R002")
    at.radio(key="my_pay.source").set_value("store")
    run(at)
    at.selectbox(key="my_pay.period").set_value(period)
    return run(at)


def text(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in (at.markdown, at.caption, at.success, at.error)
                     for e in kind)


def flag(at: AppTest, line: str | None, reason: str, comment: str) -> AppTest:
    if line is not None:
        at.selectbox(key="my_pay.inquiry.line").set_value(line)
    at.selectbox(key="my_pay.inquiry.reason").set_value(reason)
    at.text_area(key="my_pay.inquiry.comment").set_value(comment)
    at.button(key="my_pay.inquiry.send").click()
    return run(at)


def console() -> AppTest:
    return run(page("batches"))  # local mode: the local administrator answers


def test_a_rep_flags_finance_resolves_and_the_rep_reads_the_answer(env):
    db, _batch_id = env
    at = my_pay("2024-11")
    line = next(o for o in at.selectbox(key="my_pay.inquiry.line").options
                if o.startswith("collection "))
    at = flag(at, line, "wrong_haircut", "This was paid on time")
    assert "Sent as INQ-000001" in text(at)

    at = console()
    assert "Inquiries · 1 open" in text(at)
    at.text_area(key="batches.answer.1").set_value("Right, the dispute paused the clock")
    at.text_input(key="batches.fix.1").set_value("12.34")
    at.button(key="batches.inquiry.1.resolve").click()
    run(at)
    assert "Inquiries · 0 open" in text(at)
    with open_store(db) as store:
        (fix,) = rules.commission_adjustments(store).to_dict("records")
        assert (fix["commission_adjustment_id"], fix["rep_id"], fix["amount"]) == (
            "INQ-000001", "R002", 1234)
        # the re-run pays it once part 2's manual lines are in the engine
        rerun = lifecycle.run_batch(store, "2024-11", by="fiona")
        lines = lifecycle.batch_lines(store, rerun.batch_id)
        if hasattr(store.stored_inputs(), "commission_adjustments"):
            manual = lines[lines["event_id"] == "INQ-000001"]
            assert manual["amount"].tolist() == [1234]

    at = my_pay("2024-11")
    shown = text(at)
    assert "Right, the dispute paused the clock" in shown
    assert "correction USD 12.34" in shown


def test_declined_shows_its_answer_and_an_open_one_rolls_at_lock(env):
    db, _batch_id = env
    at = my_pay("2024-11")
    at = flag(at, None, "other", "Where is my bonus?")
    at = flag(at, None, "missing_payment", "Customer paid twice")
    assert "Sent as INQ-000002" in text(at)

    at = console()
    at.text_area(key="batches.answer.1").set_value("Bonuses are not in this plan")
    at.button(key="batches.inquiry.1.decline").click()
    run(at)
    at.button(key="batches.approve").click()
    run(at)
    assert "still open" in text(at)  # refused without the acknowledgement
    at.checkbox(key="batches.acknowledge").check()
    run(at)
    at.button(key="batches.approve").click()
    run(at)
    assert "approved by local-admin@localhost" in text(at)
    at.button(key="batches.lock").click()
    run(at)
    with open_store(db) as store:
        rolled = rules.get(store, 2)
        assert (rolled["period"], rolled["status"], rolled["rolled"]) == ("2024-12", "open", 1)
        assert rules.get(store, 1)["status"] == "declined"
        lifecycle.run_batch(store, "2024-12", by="fiona")

    at = my_pay("2024-11")
    assert "Bonuses are not in this plan" in text(at)
    at = my_pay("2024-12")
    shown = text(at)
    assert "INQ-000002" in shown and "rolled from 2024-11" in shown
    assert "Compared with 2024-11" in shown  # the waterfall's sentence


def test_a_persons_words_are_shown_as_text_not_markdown_or_html():
    from commission.ui.inquiries import _plain

    shown = _plain("[click](javascript:alert(1)) <img src=x onerror=alert(1)> **loud**")
    assert "\\<img" in shown and "[click]" not in shown
    assert shown.count("\\*") == 4 and "\\[click\\]" in shown
