"""A small company in a store, for the app's sign-in tests (AppTest and the browser).

The sample data (twelve reps) loaded into a store, and users made through
:mod:`commission.access` as an administrator would: Elena Zhang (R005) manages
R006, R009 and R010; Nora Xu (R007) is a rep; Fiona is finance and an approver
(so she can try to approve her own run); April only approves; Pat plans; Ada
administers. The plans are made effective by Ada, the data loaded by Fiona.
"""

from __future__ import annotations

from pathlib import Path

from commission import access
from commission.store import open_store

ADMIN = "admin@example.com"
FINANCE = "fiona@example.com"  # finance and approver
APPROVER = "april@example.com"
PLANNER = "pat@example.com"
MANAGER = "elena.zhang@example.com"  # R005, manager of R006, R009, R010
REP = "nora.xu@example.com"  # R007
STRANGER = "mallory@example.com"  # signs in, but is no user

USERS = {
    FINANCE: ("Fiona Finance", None, ("finance", "approver")),
    APPROVER: ("April Approver", None, ("approver",)),
    PLANNER: ("Pat Planner", None, ("planner",)),
    MANAGER: ("Elena Zhang", "R005", ("rep", "manager")),
    REP: ("Nora Xu", "R007", ("rep",)),
}
MANAGER_TEAM = ["R005", "R006", "R009", "R010"]
ALL_REPS = [f"R{i:03d}" for i in range(1, 13)]


def make_org(db_url: str, data: Path, rules: Path) -> None:
    """Users and roles, plans made effective and the data loaded, in the store at ``db_url``."""
    with open_store(db_url) as store:
        admin = access.bootstrap_admin(store, ADMIN, "Ada Admin")
        for email, (name, rep_id, roles) in USERS.items():
            access.add_user(admin, store, email, name, rep_id, roles)
        access.make_plans_effective(admin, store, rules)
        access.load_data(access.resolve(store, FINANCE), store, data)
