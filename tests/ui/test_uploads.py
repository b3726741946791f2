"""An upload never chooses a path (issue 9, class 1): names map to table files by basename."""

from __future__ import annotations

import pytest

from commission.ui.common import stage_uploads


@pytest.mark.parametrize("name", ["../../../sample_data/payments.csv", "/etc/payments.csv",
                                  "C:\\Windows\\PAYMENTS.CSV", "sub/dir/payments.csv"])
def test_a_crafted_name_is_written_as_the_tables_own_file_in_the_folder(tmp_path, name):
    folder = tmp_path / "upload"
    folder.mkdir()
    assert stage_uploads([(name, b"x")], folder) == []
    assert [p.name for p in folder.iterdir()] == ["payments.csv"]
    assert {p.name for p in tmp_path.iterdir()} == {"upload"}  # nothing beside it


@pytest.mark.parametrize(("files", "words"), [
    ([("../../rules/evil.csv", b"x")], "not one of the data set's files"),
    ([("payments.csv.exe", b"x")], "not one of the data set's files"),
    ([("a/payments.csv", b"1"), ("b/Payments.csv", b"2")], "uploaded twice"),
])
def test_anything_else_is_refused(tmp_path, files, words):
    problems = stage_uploads(files, tmp_path)
    assert [p.message for p in problems] == [words]
    assert [p.name for p in tmp_path.iterdir()] == (["payments.csv"] if "twice" in words
                                                    else [])
