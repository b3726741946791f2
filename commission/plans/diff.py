"""The terms of two plans side by side: what making a scenario live would change.

Plans are compared by their terms in the plan language (the YAML keys), flattened
to dotted paths (``late_payment.steps.1.haircut``); a name or description is not a
term and is left out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from commission.plans.language import Plan

NOT_TERMS = frozenset({"id", "name", "description"})


def _flat(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flat(inner, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for i, inner in enumerate(value, start=1):
            _flat(inner, f"{prefix}.{i}", out)
    elif isinstance(value, Decimal):
        out[prefix] = format(value.normalize(), "f")  # 0.10 and 0.1 are the same term
    elif value is not None:
        out[prefix] = str(value)


def terms(plan: Plan) -> dict[str, str]:
    """The plan's terms as {dotted key: value as written}."""
    data = plan.model_dump(mode="python", by_alias=True, exclude_none=True)
    out: dict[str, str] = {}
    _flat({k: v for k, v in data.items() if k not in NOT_TERMS}, "", out)
    return out


def term_changes(before: Plan | None, after: Plan) -> list[tuple[str, str, str]]:
    """(key, before, after) for every term that differs ('' where a plan has no such key)."""
    old = terms(before) if before is not None else {}
    new = terms(after)
    keys = sorted(set(old) | set(new))
    return [(k, old.get(k, ""), new.get(k, "")) for k in keys if old.get(k) != new.get(k)]


__all__ = ["term_changes", "terms"]
