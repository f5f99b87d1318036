"""The allocator setting of the command line: fewer page faults, nothing else changed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHURN = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from crm_analysis._allocator import keep_freed_memory
    assert keep_freed_memory()
x = np.ones(500_000)  # 4 MB, like a likelihood pass's temporaries
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    y = x * 2.0
    z = y + 1.0
    del y, z
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_freed_memory_stops_the_page_faults_of_repeated_array_passes():
    # Allocating and freeing 4 MB arrays 400 times: with glibc's defaults the pages are
    # returned and faulted in again each time (about 1,000 faults per array); tuned,
    # they stay in the process.
    # glibc's defaults: without the variables `make test` sets for the same effect
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}

    def faults(mode):
        out = subprocess.run([sys.executable, "-c", CHURN, mode], capture_output=True, text=True,
                             check=True, env=env)
        return int(out.stdout)

    default, tuned = faults("default"), faults("tuned")
    assert default > 50_000
    assert tuned < default / 20


RELEASE = """
import sys
import numpy as np
from crm_analysis._allocator import keep_freed_memory, return_freed_memory
assert keep_freed_memory()
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096
chunks = [np.ones(100_000) for _ in range(1_000)]  # 0.8 MB each, 800 MB in all
del chunks
kept = rss()
return_freed_memory()
print(kept, rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_return_freed_memory_gives_the_kept_heap_back():
    # 1,000 arrays of 0.8 MB (below the mmap threshold: on the heap) freed at once: up to
    # the 128 MB trim threshold stays in the process until return_freed_memory trims it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", RELEASE], capture_output=True, text=True,
                         check=True, env=env)
    kept, after = (int(v) for v in out.stdout.split())
    assert kept - after > 50e6
