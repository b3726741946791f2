"""The collections page renders the sample data's worklist, signal and performance."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_the_page_shows_the_worklist(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COMMISSION_DATA", str(ROOT / "sample_data"))
    monkeypatch.setenv("COMMISSION_RULES", str(ROOT / "rules"))
    at = AppTest.from_file(str(ROOT / "commission" / "ui" / "collections.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.metric[0].label == "Overdue invoices" and int(at.metric[0].value) > 0
    assert len(at.dataframe) >= 3
