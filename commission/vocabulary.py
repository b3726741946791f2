"""The words every room shares: line kinds, the columns of lines and payouts, the store.

One definition each, imported wherever they are needed, so a new line kind or
column is added in one place.
"""

from __future__ import annotations

#: the contract's input tables (one CSV file each) and their columns, in file order
INPUT_COLUMNS: dict[str, list[str]] = {
    "reps": ["rep_id", "name", "email", "manager_id", "plan_id"],
    "customers": ["customer_id", "name", "segment"],
    "invoices": ["invoice_id", "customer_id", "rep_id", "invoice_date", "due_date", "amount"],
    "splits": ["invoice_id", "rep_id", "share"],
    "payments": ["payment_id", "invoice_id", "payment_date", "amount", "reverses_payment_id"],
    "adjustments": ["adjustment_id", "invoice_id", "adjustment_date", "kind", "amount",
                    "reverses_adjustment_id"],
    "disputes": ["dispute_id", "invoice_id", "opened_date", "resolved_date"],
    "plan_assignments": ["rep_id", "plan_id", "effective_from"],
    "quotas": ["rep_id", "quota_period", "amount"],
    "commission_adjustments": ["commission_adjustment_id", "rep_id", "adjustment_date", "amount",
                               "reason"],
}

#: every kind of commission line, in the order a rep's month lists them
LINE_KINDS = ("invoice", "collection", "reversal", "credit", "clawback", "penalty",
              "clawback_reversal", "penalty_reversal", "override", "manual")

#: the columns of ``lines.csv`` (the contract's Outputs), in order
LINE_COLUMNS = [
    "period", "rep_id", "plan_id", "line_kind", "event_id", "invoice_id", "event_date",
    "base_amount", "rate", "days_late", "haircut_pct", "gross", "haircut", "amount",
    "prior_period", "explanation",
]

#: the columns of ``payouts.csv``, in order
PAYOUT_COLUMNS = [
    "period", "rep_id", "plan_id", "gross", "haircuts", "clawbacks", "net", "carry_in",
    "payout", "carry_out", "attainment",
]

#: the money columns of a payout row (integer cents in frames, decimals in files)
PAYOUT_MONEY_COLUMNS = ["gross", "haircuts", "clawbacks", "net", "carry_in", "payout",
                        "carry_out"]

#: the columns of the engine's ``Result.payouts`` beyond ``payouts.csv``: the draw's
#: top-up in cents (0 without one), the payout's note in words ("draw top-up ...") and
#: the cents forfeited, so that net + carry_in − carry_out − forfeited = payout
RESULT_PAYOUT_EXTRA_COLUMNS = ["draw", "note", "forfeited"]

#: the store when neither ``--db`` nor ``COMMISSION_DB`` names one
DEFAULT_DB_URL = "sqlite:///commission.db"

#: the columns of the engine's ``Result.lines`` (what a batch stores): the contract's
#: columns plus the exact rate and haircut behind them
RESULT_LINE_COLUMNS = [
    "period", "rep_id", "plan_id", "line_kind", "event_id", "invoice_id", "event_date",
    "base_amount", "share", "rate", "rate_num", "rate_den", "days_late", "haircut_num",
    "haircut_pct", "gross", "haircut", "amount", "prior_period", "explanation",
]

#: the environment variable that names the store (a SQLAlchemy URL)
DB_URL_ENV = "COMMISSION_DB"

#: the roles a user may hold (docs/identity.md); the store's ``user_roles`` keeps them
ROLES = ("rep", "manager", "planner", "finance", "approver", "admin", "collector", "credit")
#: settings and their defaults (values are text)
SETTINGS = {"allow_self_approval": "false",
            "currency": "USD",  # ISO 4217 code on payroll files and figures
            "pay_date_days": "0"}  # a period is paid on its last day plus this many days

#: why a rep raises an inquiry on a line of their statement, and its words
INQUIRY_REASONS = {
    "missing_payment": "A payment is missing",
    "wrong_split": "The split is wrong",
    "wrong_rate": "The rate is wrong",
    "wrong_haircut": "The haircut / days late are wrong",
    "other": "Something else",
}
#: where an inquiry stands
INQUIRY_STATUSES = ("open", "resolved", "declined")
