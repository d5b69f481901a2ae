"""A process-level memory setting for the long torch runs (the command line, the benchmarks).

Autograd allocates and frees many large tensors per MAML meta-iteration (activations and their
gradients, 16 MB each at 20 tasks x 2000 steps x 100 units). glibc's malloc serves such blocks
with fresh ``mmap`` pages and unmaps them on free by default, so every one of them is
page-faulted in again, 4 KB at a time, when it is first written. :func:`keep_freed_memory` makes
malloc serve blocks up to 32 MB from its heap and keep freed heap memory for reuse. It changes
speed only, never a value; the library never calls it on import.
"""

from __future__ import annotations

import ctypes
import sys

# glibc <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MAX_MMAP_THRESHOLD = 32 * 2**20  # glibc's ceiling on 64-bit machines
NEVER_TRIM = 2**31 - 1


def keep_freed_memory() -> bool:
    """Set glibc's ``M_MMAP_THRESHOLD`` to 32 MB and ``M_TRIM_THRESHOLD`` out of reach, for
    the whole process. Returns whether both settings took effect (``False`` where the C
    library is not glibc). The process keeps its peak heap size until it exits."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MAX_MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, NEVER_TRIM))
