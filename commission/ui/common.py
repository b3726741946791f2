"""What every page shares: where data and plans come from, caching, and money on screen.

Configuration is read from the environment at every run, never at import, so a
test (or a deployment) can point one process at other folders:

- ``COMMISSION_DATA``: the data folder (default ``sample_data``);
- ``COMMISSION_RULES``: the plan folder (default ``rules``);
- ``COMMISSION_DB``: the store (default ``sqlite:///commission.db``).

Loaded data and plans are cached by a fingerprint of their source (file names,
sizes and modification times; the store's last load), so a page rerun after a
widget change reads nothing again, and a changed file is read again at once.
Cached objects are shared, never modified: pages only read them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from commission import InputError, Inputs, Plan, Problem, load_plans, read_inputs
from commission.files import safe_frame
from commission.inputs.tables import COLUMNS, OPTIONAL_TABLES
from commission.money import format_cents, format_money
from commission.problems import problems_frame
from commission.vocabulary import DB_URL_ENV, DEFAULT_DB_URL

DEFAULT_DATA = "sample_data"
DEFAULT_RULES = "rules"

SOURCE_FOLDER = "folder"
SOURCE_STORE = "store"
SOURCE_UPLOAD = "upload"

REQUIRED_FILES = [f"{n}.csv" for n in COLUMNS if n not in OPTIONAL_TABLES]
OPTIONAL_FILES = [f"{n}.csv" for n in COLUMNS if n in OPTIONAL_TABLES]


# --------------------------------------------------------------------------- configuration


def data_dir() -> Path:
    return Path(os.environ.get("COMMISSION_DATA") or DEFAULT_DATA)


def rules_dir() -> Path:
    return Path(os.environ.get("COMMISSION_RULES") or DEFAULT_RULES)


def db_url() -> str:
    return os.environ.get(DB_URL_ENV) or DEFAULT_DB_URL


def folder_fingerprint(folder: Path, patterns: Sequence[str]) -> str:
    """Names, sizes and modification times of the matching files: cheap, and changes on save."""
    h = hashlib.sha256(str(folder.resolve()).encode())
    if folder.is_dir():
        for pattern in patterns:
            for p in sorted(folder.glob(pattern)):
                st_ = p.stat()
                h.update(f"{p.name}\0{st_.st_size}\0{st_.st_mtime_ns}\n".encode())
    return h.hexdigest()[:20]


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Rules:
    """The plans of the rules folder: usable plans, their texts and any problems."""

    folder: Path
    plans: dict[str, Plan]
    texts: dict[str, str]
    problems: list[Problem]
    key: str


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_rules(folder: str, fingerprint: str) -> tuple[dict, dict, list]:
    return load_plans(folder)


def rules() -> Rules:
    """The plans of ``COMMISSION_RULES``, read again only when a file changed."""
    folder = rules_dir()
    key = folder_fingerprint(folder, ["*.yaml", "*.yml"])
    plans, texts, problems = _load_rules(str(folder), key)
    return Rules(folder, plans, texts, problems, key)


def plans_key(plans: Mapping[str, Plan]) -> str:
    """A fingerprint of plans' exact terms, for cache keys."""
    h = hashlib.sha256()
    for pid in sorted(plans):
        h.update(plans[pid].to_yaml().encode())
    return h.hexdigest()[:20]


# --------------------------------------------------------------------------- data sources


@dataclass(frozen=True)
class Data:
    """Validated inputs from one source, and the plans its reps are on."""

    source: str  # SOURCE_FOLDER, SOURCE_STORE or SOURCE_UPLOAD
    label: str  # for people: "data folder sample_data", "store sqlite:///commission.db"
    key: str  # changes whenever the data does: the cache key of everything computed from it
    inputs: Inputs
    plans: dict[str, Plan]
    plans_key: str
    extra: dict[str, Any] = field(default_factory=dict)


