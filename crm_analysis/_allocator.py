"""Private: keep freed memory in the process while the model fits run (glibc on Linux).

A likelihood evaluation on a few hundred thousand distinct rows allocates and
frees dozens of arrays of a few megabytes.  With glibc's default settings each
free above 128 KB at the top of the heap is trimmed back to the system and
the next allocation faults the pages in again (zeroed by the kernel): on the
2M-line benchmark log two thirds of the BG/NBD fit's time was system time.
Raising the trim threshold keeps those pages; arrays above the mmap threshold
(a whole log's columns) are still mapped on their own and returned when freed,
so the peak memory of a large report does not grow with it.

The command line and the report's fit worker call :func:`keep_freed_memory`
(they own their process); before the report kernel starts, the command line
gives what it freed back with :func:`return_freed_memory`.  A Python session gets the same with the
environment variables ``MALLOC_MMAP_THRESHOLD_=33554432`` and
``MALLOC_TRIM_THRESHOLD_=134217728`` set before it starts.
"""

from __future__ import annotations

import ctypes
import sys

#: glibc's mallopt parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Bytes: arrays above MMAP are mapped on their own; up to TRIM freed bytes stay.
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 128 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Set glibc's trim and mmap thresholds for this process; False where there is no glibc.

    Examples
    --------
    >>> keep_freed_memory() in (True, False)
    True
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and other C libraries: leave them alone
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def return_freed_memory() -> None:
    """Give the memory of freed objects back to the system (garbage, Arrow's pool, glibc's heap).

    The peak of a report is that of the process tree (the CLI and the report
    kernel): the CLI calls this once it has saved the analysis.  Python frees
    the arrays, but glibc keeps freed heap pages for reuse (up to the trim
    threshold set above) and Arrow's allocator keeps its own pool; both are
    asked to return what is unused.  Without glibc this only collects garbage.

    Examples
    --------
    >>> return_freed_memory()
    """
    import gc

    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # musl and other C libraries: nothing to trim
            pass
