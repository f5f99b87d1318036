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
