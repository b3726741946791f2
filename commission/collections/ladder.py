"""The collections ladder as configuration: ``rules/collections.yaml``.

Steps by days past due, each with an owner, how strongly that owner is to be
involved, the action expected and the message sent; the desk's own addresses;
the SMTP server (no password: that comes from the environment only); and the
thresholds of the customer credit signal. Validated strictly like the plans:
unknown keys, days not increasing, a bad owner or involvement are problems
naming the file and the key path, never a traceback.
"""

from __future__ import annotations

import itertools
import string
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from commission.problems import Problem

OWNERS = ("collector", "rep", "manager", "credit")
INVOLVEMENTS = ("optional", "should", "must")
#: the placeholders a step's message may use
PLACEHOLDERS = frozenset({
    "invoice_id", "customer_id", "customer_name", "rep_id", "rep_name", "days_past_due",
    "open_amount", "due_date", "step", "action", "keep", "collect_by", "next_cost",
})
DEFAULT_FILE = "collections.yaml"

Owner = Literal["collector", "rep", "manager", "credit"]
Involvement = Literal["optional", "should", "must"]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose floats are exact Decimals (as in the plan language)."""


_Loader.add_constructor("tag:yaml.org,2002:float",
                        lambda loader, node: Decimal(loader.construct_scalar(node)))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Message(_Strict):
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=4000)

    @field_validator("subject", "body")
    @classmethod
    def _known_fields(cls, v: str) -> str:
        try:
            names = {f for _t, f, _s, _c in string.Formatter().parse(v) if f is not None}
        except ValueError as exc:
            raise ValueError(f"a text with balanced {{placeholders}} ({exc})") from None
        unknown = sorted(n for n in names if n not in PLACEHOLDERS)
        if unknown:
            raise ValueError(f"only the placeholders {', '.join(sorted(PLACEHOLDERS))} "
                             f"(not {', '.join(unknown)})")
        return v


class Step(_Strict):
    """One rung: from ``days`` past due (after pauses), ``owner`` works the invoice."""

    days: int = Field(ge=1, le=3650)
    name: str = Field(min_length=1, max_length=60)
    owner: Owner
    involvement: Involvement
    action: str = Field(min_length=1, max_length=300)
    copy_to: tuple[Owner, ...] = Field(default=(), alias="copy")
    message: Message | None = None


class Desk(_Strict):
    """Where the desk's own messages go (reps and managers use reps.email)."""

    collector: str = Field(default="", max_length=200)
    credit: str = Field(default="", max_length=200)


class Smtp(_Strict):
    host: str = Field(default="localhost", min_length=1, max_length=200)
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(default="collections@localhost", alias="from", min_length=3,
                        max_length=200)
    starttls: bool = False
    user: str | None = None


class CreditThresholds(_Strict):
    """The history that makes the credit signal say cash in advance or credit review."""

    review_avg_days_late: int = Field(default=30, ge=0)
    review_share_late: Decimal = Field(default=Decimal("0.5"), ge=0, le=1)
    cash_in_advance_avg_days_late: int = Field(default=60, ge=0)
    cash_in_advance_write_offs: int = Field(default=1, ge=1)
    min_paid_invoices: int = Field(default=3, ge=1)
    quarters: int = Field(default=4, ge=1, le=12)


class Ladder(_Strict):
    steps: tuple[Step, ...] = Field(min_length=1)
    desk: Desk = Desk()
    smtp: Smtp = Smtp()
    credit_signal: CreditThresholds = CreditThresholds()

    @field_validator("steps")
    @classmethod
    def _increasing(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        for a, b in itertools.pairwise(steps):
            if b.days <= a.days:
                raise ValueError(f"steps in increasing order of days ({b.name!r} at {b.days} "
                                 f"comes after {a.name!r} at {a.days})")
        return steps

    def day_array(self) -> list[int]:
        return [s.days for s in self.steps]


def _key_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def _problem(source: str, err: dict) -> Problem:
    key = _key_path(err["loc"]) or None
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return Problem(source, None, key, None, "unknown key",
                       "only the keys of the ladder (see docs/collections.md)")
    if err["type"] == "missing":
        return Problem(source, None, key, None, "required key is missing", "this key to be given")
    value = err.get("input")
    shown = "" if isinstance(value, dict | list | tuple) else f" {str(value)[:60]!r}"
    return Problem(source, None, key, None, f"invalid value{shown}", msg)


def parse_ladder(text: str, source: str) -> tuple[Ladder | None, list[Problem]]:
    """Parse the ladder's YAML text: (ladder, problems); never raises for bad content."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(source, mark.line + 1 if mark else None, None, None,
                              f"not valid YAML ({exc.__class__.__name__})",
                              "a YAML mapping with a steps list")]
    if not isinstance(data, dict):
        return None, [Problem(source, None, None, None, "the file is not a YAML mapping",
                              "keys such as steps, desk, smtp")]
    try:
        return Ladder.model_validate(data), []
    except ValidationError as exc:
        return None, [_problem(source, e) for e in exc.errors()]


def load_ladder(path: str | Path) -> tuple[Ladder | None, list[Problem]]:
    """Read and validate the ladder file at ``path``."""
    path = Path(path)
    source = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(source, None, None, None, f"cannot read the file ({exc})",
                              "a readable UTF-8 YAML file (rules/collections.yaml)")]
    return parse_ladder(text, source)


__all__ = ["DEFAULT_FILE", "INVOLVEMENTS", "OWNERS", "PLACEHOLDERS", "CreditThresholds", "Desk",
           "Ladder", "Message", "Smtp", "Step", "load_ladder", "parse_ladder"]
