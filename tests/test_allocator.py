"""Where memory comes from (commission.allocator): each test in a fresh interpreter,
since the choices are per process and made once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, **env: str) -> str:
    """``code``'s output in a fresh interpreter, without a pool or pages chosen before."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("ARROW_DEFAULT_MEMORY_POOL", "NUMPY_MADVISE_HUGEPAGE")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**clean, **env}, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # no warning from Arrow about its pool
    return proc.stdout.strip()


POOL = "import pyarrow as pa, os; print(pa.default_memory_pool().backend_name, " \
       "os.environ.get('ARROW_DEFAULT_MEMORY_POOL'))"


def test_the_program_takes_arrow_memory_from_jemalloc_and_its_children_inherit_it():
    out = _python("import commission.cli.parser as p, subprocess, sys\n"
                  "p.main = lambda: print(subprocess.run([sys.executable, '-c', "
                  f"{POOL!r}], capture_output=True, text=True).stdout.strip()) or 0\n"
                  "p.run()")
    assert out == "jemalloc jemalloc"


def test_before_pyarrow_is_imported_the_choice_is_the_environment_variable():
    assert _python("from commission.allocator import prefer_jemalloc; prefer_jemalloc()\n"
                   + POOL) == "jemalloc jemalloc"
    assert _python(POOL) == "mimalloc None"  # pyarrow's own default, for comparison


def test_after_pyarrow_is_imported_the_pool_is_set_once_as_the_app_does():
    out = _python("import pyarrow as pa\n"
                  "before = pa.default_memory_pool().backend_name\n"
                  "keep = pa.array(range(1000))  # made by the pool before\n"
                  "from commission.allocator import prefer_jemalloc\n"
                  "prefer_jemalloc(); prefer_jemalloc()\n"
                  "print(before, end=' ')\n" + POOL + "\nassert keep.sum().as_py() == 499500")
    assert out == "mimalloc jemalloc jemalloc"


HUGE = "import numpy as np; print(np._core.multiarray._get_madvise_hugepage())"


def test_the_programs_numpy_takes_ordinary_pages_unless_the_user_said_otherwise():
    run = "import commission.cli.parser as p\np.main = lambda: 0\ntry:\n p.run()\n" \
          "except SystemExit:\n pass\n"
    assert _python(HUGE) == "True"  # numpy's own default here, for comparison
    assert _python(run + HUGE) == "False"
    assert _python(run + HUGE, NUMPY_MADVISE_HUGEPAGE="1") == "True"


def test_after_numpy_is_imported_its_pages_are_switched_as_the_app_does():
    switch = "from commission.allocator import small_pages_for_numpy\n" \
             "small_pages_for_numpy()\n"
    assert _python(HUGE + "\n" + switch + HUGE) == "True\nFalse"
    assert _python(HUGE + "\n" + switch + HUGE, NUMPY_MADVISE_HUGEPAGE="1") == "True\nTrue"
    app = (Path(__file__).resolve().parents[1] / "app.py").read_text()
    assert "small_pages_for_numpy()" in app  # the app makes the switch


def test_a_pool_the_user_chose_stands():
    code = "import commission.cli.parser as p\np.main = lambda: 0\ntry:\n p.run()\n" \
           "except SystemExit:\n pass\n" + POOL
    assert _python(code, ARROW_DEFAULT_MEMORY_POOL="system") == "system system"


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc only")
def test_a_command_takes_a_freed_column_from_the_heap_again_instead_of_a_fresh_map():
    """A column of 16 MB is mapped afresh by default (then zeroed by the kernel on
    first touch); once freed memory is kept, it comes from the heap and its memory is
    reused when freed (glibc's mallinfo2 counts the mapped chunks)."""
    code = """
import ctypes, numpy as np
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
import sys
if sys.argv[1:] == ["keep"]:
    from commission.allocator import keep_freed_memory
    keep_freed_memory()
before = libc.mallinfo2().hblks
column = np.ones(2_000_000, dtype=np.int64)
print(libc.mallinfo2().hblks - before)
"""
    as_is = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=ROOT, check=True).stdout.strip()
    kept = subprocess.run([sys.executable, "-c", code, "keep"], capture_output=True,
                          text=True, cwd=ROOT, check=True).stdout.strip()
    assert (as_is, kept) == ("1", "0")
    tuned = subprocess.run(  # the user's own tuning of glibc's malloc stands
        [sys.executable, "-c", code, "keep"], capture_output=True, text=True, cwd=ROOT,
        check=True, env={**os.environ, "GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}
    ).stdout.strip()
    assert tuned == "1"
