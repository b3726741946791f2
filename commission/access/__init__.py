"""Who may see and do what: every door (the CLI, the Streamlit pages) asks here.

Every function takes the :class:`Identity` of the person asking first, then the
store. Reads return only what that person may see; actions refuse what they may
not do. A refusal raises :class:`AccessDenied` (a one-line message) and is
recorded in the audit log, as is every lifecycle action and every view of
another person's pay. See docs/identity.md.
"""

from __future__ import annotations

from commission.access.actions import (
    add_manual_line,
    approve_batch,
    batch_staleness,
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
