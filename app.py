"""The commission app: ``streamlit run app.py``.

Four pages for three kinds of user, each a thin door over the core (engine,
comparison, reports, batch store): management compares plans, a rep sees what
they will be paid and why, finance runs the payroll batch and
works overdue invoices on the collections desk. This file only routes.
Data and plans come from ``COMMISSION_DATA`` (default ``sample_data``),
``COMMISSION_RULES`` (default ``rules``) and ``COMMISSION_DB`` (default
``sqlite:///commission.db``).
"""

import streamlit as st

st.set_page_config(page_title="Commission", page_icon=":material/payments:", layout="wide")

pages = {
    "Management": [st.Page("commission/ui/compare.py", title="Compare plans",
                           icon=":material/compare_arrows:", url_path="compare", default=True)],
    "Reps": [st.Page("commission/ui/my_pay.py", title="My pay", icon=":material/person:",
                     url_path="my-pay")],
    "Finance": [st.Page("commission/ui/batches.py", title="Batches",
                        icon=":material/fact_check:", url_path="batches"),
                st.Page("commission/ui/collections.py", title="Collections",
                        icon=":material/call:", url_path="collections")],
}
st.navigation(pages).run()
