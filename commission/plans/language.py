"""The plan language: strict pydantic models for ``rules/<plan_id>.yaml``.

YAML numbers are read as exact decimals (a custom loader turns ``0.05`` into
``Decimal("0.05")``), so a rate never exists as a binary float. Unknown keys
and out-of-range values are refused with the file and the key path.
"""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from commission.money import Rounding
from commission.problems import Problem

MAX_PLACES = 9  # decimals allowed in a rate, share or haircut (exact, never rounded)
#: files in the rules folder that are not plans (the collections ladder)
NOT_PLANS = frozenset({"collections"})


class _Loader(yaml.SafeLoader):
    """SafeLoader whose floats are exact Decimals."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(loader.construct_scalar(node).replace("_", ""))


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _places(v: Decimal) -> int:
    exp = v.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def _fraction(v: Decimal) -> Decimal:
    if not v.is_finite() or v < 0 or v > 1:
        raise ValueError("a number between 0 and 1")
    if _places(v) > MAX_PLACES:
        raise ValueError(f"a number with at most {MAX_PLACES} decimals")
    return v


#: plan amounts (caps, minimums, tier bounds) stay below this, as input amounts do
MAX_PLAN_AMOUNT = Decimal(10) ** 10


def _money(v: Decimal) -> Decimal:
    if not v.is_finite() or v < 0:
        raise ValueError("an amount of 0 or more")
    if v >= MAX_PLAN_AMOUNT:
        raise ValueError("an amount below 10,000,000,000.00")
    if _places(v) > 2:
        raise ValueError("an amount with at most 2 decimals")
    return v


class Bracket(_Strict):
    from_: Decimal = Field(alias="from")
    rate: Decimal

    _check_rate = field_validator("rate")(_fraction)
    _check_from = field_validator("from_")(_money)


class PlanKeyError(ValueError):
    """A plan inconsistent at one key: ``key`` is its path ('tiers.measure')."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


class Tiers(_Strict):
    mode: Literal["marginal", "retroactive"]
    #: volume: brackets' ``from`` in currency units (part 1); attainment: a share of the
    #: quota, on the cumulative volume of the quota period
    measure: Literal["volume", "attainment"] = "volume"
    brackets: list[Bracket] = Field(min_length=1)

    @field_validator("brackets")
    @classmethod
    def _ordered(cls, brackets: list[Bracket]) -> list[Bracket]:
        if brackets[0].from_ != 0:
            raise ValueError("brackets whose first 'from' is 0")
        for a, b in itertools.pairwise(brackets):
            if b.from_ <= a.from_:
                raise ValueError("brackets with strictly increasing 'from'")
        return brackets


class Step(_Strict):
    after_days: int = Field(ge=0)
    haircut: Decimal

    _check = field_validator("haircut")(_fraction)


class Linear(_Strict):
    start_after_days: int = Field(ge=0)
    per_day: Decimal
    max: Decimal = Decimal(1)

    _check = field_validator("per_day", "max")(_fraction)


class LatePayment(_Strict):
    clock: Literal["due_date", "invoice_date"] = "due_date"
    grace_days: int = Field(default=0, ge=0)
    pause_during_disputes: bool = True
    steps: list[Step] | None = None
    linear: Linear | None = None

    @model_validator(mode="after")
    def _one_schedule(self) -> LatePayment:
        if (self.steps is None) == (self.linear is None):
            raise ValueError("exactly one of 'steps' or 'linear'")
        if self.steps is not None:
            if not self.steps:
                raise ValueError("at least one step")
            for a, b in zip(self.steps, self.steps[1:], strict=False):
                if b.after_days <= a.after_days:
                    raise ValueError("steps with strictly increasing 'after_days'")
                if b.haircut < a.haircut:
                    raise ValueError("steps whose haircut never decreases")
        return self


class BadDebt(_Strict):
    window_days: int | None = Field(default=None, ge=0)
    penalty_rate: Decimal = Decimal(0)

    _check = field_validator("penalty_rate")(_fraction)


class Quota(_Strict):
    """The calendar period a quota covers; the amounts are input rows (quotas.csv)."""

    period: Literal["month", "quarter", "year"]


class Draw(_Strict):
    """A guaranteed payout: a period paying less is topped up to ``amount``."""

    amount: Decimal
    recoverable: bool = True

    @field_validator("amount")
    @classmethod
    def _amount(cls, v: Decimal) -> Decimal:
        _money(v)
        if v <= 0:
            raise ValueError("an amount more than 0")
        return v


