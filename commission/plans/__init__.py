"""The plan language and what each of its terms means.

* :mod:`.language`: the pydantic plan models, reading and checking ``rules/*.yaml``;
* :mod:`.table`: plans as integer columns indexed by plan code (:class:`PlanTable`);
* :mod:`.rates`: the rate over a volume (tiers), the prepaid share p;
* :mod:`.lateness`: the lateness clock (days late, grace, dispute pauses) and the
  haircut schedule (:func:`haircut`, :func:`next_step`).

Each term is computed by one vectorised function, used by the engine, the outlook
and the app alike. Callers import from ``commission.plans``.
"""

from commission.plans.assignments import PlanHistory, plans_in_force
from commission.plans.language import MAX_PLACES, Plan, load_plans, parse_plan, plan_hash
from commission.plans.lateness import (
    days_late,
    haircut,
    merged_disputes,
    next_growth,
    next_step,
    paused_days,
)
from commission.plans.rates import (
    VOLUME_PER_CENT,
    attainment_rate,
    collected_share,
    group_volume,
    opening_rate,
    prepaid_share,
    rate_over_volume,
)
from commission.plans.table import SCALE, PlanTable, scaled

__all__ = [
    "MAX_PLACES",
    "SCALE",
    "VOLUME_PER_CENT",
    "Plan",
    "PlanHistory",
    "PlanTable",
    "attainment_rate",
    "collected_share",
    "days_late",
    "group_volume",
    "haircut",
    "load_plans",
    "merged_disputes",
    "next_growth",
    "next_step",
    "opening_rate",
    "parse_plan",
    "paused_days",
    "plan_hash",
    "plans_in_force",
    "prepaid_share",
    "rate_over_volume",
    "scaled",
]
