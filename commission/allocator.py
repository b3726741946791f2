"""Where memory comes from: Arrow's from jemalloc, freed memory kept, numpy on small pages.

pyarrow's wheels default to mimalloc, which here backs a million lines' text with
fresh huge pages and hands them back soon after: the kernel zeroes them again for
the next column, and a ``calculate`` at a million invoices spent 7.3 s of CPU, 2-3 s
of it in the kernel. jemalloc, also in the wheels, reuses what the last slice freed:
5.2 s of CPU, the same output and peak (README, Benchmark). A choice the user made
(``ARROW_DEFAULT_MEMORY_POOL``) stands.

numpy's columns come from the C library's malloc, which by default maps a column of
a few MB afresh and unmaps it when freed, and gives each thread an arena of its own:
the same zeroing of new pages, for every intermediate column. A command that runs
and ends keeps what it frees instead (:func:`keep_freed_memory`), and its numpy
arrays take ordinary pages (:func:`small_pages_for_numpy`).
"""

from __future__ import annotations

import ctypes
import os
import sys

ENV = "ARROW_DEFAULT_MEMORY_POOL"
NUMPY_HUGE_PAGES = "NUMPY_MADVISE_HUGEPAGE"

#: glibc's mallopt parameters and the values a command uses
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
KEEP = ((M_TRIM_THRESHOLD, 1 << 30),  # up to 1 GB freed at the top of the heap is kept
        (M_MMAP_THRESHOLD, 1 << 25),  # columns up to 32 MB from the heap, not fresh maps
        (M_ARENA_MAX, 1))  # the threads' columns from the same heap, reused alike


def prefer_jemalloc() -> None:
    """Arrow's default pool is jemalloc from now on, where the build has it.

    Before pyarrow is imported (the command line), by its environment variable, which
    the processes it starts (a Dask ``LocalCluster``'s workers) inherit; after (the
    app: Streamlit imports pyarrow first), by setting the pool, which only the
    allocations from then on use (a buffer is freed by the pool that made it), and
    the variable then, so the choice is made once and children inherit it.
    """
    if ENV in os.environ:
        return
    if "pyarrow" not in sys.modules:
        if sys.platform != "win32":  # Windows wheels are built without jemalloc
            os.environ[ENV] = "jemalloc"
        return
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a build without jemalloc keeps its default
        return
    os.environ[ENV] = "jemalloc"  # chosen once (Streamlit runs the app again and again)


def keep_freed_memory() -> None:
    """glibc's malloc keeps and reuses what is freed (:data:`KEEP`), for a process that
    ends when its command does: not the app, which lives on. Elsewhere, or when the
    user tuned glibc's malloc (``GLIBC_TUNABLES``), nothing."""
    if sys.platform != "linux" or not _glibc():
        return
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    for param, value in KEEP:
        mallopt(param, value)


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")  # type: ignore[union-attr]
    except (ValueError, OSError):  # another C library (musl) has no such name
        return False


def small_pages_for_numpy() -> None:
    """numpy does not ask the kernel for huge pages, unless the user said otherwise
    (``NUMPY_MADVISE_HUGEPAGE``).

    numpy advises huge pages for every array of 4 MB or more; each first touch of one
    then zeroes 2 MB at once, and after another process has run the kernel finds them
    slowly: the engine's compute took 1.4-1.6 s with them and 1.1 s without, at a
    million invoices, and the app's what-if of four plans 3.6 s against 2.9-3.0 s
    (README, Benchmark). Before numpy is imported (the command line), by the variable
    it reads then; after (the app: Streamlit imports numpy first), by numpy's own
    switch for the arrays made from then on, where this numpy has one.
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault(NUMPY_HUGE_PAGES, "0")
    elif NUMPY_HUGE_PAGES not in os.environ:
        import importlib

        try:
            multiarray = importlib.import_module("numpy._core.multiarray")
        except ImportError:  # a numpy before 2.0 keeps it elsewhere: its pages stand
            return
        switch = getattr(multiarray, "_set_madvise_hugepage", None)
        if switch is not None:
            switch(False)