class Override(_Strict):
    """A manager's override: ``rate`` on each direct report's cash collected."""

    rate: Decimal

    _check = field_validator("rate")(_fraction)


class Payout(_Strict):
    min_payout: Decimal = Decimal(0)
    cap: Decimal | None = None
    carry_forward_negative: bool = True
    draw: Draw | None = None

    _check_min = field_validator("min_payout")(_money)

    @field_validator("cap")
    @classmethod
    def _cap(cls, v: Decimal | None) -> Decimal | None:
        if v is None:
            return v
        _money(v)
        if v <= 0:
            raise ValueError("an amount more than 0, or null for no cap")
        return v


#: the longest id, name and description a new plan may have
TEXT_LIMITS = {"id": 64, "name": 200, "description": 10_000}


class Plan(_Strict):
    """One commission plan, exactly as the calculation contract defines it."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = ""
    description: str = ""
    basis: Literal["collected", "invoiced", "advance"]
    advance_share: Decimal | None = None
    rate: Decimal | None = None
    tiers: Tiers | None = None
    late_payment: LatePayment | None = None
    bad_debt: BadDebt = BadDebt()
    payout: Payout = Payout()
    rounding: Rounding = "half_up"
    quota: Quota | None = None
    override: Override | None = None

    @field_validator("id", "name", "description")
    @classmethod
    def _printable(cls, v: str, info: ValidationInfo) -> str:
        """Ids, names and descriptions reach terminals, pages and PDFs: bounded, and no
        control characters (an escape sequence in a name cleared the screen of whoever
        listed the scenarios); a description may run over lines. Plans stored before
        these checks are read as they were (``parse_plan(..., stored=True)``)."""
        if (info.context or {}).get("stored"):
            return v
        most = TEXT_LIMITS[info.field_name or ""]
        if len(v) > most:
            raise ValueError(f"at most {most:,} characters (not {len(v):,})")
        allowed = "\n\t" if info.field_name == "description" else ""
        bad = [c for c in v if c not in allowed and unicodedata.category(c) in ("Cc", "Cf")]
        if bad:
            raise ValueError(f"text without control characters (found {bad[0]!r})")
        return v

    _check_rate = field_validator("rate", "advance_share")(
        lambda v: None if v is None else _fraction(v)
    )

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        if (self.rate is None) == (self.tiers is None):
            raise ValueError("exactly one of 'rate' or 'tiers'")
        if self.basis == "advance" and self.advance_share is None:
            raise ValueError("'advance_share' with basis 'advance'")
        if self.basis != "advance" and self.advance_share is not None:
            raise ValueError("no 'advance_share' unless basis is 'advance'")
        attainment = self.measures_attainment
        if attainment and self.quota is None:
            raise PlanKeyError("tiers.measure", "a 'quota' section with measure 'attainment'")
        if self.quota is not None and not attainment:
            raise PlanKeyError("quota", "no 'quota' unless tiers.measure is 'attainment'")
        draw, cap = self.payout.draw, self.payout.cap
        if draw is not None and cap is not None and draw.amount > cap:
            raise PlanKeyError("payout.draw.amount",
                               f"a draw of at most the cap ({format(cap, 'f')})")
        return self

    @property
    def measures_attainment(self) -> bool:
        """The tiers' brackets are shares of a quota, on the quota period's volume."""
        return self.tiers is not None and self.tiers.measure == "attainment"

    @property
    def title(self) -> str:
        return self.name or self.id

    @property
    def prepaid_share(self) -> Decimal:
        """p of the contract: 1 invoiced, advance_share advance, 0 collected."""
        if self.basis == "invoiced":
            return Decimal(1)
        if self.basis == "advance":
            assert self.advance_share is not None
            return self.advance_share
        return Decimal(0)

    def to_yaml(self) -> str:
        """The plan as YAML a person can read, decimals written exactly as held."""
        data = self.model_dump(mode="python", by_alias=True, exclude_defaults=True)
        data = {"id": self.id, **{k: v for k, v in data.items() if k != "id"}}
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes Decimals as plain YAML numbers."""


_Dumper.add_representer(
    Decimal,
    lambda d, v: d.represent_scalar(
        "tag:yaml.org,2002:float" if "." in format(v, "f") else "tag:yaml.org,2002:int",
        format(v, "f"),
    ),
)


def _short(v: object) -> str:
    text = format(v, "f") if isinstance(v, Decimal) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _key_path(loc: tuple) -> str:
    parts = []
    for p in loc:
        if p == "from_":
            p = "from"
        parts.append(str(p))
    return ".".join(parts)


