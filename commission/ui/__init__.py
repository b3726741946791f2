"""The Streamlit pages: thin doors over the core (compare, My pay, batches).

``app.py`` routes to the page scripts here with ``st.navigation``. Every number a
page shows comes from the engine (:mod:`commission.engine`), the comparison tables
(:mod:`commission.reports.compare`), the reports or the store; a page only picks inputs,
calls them, caches their results and formats money.
"""
