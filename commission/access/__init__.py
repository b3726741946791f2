"""Who may see and do what: every door (the CLI, the Streamlit pages) asks here.

Every function takes the :class:`Identity` of the person asking first, then the
store. Reads return only what that person may see; actions refuse what they may
not do. A refusal raises :class:`AccessDenied` (a one-line message) and is
recorded in the audit log, as is every lifecycle action and every view of
another person's pay. See docs/identity.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the module that defines it; a name is imported on first use, so a
#: command that asks one door (a statement, an export) does not load every other room
#: (the collections desk, scenarios, partitioned runs)
_WHERE = {
    "AccessDenied": "commission.access.identity",
    "Identity": "commission.access.identity",
    "LOCAL_ADMIN": "commission.access.identity",
    "PERMISSIONS": "commission.access.identity",
    "ROLES": "commission.access.identity",
    "StatementSources": "commission.access.pay",
    "add_manual_line": "commission.access.actions",
    "add_user": "commission.access.users",
    "aging": "commission.access.pay",
    "approve_batch": "commission.access.actions",
    "audit_log": "commission.access.users",
    "batch_diff": "commission.access.pay",
    "batch_staleness": "commission.access.actions",
    "batch_summary": "commission.access.pay",
    "batches": "commission.access.pay",
    "bootstrap_admin": "commission.access.users",
    "calculation_inputs": "commission.access.actions",
    "calculation_partitions": "commission.access.actions",
    "catch_up_months": "commission.access.actions",
    "check_pay_view": "commission.access.pay",
    "collections_performance": "commission.access.collections",
    "collections_worklist": "commission.access.collections",
    "currency": "commission.access.settings",
    "customer_credit": "commission.access.collections",
    "export_batch": "commission.access.actions",
    "export_control": "commission.access.actions",
    "grant_role": "commission.access.users",
    "list_scenarios": "commission.access.scenarios",
    "list_users": "commission.access.users",
    "load_data": "commission.access.actions",
    "lock_batch": "commission.access.actions",
    "locked_payouts": "commission.access.pay",
    "make_plans_effective": "commission.access.actions",
    "make_scenario_live": "commission.access.scenarios",
    "manual_lines": "commission.access.actions",
    "may_see_worklist": "commission.access.collections",
    "needs_bootstrap": "commission.access.users",
    "open_dispute": "commission.access.collections",
    "open_scenario": "commission.access.scenarios",
    "pay_lines": "commission.access.pay",
    "pay_payouts": "commission.access.pay",
    "preview_make_live": "commission.access.scenarios",
    "record": "commission.access.identity",
    "record_arrangement": "commission.access.collections",
    "record_contact": "commission.access.collections",
    "resolve": "commission.access.identity",
    "resolve_dispute": "commission.access.collections",
    "revoke_role": "commission.access.users",
    "run_draft": "commission.access.actions",
    "save_plan_variant": "commission.access.actions",
    "save_scenario": "commission.access.scenarios",
    "sees_all": "commission.access.pay",
    "self_approval_allowed": "commission.access.actions",
    "send_messages": "commission.access.collections",
    "set_setting": "commission.access.users",
    "set_user_active": "commission.access.users",
    "setting": "commission.access.users",
    "sign_in": "commission.access.identity",
    "statement": "commission.access.pay",
    "statement_sources": "commission.access.pay",
    "verify_batch": "commission.access.actions",
    "visible_reps": "commission.access.pay",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'commission.access' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


if TYPE_CHECKING:  # what type checkers and editors see
    from commission.access.actions import (
        add_manual_line,
        approve_batch,
        batch_staleness,
        calculation_inputs,
        calculation_partitions,
        catch_up_months,
        export_batch,
        export_control,
        load_data,
        lock_batch,
        make_plans_effective,
        manual_lines,
        run_draft,
        save_plan_variant,
        self_approval_allowed,
        verify_batch,
    )
    from commission.access.collections import (
        collections_performance,
        collections_worklist,
        customer_credit,
        may_see_worklist,
        open_dispute,
        record_arrangement,
        record_contact,
        resolve_dispute,
        send_messages,
    )
    from commission.access.identity import (
        LOCAL_ADMIN,
        PERMISSIONS,
        ROLES,
        AccessDenied,
        Identity,
        record,
        resolve,
        sign_in,
    )
    from commission.access.pay import (
        StatementSources,
        aging,
        batch_diff,
        batch_summary,
        batches,
        check_pay_view,
        locked_payouts,
        pay_lines,
        pay_payouts,
        sees_all,
        statement,
        statement_sources,
        visible_reps,
    )
    from commission.access.scenarios import (
        list_scenarios,
        make_scenario_live,
        open_scenario,
        preview_make_live,
        save_scenario,
    )
    from commission.access.settings import currency
    from commission.access.users import (
        add_user,
        audit_log,
        bootstrap_admin,
        grant_role,
        list_users,
        needs_bootstrap,
        revoke_role,
        set_setting,
        set_user_active,
        setting,
    )

__all__ = [
    "LOCAL_ADMIN",
    "PERMISSIONS",
    "ROLES",
    "AccessDenied",
    "Identity",
    "StatementSources",
    "add_manual_line",
    "add_user",
    "aging",
    "approve_batch",
    "audit_log",
    "batch_diff",
    "batch_staleness",
    "batch_summary",
    "batches",
    "bootstrap_admin",
    "calculation_inputs",
    "calculation_partitions",
    "catch_up_months",
    "check_pay_view",
    "collections_performance",
    "collections_worklist",
    "currency",
    "customer_credit",
    "export_batch",
    "export_control",
    "grant_role",
    "list_users",
    "load_data",
    "lock_batch",
    "locked_payouts",
    "make_plans_effective",
    "manual_lines",
    "may_see_worklist",
    "needs_bootstrap",
    "open_dispute",
    "pay_lines",
    "pay_payouts",
    "record",
    "record_arrangement",
    "record_contact",
    "resolve",
    "resolve_dispute",
    "revoke_role",
    "run_draft",
    "save_plan_variant",
    "sees_all",
    "self_approval_allowed",
    "send_messages",
    "set_setting",
    "set_user_active",
    "setting",
    "sign_in",
    "statement",
    "statement_sources",
    "verify_batch",
    "visible_reps",
]
__all__ += ["list_scenarios", "make_scenario_live", "open_scenario", "preview_make_live",
            "save_scenario"]
assert sorted(__all__) == sorted(_WHERE)
