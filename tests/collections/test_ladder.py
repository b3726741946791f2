"""The ladder file: the shipped ladder is valid; every mistake is a problem naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from commission.collections.ladder import load_ladder, parse_ladder
from commission.plans import load_plans

RULES = Path(__file__).resolve().parents[2] / "rules"
GOOD = """
steps:
  - {days: 1, name: reminder, owner: collector, involvement: optional, action: remind}
  - {days: 30, name: rep call, owner: rep, involvement: should, action: call,
     message: {subject: "{invoice_id}", body: "{customer_name} owes {open_amount}"}}
"""


def test_the_shipped_ladder_is_valid_and_has_the_six_steps():
    ladder, problems = load_ladder(RULES / "collections.yaml")
    assert problems == []
    assert [(s.days, s.owner, s.involvement) for s in ladder.steps] == [
        (1, "collector", "optional"), (15, "collector", "optional"), (30, "rep", "should"),
        (45, "rep", "must"), (60, "credit", "must"), (90, "credit", "must")]
    assert ladder.steps[3].copy_to == ("manager",)


def test_the_plans_loader_does_not_read_the_ladder_as_a_plan():
    plans, _texts, problems = load_plans(RULES)
    assert problems == [] and "collections" not in plans


def test_a_good_ladder_parses():
    ladder, problems = parse_ladder(GOOD, "rules/collections.yaml")
    assert problems == [] and len(ladder.steps) == 2


@pytest.mark.parametrize(("text", "key", "words"), [
    (GOOD + "colour: red\n", "colour", "unknown key"),
    (GOOD.replace("days: 30", "days: 1"), "steps", "invalid value"),
    (GOOD.replace("owner: rep", "owner: intern"), "steps.1.owner", "invalid value"),
    (GOOD.replace("involvement: should", "involvement: maybe"), "steps.1.involvement",
     "invalid value"),
    (GOOD.replace("{invoice_id}", "{password}"), "steps.1.message.subject", "invalid value"),
    (GOOD.replace("action: remind", "action: remind, when: soon"), "steps.0.when", "unknown key"),
    (GOOD.replace("days: 1,", "days: -1,"), "steps.0.days", "invalid value"),
    ("steps: []\n", "steps", "invalid value"),
    ("steps: [\n", None, "not valid YAML"),
    ("- a list\n", None, "not a YAML mapping"),
])
def test_a_bad_ladder_is_a_problem_with_file_and_key_never_a_traceback(text, key, words):
    ladder, problems = parse_ladder(text, "rules/collections.yaml")
    assert ladder is None and problems
    assert all(p.source == "rules/collections.yaml" for p in problems)
    assert any(p.column == key and words in p.message for p in problems), problems


def test_a_missing_ladder_file_is_a_problem(tmp_path):
    ladder, problems = load_ladder(tmp_path / "collections.yaml")
    assert ladder is None and "cannot read" in problems[0].message