@st.cache_resource(show_spinner=False, max_entries=8)
def _folder_inputs(folder: str, fingerprint: str, plan_ids: tuple[str, ...]
                   ) -> tuple[Inputs | None, list[Problem]]:
    return read_inputs(folder, plan_ids)


def stage_uploads(files: Iterable[tuple[str, bytes]], folder: str | Path) -> list[Problem]:
    """Write uploaded files into ``folder`` (a fresh temporary folder) by table name only.

    An upload never chooses a path: its name is reduced to its last component (any
    directories, ``..`` or drive dropped) and must then be ``<known table>.csv``; the
    file is written as that table's own file name. Anything else, and a second file
    for the same table, is refused (a problem), and nothing of it is written.
    """
    known = {f"{n}.csv": f"{n}.csv" for n in COLUMNS}
    problems: list[Problem] = []
    seen: set[str] = set()
    for name, data in files:
        base = str(name).replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
        table = known.get(base)
        if table is None:
            problems.append(Problem(str(name)[:80], None, None, None,
                                    "not one of the data set's files",
                                    f"one of {', '.join(sorted(known))}"))
        elif table in seen:
            problems.append(Problem(table, None, None, None, "uploaded twice",
                                    "each table's file once"))
        else:
            seen.add(table)
            (Path(folder) / table).write_bytes(data)
    return problems


@st.cache_resource(show_spinner=False, max_entries=8)
def _upload_inputs(digest: str, plan_ids: tuple[str, ...], _files: tuple[tuple[str, bytes], ...]
                   ) -> tuple[Inputs | None, list[Problem]]:
    """Uploaded files, written to a temporary folder and read like any data folder."""
    with tempfile.TemporaryDirectory(prefix="commission-upload-") as tmp:
        problems = stage_uploads(_files, tmp)
        inputs, found = read_inputs(tmp, plan_ids)
    problems += found
    return (None, problems) if problems else (inputs, [])


