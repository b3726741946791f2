"""Issue 9, class 1, in a real browser: an upload never chooses where it is written.

Runs before the other browser tests (file order), on the shared server's fresh store.
"""

from __future__ import annotations

from e2e.test_browser import _wait_idle


def test_an_upload_never_chooses_where_it_is_written(page, server, app_env, artifacts):
    """Issue 9, class 1: crafted upload names on the Batches page write nothing outside a
    fresh temporary folder; a name that is not a table's file is refused."""
    victim = app_env["data"] / "payments.csv"
    before = victim.read_bytes()
    evil = app_env["rules"] / "evil.csv"
    page.goto(server + "/batches")  # local mode: the local administrator loads
    _wait_idle(page)
    page.get_by_text("Uploaded CSV files").click()
    _wait_idle(page)
    header = before.splitlines()[0]
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([
        {"name": f"../../../..{victim}", "mimeType": "text/csv",
         "buffer": header + b"\nP-EVIL,I000001,2024-01-01,1.00,\n"},
        {"name": f"../../../..{evil}", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"},
    ])
    _wait_idle(page)
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Load refused: these uploads are not files of the data set").first.wait_for(
        timeout=60_000)  # the problems table (a canvas grid) names evil.csv
    _wait_idle(page)
    page.screenshot(path=str(artifacts / "batches_upload_refused.png"), full_page=True)
    assert victim.read_bytes() == before  # nothing overwritten
    assert not evil.exists()
