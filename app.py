"""The commission app: ``streamlit run app.py``.

Five pages, each a thin door over the core (engine, comparison, reports, batch
store) and the access layer: management compares plans, a rep sees what they will
be paid and why, finance runs the payroll batch and works overdue invoices on the
collections desk, an administrator manages users, settings and the audit log.
This file only signs in and routes (:mod:`commission.ui.session`): with an
``[auth]`` section in ``.streamlit/secrets.toml`` people sign in and see only the
pages their roles may use; without one the app runs in local mode, for one person
on one machine. Data and plans come from ``COMMISSION_DATA`` (default
``sample_data``), ``COMMISSION_RULES`` (default ``rules``) and ``COMMISSION_DB``
(default ``sqlite:///commission.db``).
"""

import streamlit as st

from commission.allocator import prefer_jemalloc, small_pages_for_numpy
from commission.ui import session

prefer_jemalloc()  # Arrow's memory (commission.allocator): what-if at 1M runs faster
small_pages_for_numpy()  # and numpy's on ordinary pages: the same, by another 0.6 s

st.set_page_config(page_title="Commission", page_icon=":material/payments:", layout="wide")

identity = session.identify()
if identity is not None:
    session.navigation(identity).run()
