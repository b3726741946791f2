"""The plan language: strict, exact, and every shipped plan valid."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from commission.plans import load_plans, parse_plan

RULES = Path(__file__).parents[2] / "rules"


def problems(text: str, expected_id: str | None = "p") -> list[str]:
    plan, found = parse_plan(text, "rules/p.yaml", expected_id=expected_id)
    assert (plan is None) == bool(found)
    return [str(p) for p in found]


def test_the_four_shipped_plans_load_without_problems():
    plans, _texts, found = load_plans(RULES)
    assert found == []
    assert {"collected-40day", "collected-stepped", "invoiced-traditional",
            "advance-marginal"} <= set(plans)
    assert plans["advance-marginal"].tiers.mode == "marginal"
    assert plans["collected-40day"].late_payment.steps[0].after_days == 40


def test_yaml_numbers_are_exact_decimals_never_binary_floats():
    plan, _ = parse_plan("id: p\nbasis: collected\nrate: 0.1\n", "x")
    assert plan.rate == Decimal("0.1") and isinstance(plan.rate, Decimal)


def test_defaults_are_the_contracts():
    plan, _ = parse_plan("id: p\nbasis: collected\nrate: 0.05\n"
                         "late_payment: {steps: [{after_days: 1, haircut: 0.1}]}\n", "x")
    lp = plan.late_payment
    assert (lp.clock, lp.grace_days, lp.pause_during_disputes) == ("due_date", 0, True)
    assert (plan.bad_debt.window_days, plan.bad_debt.penalty_rate) == (None, 0)
    assert (plan.payout.min_payout, plan.payout.cap, plan.payout.carry_forward_negative) == (
        0, None, True)
    assert plan.rounding == "half_up"


def test_unknown_keys_are_refused_with_their_path():
    assert problems("id: p\nbasis: collected\nrate: 0.05\npayout: {minimum: 5}\n") == [
        "rules/p.yaml [payout.minimum] p: unknown key; expected only the keys of the plan "
        "language (see README)"]


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("rate: 1.5", "rate", "a number between 0 and 1"),
    ("rate: -0.01", "rate", "a number between 0 and 1"),
    ("rate: 0.0000000001", "rate", "a number with at most 9 decimals"),
    ("rate: 0.05\nlate_payment: {steps: [{after_days: 30, haircut: 0.2}, "
     "{after_days: 30, haircut: 0.3}]}", "late_payment",
     "steps with strictly increasing 'after_days'"),
    ("tiers: {mode: marginal, brackets: [{from: 100, rate: 0.02}]}", "tiers.brackets",
     "brackets whose first 'from' is 0"),
    ("rate: 0.05\npayout: {cap: 0}", "payout.cap", "an amount more than 0, or null for no cap"),
    ("rate: 0.05\nbad_debt: {penalty_rate: 2}", "bad_debt.penalty_rate",
     "a number between 0 and 1"),
    # names reach terminals and pages: an escape sequence cleared the screen
    ('rate: 0.05\nname: "Plan\\u001b[2J"', "name",
     "text without control characters (found '\\x1b')"),
    ('rate: 0.05\ndescription: "a\\u0007b"', "description",
     "text without control characters (found '\\x07')"),
])
def test_out_of_range_values_are_refused_naming_the_key(text, key, expected):
    found = problems(f"id: p\nbasis: collected\n{text}\n")
    assert len(found) == 1
    assert found[0].startswith(f"rules/p.yaml [{key}] p: invalid value")
    assert found[0].endswith(f"expected {expected}")


def test_a_description_may_run_over_lines_and_a_name_is_short():
    assert problems('id: p\nbasis: collected\nrate: 0.05\ndescription: "one\\n\\ttwo"\n') == []
    found = problems("id: p\nbasis: collected\nrate: 0.05\nname: " + "N" * 201 + "\n")
    assert len(found) == 1 and found[0].startswith("rules/p.yaml [name] p: invalid value")
    assert found[0].endswith("expected at most 200 characters (not 201)")


def test_a_plan_the_store_holds_is_read_as_it_was_accepted():
    """A locked batch's plan stored before the name checks must stay readable."""
    text = 'id: p\nbasis: collected\nrate: 0.05\nname: "Old\\u0007 name"\n'
    assert parse_plan(text, "rules/p.yaml")[0] is None
    plan, found = parse_plan(text, "plans/p (version 1)", stored=True)
    assert found == [] and plan is not None and plan.name == "Old\x07 name"


def test_exactly_one_of_rate_or_tiers():
    assert problems("id: p\nbasis: collected\n")[0].endswith(
        "expected exactly one of 'rate' or 'tiers'")


def test_advance_needs_its_share():
    assert problems("id: p\nbasis: advance\nrate: 0.05\n")[0].endswith(
        "expected 'advance_share' with basis 'advance'")


def test_required_keys_and_the_file_name():
    assert problems("basis: collected\nrate: 0.05\n") == [
        "rules/p.yaml [id]: required key is missing; expected this key to be given"]
    assert problems("id: other\nbasis: collected\nrate: 0.05\n") == [
        "rules/p.yaml [id] other: plan id 'other' does not match the file name; "
        "expected id: p (rules/<plan_id>.yaml)"]


def test_broken_yaml_is_a_problem_not_a_crash():
    assert problems("id: p\nbasis: [collected\n")[0].startswith("rules/p.yaml:")


def test_a_plan_written_back_as_yaml_reads_back_identical():
    plans, _, _ = load_plans(RULES)
    for plan in plans.values():
        again, found = parse_plan(plan.to_yaml(), "x")
        assert found == [] and again == plan


def test_every_problem_of_a_folder_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("id: a\nbasis: collected\nrate: 7\n")
    (tmp_path / "b.yaml").write_text("id: b\nbasis: sometimes\nrate: 0.05\n")
    (tmp_path / "c.yaml").write_text("id: c\nbasis: collected\nrate: 0.05\n")
    plans, _, found = load_plans(tmp_path)
    assert list(plans) == ["c"]
    assert [(p.source, p.column) for p in found] == [(f"{tmp_path.name}/a.yaml", "rate"),
                                                      (f"{tmp_path.name}/b.yaml", "basis")]
