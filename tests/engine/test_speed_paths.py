"""The fast paths give the same answers as the plain ones (issue 14, items 1–3).

Each fast path (lines worded only when read, totals without the lines, figures
shared by what-if copies of the inputs, dense lookups, one-key factorising, money
as text through Arrow kernels, trimming and formula checks from the cells' edge
bytes) is checked against the straightforward computation it replaces.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from commission.engine import calculate
from commission.engine.common import PairIndex, factorize_rows
from commission.files import safe_text, safe_value
from commission.inputs.reading import read_inputs, read_tables
from commission.keys import edge_bytes
from commission.money import cents_text, format_cents, format_money

ROOT = Path(__file__).resolve().parents[2]


def test_lines_are_built_only_when_read_and_then_explained(sample):
    inputs, plans = sample
    result = calculate(inputs, plans)
    assert result._lines is None  # payouts and totals need no line, no word
    totals = result.line_totals()
    assert result._lines is None
    lines = result.lines
    assert lines["explanation"].str.len().min() > 0
    assert result.lines is lines  # built once
    keys = ["period", "rep_id", "line_kind"]
    by_frame = (lines.groupby(keys, sort=True)[["gross", "haircut", "amount"]].sum()
                .reset_index())
    got = totals.astype(dict.fromkeys(keys, object)).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, by_frame.astype(dict.fromkeys(keys, object)),
                                  check_dtype=False)


def test_a_result_pickles_with_its_lines(sample):
    import pickle

    inputs, plans = sample
    result = calculate(inputs, plans, plan_override="collected-40day")
    again = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(again.lines, result.lines)
    pd.testing.assert_frame_equal(again.payouts, result.payouts)
    assert again.periods == result.periods


def test_replace_shares_figures_of_unchanged_tables_only(sample):
    inputs, _ = sample
    before = inputs.positions("payments", "invoice_id", "invoices", "invoice_id")
    copy = inputs.replace(plan_assignments=inputs.plan_assignments.iloc[:0])
    assert copy.positions("payments", "invoice_id", "invoices", "invoice_id") is before
    assert len(copy.positions("plan_assignments", "rep_id", "reps", "rep_id")) == 0
    assert len(inputs.positions("plan_assignments", "rep_id", "reps", "rep_id")) == len(
        inputs.plan_assignments)
    # a new invoices table: every figure of it is worked out again
    reordered = inputs.invoices.iloc[::-1].reset_index(drop=True)
    moved = inputs.replace(invoices=reordered)
    got = moved.positions("payments", "invoice_id", "invoices", "invoice_id")
    assert (got == len(reordered) - 1 - before).all()
    assert moved.derived(("invoices",), "n", lambda: len(moved.invoices)) == len(reordered)
    assert inputs.derived(("invoices",), "first", lambda: "a") == "a"
    assert copy.derived(("invoices",), "first", lambda: "b") == "a"  # same table: shared
    assert moved.derived(("invoices",), "first", lambda: "c") == "c"  # another table


def test_forgetting_derived_figures_frees_them_and_changes_no_line(sample):
    """The command line frees what the engine worked out before it writes the files
    (a few hundred MB at 1M invoices): the lines, built after, are the same."""
    inputs, plans = sample
    kept = calculate(inputs, plans)
    assert inputs._positions  # the engine keeps day numbers, lookups, credited rows
    freed = calculate(inputs, plans)
    inputs.forget_derived()
    assert not inputs._positions
    pd.testing.assert_frame_equal(freed.lines, kept.lines)
    pd.testing.assert_frame_equal(freed.payouts, kept.payouts)
    again = calculate(inputs, plans)  # and works them out afresh when asked again
    assert inputs._positions
    pd.testing.assert_frame_equal(again.lines, kept.lines)


def test_what_if_copies_pay_as_fresh_inputs(sample):
    """Plans run one after another on one Inputs pay what each pays on its own."""
    inputs, plans = sample
    ids = ["collected-40day", "advance-marginal", "collected-stepped", "invoiced-traditional",
           "manager-override", "new-rep-draw"]
    shared = [calculate(inputs, plans, plan_override=p).payouts for p in ids]
    for pid, got in zip(ids, shared, strict=True):
        fresh, _ = read_inputs(ROOT / "sample_data", plans.keys(), plans)
        pd.testing.assert_frame_equal(got, calculate(fresh, plans, plan_override=pid).payouts)


def test_pair_index_dense_and_sorted_agree():
    rng = np.random.default_rng(3)
    for n, width, dense in ((40, 7, True), (3000, 5, True), (20000, 80, False)):
        a, b = rng.integers(0, n, n), rng.integers(0, width, n)
        index = PairIndex(a, b, width)
        assert (index.dense is not None) == dense
        qa, qb = rng.integers(-3, n + 3, 4 * n), rng.integers(0, width, 4 * n)
        dense = index.find(qa, qb)
        index.dense = None
        assert (dense == index.find(qa, qb)).all()
    sparse = PairIndex(np.array([0, 10**9]), np.array([1, 2]), 5)
    assert sparse.dense is None
    assert list(sparse.find(np.array([10**9, 0, 3]), np.array([2, 1, 1]))) == [1, 0, -1]


def test_factorize_rows_numbers_distinct_rows():
    rng = np.random.default_rng(4)
    cols = [rng.integers(0, 3, 5000), rng.integers(-2, 2, 5000) * 10**15,
            rng.integers(0, 10**9, 5000) // 10**8, np.array(list("ab") * 2500, dtype=object)]
    codes, first = factorize_rows(*cols)
    rows = list(zip(*cols, strict=True))
    for i in range(len(rows)):
        assert rows[first[codes[i]]] == rows[i]
    assert len(first) == len(set(rows))


@pytest.mark.parametrize("thousands", [True, False])
def test_money_text_matches_the_one_value_formatters(thousands):
    rng = np.random.default_rng(5)
    edge = [0, 1, -1, 99, -99, 100, -100, 99_999, 100_000, -100_000, 99_999_999,
            100_000_000, -123_456_789_012, 10**15, 2**62, 2**63 - 1, -2**63]
    cents = np.concatenate([edge, rng.integers(-10**12, 10**12, 3000),
                            rng.integers(-10**5, 10**5, 3000)])
    one = format_money if thousands else format_cents
    assert cents_text(cents, thousands).to_pylist() == [one(int(c)) for c in cents]
    assert cents_text(np.zeros(0, np.int64), thousands).to_pylist() == []


def test_formula_cells_are_still_quoted_after_the_edge_check():
    cells = ["Ann", "=HYPERLINK(1)", "-45.00", "", None, "@x", "+1", "\tx", "a=b", "-x"]
    for values in (pa.array(cells), pa.array(cells).slice(2), pa.array(cells, pa.large_string())):
        expected = [safe_value(v) for v in values.to_pylist()]
        assert safe_text(values).to_pylist() == expected
    assert list(edge_bytes(pa.array(["ab", "", "cd"]), last=True)) == [ord("b"), ord("d")]
    assert list(edge_bytes(pa.array(["", None]))) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab1- \t\u00e9\u00a0\x7f", max_size=5), max_size=8))
def test_a_column_is_trimmed_exactly_when_an_edge_byte_may_be_space(cells):
    """The shortcut (no byte of the column is a space, control or non-ASCII byte) never
    changes the answer of the edge bytes."""
    from commission.inputs.reading import _MAY_TRIM, _may_need_trimming
    values = pa.array(["pad", *cells], pa.large_string()).slice(1)
    edges = _MAY_TRIM[edge_bytes(values)].any() or _MAY_TRIM[edge_bytes(values, last=True)].any()
    assert _may_need_trimming(values) == bool(edges)


def test_cells_with_surrounding_space_are_trimmed_and_clean_ones_kept(tmp_path, csvs):
    csvs.small(tmp_path)
    path = tmp_path / "reps.csv"
    text = path.read_text().splitlines()
    head, first, *rest = text
    cells = first.split(",")
    cells[0] = f" {cells[0]}\u00a0"  # ASCII and Unicode space around an id
    cells[1] = f"\t{cells[1]}"
    path.write_text("\n".join([head, ",".join(cells), *rest]) + "\n")
    tables, problems = read_tables(tmp_path)
    assert not problems
    reps = tables["reps"]
    assert reps["rep_id"].iloc[0] == cells[0].strip()
    assert reps.iloc[0, 1] == cells[1].strip()
    clean, _ = read_tables(tmp_path)
    assert clean["invoices"]["invoice_id"].tolist() == [
        v.strip() for v in clean["invoices"]["invoice_id"].tolist()]


@pytest.mark.parametrize("places", [2, 9])
def test_decimal_cells_parse_exactly(places):
    from decimal import Decimal

    from commission.inputs.reading import _fixed_point

    cells = ["0", "1", "-1", "007.10", ".5", "0.6", "-0.01", "5.5", "1234567890.12",
             "-9999999999.99", "0.123456789", ".000000001"]
    cells = [c for c in cells if ("." not in c or len(c.split(".")[1]) <= places)
             and abs(Decimal(c).scaleb(places)) < 2**63]
    expected = [int(Decimal(c).scaleb(places)) for c in cells]
    assert [int(v) for v in _fixed_point(pd.Series(cells, dtype="str"), places)] == expected


_AMOUNT_BYTES = st.text(alphabet="0123456789-.+e ,", min_size=0, max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_AMOUNT_BYTES, st.decimals(
    min_value=-9_999_999, max_value=9_999_999, places=2, allow_nan=False).map(str)),
    min_size=1, max_size=30))
# cells Arrow's decimal cast accepts though the expression does not, and others
@example(["-.5"])
@example([".5"])
@example(["5."])
@example(["+5"])
@example(["1e2"])
@example(["1.200"])
@example(["1-2"])
@example(["-"])
@example([""])
@example(["1.2.3"])
@example(["12.5", "-0.07", "3"])
@example(["12345678901"])
def test_plain_amounts_are_read_from_bytes_exactly_as_the_expression_reads_them(cells):
    """The byte checks accept a column exactly when every cell is what ``_AMOUNT_RE``
    accepts (at most MAX_WHOLE_DIGITS characters), and then give each cell's cents."""
    import re
    from decimal import Decimal

    from commission.inputs.reading import _AMOUNT_RE, MAX_WHOLE_DIGITS, _plain_amounts
    column = pd.Series(cells, dtype="str")
    plain = all(re.fullmatch(_AMOUNT_RE, c) and len(c) <= MAX_WHOLE_DIGITS for c in cells)
    got = _plain_amounts(column)
    assert (got is not None) == plain, cells
    if plain:
        assert [int(v) for v in got] == [int(Decimal(c).scaleb(2)) for c in cells]
    sliced = pd.Series(pa.chunked_array([pa.array(["x", *cells], pa.large_string()).slice(1)]),
                       dtype=column.dtype)  # cells not at the start of their buffer
    assert (_plain_amounts(sliced) is not None) == plain