def _load_yaml(text: str, source: str) -> tuple[object, list[Problem]]:
    """The YAML document, or the problem that stops reading it (never an exception)."""
    try:
        return yaml.load(text, Loader=_Loader), []
    except RecursionError:  # hostile nesting ([[[[...]]]]): a problem, not a crash
        return None, [Problem(source, None, None, None, "the YAML is nested too deeply",
                              "a YAML mapping of plan keys")]
    except ArithmeticError as exc:  # .nan, .inf: not a number a plan can use
        return None, [Problem(source, None, None, None,
                              f"a value is not a usable number ({exc.__class__.__name__})",
                              "finite numbers (not .nan or .inf)")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        return None, [Problem(source, row, None, None, f"not valid YAML ({exc.__class__.__name__})",
                              "a YAML mapping of plan keys")]


def parse_plan(text: str, source: str, expected_id: str | None = None, *, stored: bool = False
               ) -> tuple[Plan | None, list[Problem]]:
    """Parse one plan's YAML text; return (plan, problems), never raise for bad content.

    ``stored``: a text the store already holds (a locked batch's plan): read as it was
    accepted then, without the checks of its id, name and description added since."""
    data, problems_ = _load_yaml(text, source)
    if problems_:
        return None, problems_
    if not isinstance(data, dict):
        return None, [Problem(source, None, None, None, "the file is not a YAML mapping",
                              "keys such as id, basis, rate")]
    problems: list[Problem] = []
    try:
        plan = Plan.model_validate(data, context={"stored": stored})
    except (ArithmeticError, RecursionError) as exc:  # .nan, .inf compared; deep nesting
        return None, [Problem(source, None, None, None,
                              f"a value is not a usable number ({exc.__class__.__name__})",
                              "finite numbers (not .nan or .inf)")]
    except ValidationError as exc:
        for err in exc.errors():
            key = _key_path(err["loc"]) or None
            cause = err.get("ctx", {}).get("error")
            msg = err["msg"].removeprefix("Value error, ")
            if isinstance(cause, PlanKeyError):
                key = ".".join(p for p in (key, cause.key) if p)
                problems.append(Problem(source, None, key, data.get("id") if isinstance(
                    data.get("id"), str) else None, "inconsistent with the rest of the plan",
                    msg))
                continue
            if err["type"] == "extra_forbidden":
                msg, expected = "unknown key", "only the keys of the plan language (see README)"
            elif err["type"] == "missing":
                msg, expected = "required key is missing", "this key to be given"
            elif err["type"] == "value_error":
                expected, msg = msg, f"invalid value {_short(err.get('input'))}"
            else:
                expected = "a valid value for this key"
            problems.append(Problem(source, None, key, data.get("id") if isinstance(
                data.get("id"), str) else None, msg, expected))
        return None, problems
    if expected_id is not None and plan.id != expected_id:
        problems.append(Problem(source, None, "id", plan.id,
                                f"plan id {plan.id!r} does not match the file name",
                                f"id: {expected_id} (rules/<plan_id>.yaml)"))
        return None, problems
    return plan, problems


def plan_hash(text: str) -> str:
    """Fingerprint of a plan file's text, recorded by every batch that used it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_plans(rules_dir: str | Path) -> tuple[dict[str, Plan], dict[str, str], list[Problem]]:
    """Load every ``*.yaml`` in ``rules_dir``: (plans by id, their texts, problems)."""
    rules_dir = Path(rules_dir)
    plans: dict[str, Plan] = {}
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    if not rules_dir.is_dir():
        return plans, texts, [Problem(str(rules_dir), None, None, None, "no such folder",
                                      "a folder of plan files (rules/*.yaml)")]
    files = sorted(p for p in [*rules_dir.glob("*.yaml"), *rules_dir.glob("*.yml")]
                   if p.stem not in NOT_PLANS)
    if not files:
        problems.append(Problem(str(rules_dir), None, None, None, "no plan files found",
                                "at least one rules/<plan_id>.yaml"))
    for path in files:
        source = f"{rules_dir.name}/{path.name}"
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(source, None, None, None, f"cannot read the file ({exc})",
                                    "a readable UTF-8 YAML file"))
            continue
        plan, errs = parse_plan(text, source, expected_id=path.stem)
        problems.extend(errs)
        if plan is not None:
            plans[plan.id] = plan
            texts[plan.id] = text
    return plans, texts, problems
