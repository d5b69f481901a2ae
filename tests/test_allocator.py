"""keep_freed_memory: a 16 MB tensor comes from malloc's heap and its memory stays there when
freed (glibc's own counters, in a fresh process so the setting does not leak into others)."""

import json
import platform
import subprocess
import sys

import pytest

PROBE = """
import ctypes, json, sys
import torch
from chapter_code.allocator import keep_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
                .split()]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
took = keep_freed_memory() if sys.argv[1] == "tuned" else None
before = libc.mallinfo2()
x = torch.empty(20, 2000, 100)  # 16 MB
during = libc.mallinfo2()
del x
after = libc.mallinfo2()
print(json.dumps({"took": took, "mapped": during.hblkhd - before.hblkhd,
                  "free_in_heap": after.fordblks}))
"""
SIXTEEN_MB = 20 * 2000 * 100 * 4


def _probe(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


@pytest.mark.unit
@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc only")
def test_large_tensors_reuse_the_heap_only_after_keep_freed_memory():
    default, tuned = _probe("default"), _probe("tuned")
    assert default["mapped"] >= SIXTEEN_MB  # the default maps fresh pages for it
    assert tuned["took"] is True
    assert tuned["mapped"] == 0
    assert tuned["free_in_heap"] >= SIXTEEN_MB