@pytest.mark.parametrize("cells", [["a", "", "bc", ""], [""], ["x"], ["", "", "y"]])
def test_empty_cells_from_lengths_equal_the_comparison(cells):
    """Empty cells found from the Arrow text's offsets (chunks, one of them sliced) are
    the cells equal to ''; other columns are compared."""
    from commission.inputs.reading import _empty_cells
    chunks = pa.chunked_array([pa.array(cells[:1], pa.large_string()),
                               pa.array(["z", *cells[1:]], pa.large_string()).slice(1)])
    text = pd.Series(pd.arrays.ArrowStringArray(chunks))
    expected = np.array([c == "" for c in cells])
    assert (_empty_cells(text) == expected).all()
    assert (_empty_cells(pd.Series(cells, dtype=object)) == expected).all()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([3, 1 << 16, 1 << 40, 1 << 62]), st.integers(-(1 << 62), 1 << 62),
       st.integers(0, 3000), st.integers(0, 2**32 - 1))
def test_stable_order_is_numpys_stable_argsort(span, low, n, seed):
    """Radix, packed or merged, the order is ``np.argsort(kind="stable")``'s: keys of a
    small span, a wide one, one with no room for row numbers, negative ones, none."""
    from commission.order import stable_order
    rng = np.random.default_rng(seed)
    low = min(low, (1 << 62) - span)
    key = low + rng.integers(0, span, n, dtype=np.int64)
    assert (stable_order(key) == np.argsort(key, kind="stable")).all()