def upload_digest(files: Iterable[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()[:20]


@st.cache_resource(show_spinner=False, max_entries=4)
def store_for(url: str):
    """The store at ``url``, opened (and migrated) once per process."""
    from commission import open_store

    return open_store(url)


def store_version(store) -> int:
    """The store's last load that changed anything: the cache key of its data."""
    from commission.payroll import store_version as version

    return version(store)


@st.cache_resource(show_spinner=False, max_entries=8)
def store_contents(url: str, version: int, _store) -> tuple[Inputs, dict[str, Plan],
                                                            list[Problem]]:
    from commission.payroll import stored_plans

    inputs = _store.stored_inputs()
    plans, problems = stored_plans(_store)
    return inputs, plans, problems


def open_current_store():
    """The configured store, or None with an error on the page (a bad URL is a user's mistake)."""
    from commission.problems import StoreError

    url = db_url()
    try:
        return store_for(url)
    except StoreError as exc:  # reachable, but not usable by this version: say why
        st.error(f"Cannot open the store at {plain(url)}: {plain(exc)}.")
        return None
    except Exception as exc:  # any failure to open (bad URL, no server) is shown, not raised
        st.error(f"Cannot open the store at {plain(url)}. Check the database address "
                 "(COMMISSION_DB) and that the database server is running.")
        with st.expander("Technical details"):
            st.code(str(exc)[:2000], language=None)
        return None


def folder_data(folder: Path, plans: Rules) -> Data | None:
    """The data folder, validated against the plans of ``rules/``; None after showing why."""
    if not folder.is_dir():
        st.info(f"There is no data folder {folder}. Create one with "
                f"`commission sample --out {folder}`, set COMMISSION_DATA, or pick another "
                "source.")
        return None
    fp = folder_fingerprint(folder, ["*.csv"])
    with st.spinner(f"Reading {folder}..."):
        inputs, problems = _folder_inputs(str(folder), fp, tuple(sorted(plans.plans)))
    if inputs is None:
        show_problems(problems, f"The data in {folder} has problems; nothing is computed "
                                "until they are fixed.")
        return None
    return Data(SOURCE_FOLDER, f"data folder {folder}", f"folder:{folder.resolve()}:{fp}",
                inputs, plans.plans, plans.key)


def upload_data(files: Sequence[Any], plans: Rules) -> Data | None:
    """Uploaded CSV files as a full data set; None (with the problems shown) when invalid."""
    if not files:
        st.info("Upload the files of a data set: " + ", ".join(REQUIRED_FILES)
                + " (and optionally " + ", ".join(OPTIONAL_FILES) + ").")
        return None
    pairs = tuple((f.name, f.getvalue()) for f in files)
    digest = upload_digest(pairs)
    with st.spinner("Checking the uploaded files..."):
        inputs, problems = _upload_inputs(digest, tuple(sorted(plans.plans)), pairs)
    if inputs is None:
        show_problems(problems, "The uploaded files have problems; nothing is computed until "
                                "they are fixed.")
        return None
    names = ", ".join(sorted(name for name, _ in pairs))
    return Data(SOURCE_UPLOAD, f"uploaded files ({names})", f"upload:{digest}", inputs,
                plans.plans, plans.key)


def store_data() -> Data | None:
    """The store's data with the store's plans; None (with an empty state) when empty."""
    store = open_current_store()
    if store is None:
        return None
    version = store_version(store)
    if version == 0:
        st.info(f"The store ({store.url}) holds no data yet. Load a data folder on the "
                "Batches page, or pick the data folder as the source.")
        return None
    with st.spinner("Reading the store..."):
        inputs, plans, problems = store_contents(store.url, version, store)
    if problems:
        show_problems(problems, "Some plans in the store cannot be read; they are left out.",
                      level="warning")
    return Data(SOURCE_STORE, f"store {store.url}", f"store:{store.url}:{version}", inputs,
                plans, plans_key(plans), {"store": store})


def pick_data(page: str, allow_upload: bool = True, allow_folder: bool = True) -> Data | None:
    """The data source picker in the sidebar, and the chosen source's validated data.

    The data folder is everyone's data on the server: signed in, pages leave it out
    (``allow_folder=False``) and read the store, whose pay goes through the access layer.
    """
    options = (([SOURCE_FOLDER] if allow_folder else []) + [SOURCE_STORE]
               + ([SOURCE_UPLOAD] if allow_upload else []))
    words = {SOURCE_FOLDER: f"Data folder ({data_dir()})", SOURCE_STORE: "Store",
             SOURCE_UPLOAD: "Upload CSV files"}
    plans = rules()
    with st.sidebar:
        source = st.radio("Data", options, format_func=words.get, key=f"{page}.source")
        files: list[Any] = []
        if source == SOURCE_UPLOAD:
            files = st.file_uploader("CSV files of one data set", type="csv",
                                     accept_multiple_files=True, key=f"{page}.upload") or []
    if source == SOURCE_STORE:
        return store_data()
    if source == SOURCE_UPLOAD:
        return upload_data(files, plans)
    return folder_data(data_dir(), plans)


def last_event_day(inputs: Inputs) -> dt.date:
    """The latest date the data knows of (invoice, payment or adjustment): its "today"."""
    days = [inputs.invoices["invoice_date"].max(), inputs.payments["payment_date"].max(),
            inputs.adjustments["adjustment_date"].max()]
    days = [d for d in days if not pd.isna(d)]
    return max(days).date() if days else dt.date.today()


# --------------------------------------------------------------------------- showing things

#: text on white at a contrast of at least 4.5:1 (WCAG AA): captions, help, chart labels
READABLE_GREY = "#4a4d5a"  # 8.4:1 on white; Streamlit's own caption grey is about 3.5:1

#: the app's styles, on every page (session.identify adds them): figures never cut off,
#: columns that wrap onto a new row when too narrow, captions readable
PAGE_CSS = f"""
<style>
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {{
  overflow: visible !important; text-overflow: clip !important;
  white-space: normal !important; overflow-wrap: normal !important;
}}
[data-testid="stMetricValue"] {{
  font-size: clamp(1.15rem, 0.6rem + 1.1vw, 2.25rem) !important; line-height: 1.25 !important;
  height: auto !important; min-height: 0 !important;
}}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *,
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * {{
  overflow: visible !important; text-overflow: clip !important; white-space: normal !important;
}}
[data-testid="stHorizontalBlock"] {{ flex-wrap: wrap !important; }}
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
  min-width: min(11.5rem, 100%) !important;
}}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stWidgetLabel"] small, [data-testid="stMetricDelta"] + div,
[data-testid="stExpanderDetails"] small {{
  color: {READABLE_GREY} !important;
}}
.vega-embed text {{ fill: {READABLE_GREY} !important; }}
</style>
"""


def page_style() -> None:
    """The app's styles (:data:`PAGE_CSS`) on this page: once a run, from the session."""
    st.markdown(PAGE_CSS, unsafe_allow_html=True)



#: where this run keeps the currency code (read from the store once a run)
CURRENCY_KEY = "common.currency"


def currency() -> str:
    """The currency code of every figure (the store's ``currency`` setting; "USD" by default)."""
    from commission.store.identity import DEFAULT_CURRENCY

    return str(st.session_state.get(CURRENCY_KEY) or DEFAULT_CURRENCY)


def refresh_currency() -> str:
    """Read the ``currency`` setting (one query a run), so an administrator's change counts."""
    from commission import access

    try:
        code = access.currency(store_for(db_url()))
    except Exception:  # no store to ask (bad URL, no server): the default, never an error
        code = access.currency(None)
    st.session_state[CURRENCY_KEY] = code
    return code


def money(cents: int | None) -> str:
    """Cents as people read money, with the currency ('USD 12,345.67'); '' for nothing.

    A negative amount has its sign first ('-USD 2,787.96'), so a metric's delta built
    from it points down (Streamlit reads the direction from the leading sign).
    """
    if cents is None or pd.isna(cents):
        return ""
    value = int(cents)
    return f"{'-' if value < 0 else ''}{currency()} {format_money(abs(value))}"


def amount(cents: int | None) -> str:
    """Cents without the currency ('12,345.67'), for a table whose column names it."""
    return "" if cents is None or pd.isna(cents) else format_money(int(cents))


def pct(value: Decimal | None, places: int = 2) -> str:
    """A Decimal percentage as '4.53%'; '' when there is none."""
    return "" if value is None or (not isinstance(value, Decimal) and pd.isna(value)) \
        else f"{value:.{places}f}%"


def money_view(frame: pd.DataFrame, money_cols: Iterable[str]) -> pd.DataFrame:
    """A copy with the money columns as formatted text (the column names the currency)."""
    out = frame.copy()
    for c in money_cols:
        if c in out.columns:
            out[c] = [amount(v) for v in out[c].to_numpy()]
    return out


def show_table(frame: pd.DataFrame, money_cols: Iterable[str] = (),
               labels: Mapping[str, str] | None = None, key: str | None = None,
               height: int | str = "auto", right: Iterable[str] = (),
               wide: Iterable[str] = ()) -> None:
    """A table with money formatted and right-aligned, and columns named for people.

    Money columns name the currency ("gross (USD)"); every other column is as wide as
    its longest text (:func:`fit_width`), so no figure is cut off; ``wide`` columns
    (long text such as explanations) get a large width. Missing values show empty,
    never "None".
    """
    money_cols = [c for c in money_cols if c in frame.columns]
    view = blank_missing(money_view(frame, money_cols))
    labels = dict(labels or {})
    code = currency()
    names = {c: labels.get(c, str(c).replace("_", " ")) for c in view.columns}
    for c in money_cols:
        names[c] = f"{names[c]} ({code})"
    config: dict[str, Any] = {}
    for c in view.columns:
        label = names[c]
        if c in wide:
            config[c] = st.column_config.TextColumn(label, width="large")
        elif c in money_cols or c in right:
            config[c] = st.column_config.TextColumn(label, alignment="right",
                                                    width=fit_width(view[c], label))
        elif pd.api.types.is_datetime64_any_dtype(view[c]):  # a day, not a midnight timestamp
            config[c] = st.column_config.DateColumn(label, format="YYYY-MM-DD",
                                                    width=fit_width(["2026-01-01"], label))
        else:
            config[c] = st.column_config.Column(label, width=fit_width(view[c], label))
    st.dataframe(view, hide_index=True, column_config=config, key=key, height=height,
                 width="stretch")


#: pixels a character of a table's 14 px font takes (digits are 7; the browser test checks
#: the estimate covers every column's real text), a cell's padding, and the widest column
CHAR_PX, CELL_PAD_PX, MAX_FIT_PX = 7.2, 32, 560


def fit_width(values: Iterable[Any], label: str = "") -> int:
    """Pixels a table column needs to show its longest text (and its header) whole.

    Passed as ``column_config`` ``width``, so a grid never cuts a figure off with "…";
    capped, beyond which text wraps into the row's tooltip (long explanations).
    """
    texts = [str(v) for v in values if v is not None and not (isinstance(v, float) and pd.isna(v))]
    longest = max([len(label), *map(len, texts)]) if texts or label else 4
    return int(min(MAX_FIT_PX, CELL_PAD_PX + CHAR_PX * longest))


def blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with None/NaN as empty text: a table never says "None" to a person."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].where(out[c].notna(), "")
    return out


def table_height(rows: int, most: int = 20) -> int:
    """Pixels that show ``rows`` rows (up to ``most``) without a scroll bar."""
    return 35 * (min(rows, most) + 1) + 3


def show_problems(problems: Sequence[Problem], message: str, level: str = "error") -> None:
    """A message and the table of every problem (source, row, column, id, what, expected)."""
    shown = getattr(st, level)
    shown(f"{message} ({len(problems)} problem{'s' if len(problems) != 1 else ''})")
    st.dataframe(problems_frame(problems), hide_index=True, width="stretch")


#: characters Streamlit's Markdown gives a meaning to
_MARKDOWN = re.compile(r"([\\`*_\[\]<>!~$|:#])")  # links, images, styles, emoji, autolinks


def plain(text: object) -> str:
    """Text shown as itself in a Markdown element (a name is never a link, image or style)."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def csv_text(frame: pd.DataFrame, money_cols: Iterable[str] = ()) -> str:
    """CSV with money as plain two-decimal amounts ('1234.50'), as every export writes it."""
    out = frame.copy()
    for c in money_cols:
        if c in out.columns:
            out[c] = [format_cents(int(v)) if not pd.isna(v) else "" for v in out[c].to_numpy()]
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = [str(v) if isinstance(v, Decimal) else v for v in out[c].to_numpy()]
    return safe_frame(out, money_cols).to_csv(index=False, lineterminator="\n")


def zip_bytes(files: Mapping[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


@contextmanager
def user_errors(what: str) -> Iterator[None]:
    """Show a user's mistake or a refusal on the page (problems table or one line).

    Never a traceback. A refusal of the access layer (AccessDenied) is already in
    the audit log.
    """
    from commission import BatchError
    from commission.access import AccessDenied

    try:
        yield
    except InputError as exc:
        show_problems(exc.problems, f"{what}: the input has problems; nothing was written")
    except BatchError as exc:
        st.error(f"{what}: {exc}")
    except AccessDenied as exc:
        st.error(f"{what}: {exc}", icon=":material/block:")


class Stopwatch:
    """Seconds since it started: the compare page quotes its own speed."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start