def _hashed(values: list, keys: list) -> np.ndarray:
    import pyarrow.compute as pc
    found = pc.index_in(pa.array(values, pa.string()), value_set=pa.array(keys, pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


@pytest.mark.parametrize("seed", range(4))
def test_numbered_ids_are_looked_up_as_hashing_would(seed):
    """Ids like 'I0000042' are found by their number; the answers are the hash lookup's
    (first match, -1 for unknown, null, wrong length, other letters or non-digits)."""
    from commission.keys import _numbered_lookup, lookup
    rng = np.random.default_rng(seed)
    width, prefix = int(rng.integers(1, 6)), ["", "I", "R0", "9"][seed]
    keys = [prefix + str(n).zfill(width) for n in rng.integers(0, min(10 ** width, 120), 40)]
    odd = ["", "x", prefix, prefix + "0" * (width + 1), " " + keys[0][1:], "-" * len(keys[0]),
           keys[0][:-1] + ":", keys[0][:-1] + "/", None]
    values = [*rng.choice(keys, 200).tolist(), *odd]
    assert _numbered_lookup(pa.array(values, pa.string()), pa.array(keys, pa.string())) \
        is not None  # the numbered path answered, not the hashing one
    sliced = pa.array(["pad", *values], pa.string()).slice(1)
    assert (lookup(sliced, pa.array(keys)) == _hashed(values, keys)).all()


@pytest.mark.parametrize("seed", range(3))
def test_several_columns_are_looked_up_as_each_alone(seed, monkeypatch):
    """Numbered or hashed, each column of a lookup_many is answered as one lookup of it
    by hashing would (a column of all ids, one mostly null, one of odd cells, none)."""
    import commission.keys as keys_module
    rng = np.random.default_rng(seed)
    keys = [f"P{n:07d}" for n in rng.permutation(5000)[:3000]]
    full = rng.choice(keys, 2000).tolist()
    sparse = [k if rng.random() < 0.05 else None for k in rng.choice(keys, 2000)]
    odd = [*rng.choice(keys, 50).tolist(), "P123", "Q0000001", "P00000x1", "", None]
    columns = [pa.array(c, pa.string()) for c in (full, sparse, odd, [])]
    for numbered in (True, False):
        if not numbered:  # the hashing path for the same keys
            monkeypatch.setattr(keys_module._Numbered, "of", classmethod(lambda cls, k: None))
        found = keys_module.lookup_many(columns, pa.array(keys, pa.string()))
        for column, values in zip(columns, (full, sparse, odd, []), strict=True):
            assert (found.pop(0) == _hashed(values, keys)).all(), (numbered, len(column))


def test_months_by_day_equal_each_date_cast_to_its_month():
    """month_index's day-by-day path gives each date's month as the cast does: dates
    in seconds or days, before 1970, missing ones, all missing, a wide span."""
    from commission.periods import month_index
    rng = np.random.default_rng(5)
    for unit in ("s", "D", "ns"):
        dates = (np.datetime64("1970-01-01", "D") + rng.integers(-400, 5_000, 20_000)
                 ).astype(f"datetime64[{unit}]")
        dates[rng.integers(0, len(dates), 30)] = np.datetime64("NaT")
        missing = np.full(5000, np.datetime64("NaT"), dtype=f"datetime64[{unit}]")
        wide = np.array(["1970-01-01", "2099-12-31"] * 3000, dtype=f"datetime64[{unit}]")
        for d in (dates, missing, wide, pd.Series(dates[:9000])):
            assert (month_index(d) == np.asarray(d).astype("datetime64[M]").astype(np.int64)
                    ).all(), unit


@pytest.mark.parametrize("keys", [["A1", "B2"], ["I01", "I2"], ["I1", None], ["X" + "1" * 19]])
def test_other_ids_are_hashed(keys):
    from commission.keys import _numbered_lookup
    assert _numbered_lookup(pa.array(["A1"], pa.string()), pa.array(keys, pa.string())) is None


def test_lines_file_from_the_engine_equals_the_one_from_the_frame(sample, monkeypatch,
                                                                 tmp_path):
    """Written a few lines at a time from the engine's columns, or whole from the built
    frame: the same bytes (and writing leaves the frame unbuilt)."""
    import pyarrow.csv as pacsv

    from commission.reports import result_files
    inputs, plans = sample
    monkeypatch.setattr(result_files, "CHUNK_LINES", 700)
    result = calculate(inputs, plans)
    result_files.write_result(result, tmp_path / "chunked")
    assert result._lines is None
    pacsv.write_csv(result_files.lines_table(result.lines), str(tmp_path / "frame.csv"),
                    write_options=result_files.OPTIONS)
    written = (tmp_path / "chunked" / "lines.csv").read_bytes()
    assert written == (tmp_path / "frame.csv").read_bytes()
    assert written.count(b"\n") == len(result.lines) + 1 > 700 * 3


def test_dates_of_lines_are_written_per_day():
    from commission.reports.result_files import _dates
    days = np.array(["2024-02-28", "2024-03-01", "2024-02-29", "2024-02-28"], "datetime64[D]")
    assert _dates(days).to_pylist() == ["2024-02-28", "2024-03-01", "2024-02-29", "2024-02-28"]
    far = np.array(["1900-01-01", "2999-12-31"], "datetime64[D]")
    assert _dates(far).to_pylist() == ["1900-01-01", "2999-12-31"]


# ---------------------------------------------------------------- the second core (issue 14)


def _problem_rows(problems):
    return [(p.source, p.row, p.column, p.record_id, p.message) for p in problems]


def test_files_read_two_at_a_time_report_what_one_at_a_time_does(tmp_path, csvs, monkeypatch):
    """Problems of several files (bad cells, a bad header, a missing file) come in file
    order, the same list whether the files are read on one thread or two."""
    import commission.inputs.reading as reading
    csvs.small(tmp_path)
    for name, bad in (("payments.csv", "not-money"), ("invoices.csv", "2026-02-31")):
        path = tmp_path / name
        head, first, *rest = path.read_text().splitlines()
        cells = first.split(",")
        column = head.split(",").index("amount" if name == "payments.csv" else
                                       "invoice_date")
        cells[column] = bad
        path.write_text("\n".join([head, ",".join(cells), *rest]) + "\n")
    (tmp_path / "customers.csv").write_text("customer_id,customer_id\nC1,C1\n")
    (tmp_path / "adjustments.csv").unlink()
    _, two = read_tables(tmp_path)
    monkeypatch.setattr(reading, "READ_THREADS", 1)
    _, one = read_tables(tmp_path)
    assert _problem_rows(two) == _problem_rows(one)
    sources = [p.source for p in two]
    assert {"payments.csv", "invoices.csv", "customers.csv", "adjustments.csv"} <= set(sources)
    order = list(reading.COLUMNS)
    assert sources == sorted(sources, key=lambda s: order.index(s.removesuffix(".csv")))


@pytest.mark.parametrize("cells", [["2024-02-29", "1999-12-31", "2024-02-29"],
                                   ["2026-02-31", "2026-01-05"], ["2026-1-05"],
                                   [" 2026-01-05"], ["", "2026-01-05"], ["0000-01-01"]])
def test_dates_by_arrow_cast_or_per_distinct_cell_agree(cells):
    from commission.inputs.reading import _arrow_dates, _parse_dates
    text = pd.Series(cells, dtype="str")
    expected = []
    for c in cells:
        try:
            expected.append(np.datetime64(c, "D") if len(c) == 10 else np.datetime64("NaT"))
        except ValueError:
            expected.append(np.datetime64("NaT"))
    got = _parse_dates(text)
    assert [str(v) for v in got] == [str(v) for v in np.array(expected, "datetime64[D]")]
    fast = _arrow_dates(text)
    assert (fast is None) == bool(np.isnat(got).any())  # the fast path only when all parse
    if fast is not None:
        assert (fast == got).all()


def test_ids_resolved_two_tables_at_a_time_equal_one_lookup_each(sample):
    from commission.inputs.checks import CheckData, unique_ids
    from commission.inputs.tables import ID_COLUMN, Inputs
    from commission.keys import lookup
    inputs, plans = sample
    fresh = Inputs(**inputs.tables())  # nothing resolved yet
    assert unique_ids(CheckData.of(fresh, plans.keys(), plans)) == []
    for name, col in ID_COLUMN.items():
        ids = getattr(fresh, name)[col]
        assert (fresh.positions(name, col, name, col) == lookup(ids, ids)).all()
    assert (fresh.positions("payments", "invoice_id", "invoices", "invoice_id")
            == lookup(fresh.payments["invoice_id"], fresh.invoices["invoice_id"])).all()


def test_expanding_on_two_threads_credits_what_one_thread_does(sample, monkeypatch):
    from commission.engine import credited
    inputs, plans = sample
    two = calculate(inputs, plans)
    monkeypatch.setattr(credited, "EXPAND_THREADS", 1)
    one = calculate(inputs.replace(splits=inputs.splits.copy()), plans)  # nothing memoised
    pd.testing.assert_frame_equal(two.lines, one.lines)
    pd.testing.assert_frame_equal(two.payouts, one.payouts)


def test_words_made_early_equal_words_made_when_read(sample):
    """The explanations worded on a thread from the moment the blocks exist are the
    ones worded on demand; a what-if (totals only) words nothing."""
    from commission.engine.assemble import RawLines
    inputs, plans = sample
    result = calculate(inputs, plans)
    raw = result._raw[0]
    blocks, at = list(raw.blocks), list(raw.at)
    assert raw.words is not None  # started with the blocks
    early = raw.explanations()
    assert raw.words is None and raw.blocks == []  # taken once; the blocks let go
    assert raw.explanations() is early
    raw.words, raw.explained, raw.blocks, raw.at = None, None, blocks, at
    late = raw.explanations()  # worded on demand from the same blocks
    assert early.dictionary.take(early.indices).equals(late.dictionary.take(late.indices))
    assert isinstance(raw, RawLines)
    assert calculate(inputs, plans, totals_only=True)._raw is None


def test_line_columns_for_a_file_are_the_files_columns(sample):
    from commission.engine import LINE_COLUMNS
    inputs, plans = sample
    result = calculate(inputs, plans)
    cols = result.line_columns()
    assert list(cols) == LINE_COLUMNS
    assert {"rate_num", "rate_den", "share", "haircut_num"} <= set(result.lines.columns)


def test_month_codes_without_a_sort_are_numpy_unique():
    from commission.engine import _distinct
    rng = np.random.default_rng(3)
    for months in (rng.integers(600, 640, 500), np.array([5, 5, 5]), np.zeros(0, np.int64),
                   np.array([-30, 700, 12])):
        uniq, codes = _distinct(months)
        want, want_codes = np.unique(months, return_inverse=True)
        assert uniq.tolist() == want.tolist() and codes.tolist() == want_codes.tolist()


def test_lines_asked_for_twice_at_once_are_worded_once(sample):
    """A file's columns and the frame, each wording on its own thread, get the same words."""
    inputs, plans = sample
    for _ in range(5):
        result = calculate(inputs, plans)
        cols = result.line_columns()  # its explanations are being made on a thread
        words = result.lines["explanation"]  # and these on another
        file_words = cols["explanation"].result()
        assert file_words.dictionary.take(file_words.indices).to_pylist() == words.tolist()
