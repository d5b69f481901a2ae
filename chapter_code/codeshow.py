"""Show the package's own source in the book: the code under an equation is the code that runs."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def source(function: Callable[..., Any]) -> str:
    """The source text of ``function``, decorators included: a plain function, a numba-compiled
    function (``njit``) or a numba ufunc (``vectorize``). ``TypeError`` for anything else."""
    target = getattr(getattr(function, "_dispatcher", None), "py_func", function)
    if not (inspect.isfunction(target) or inspect.isfunction(getattr(target, "py_func", None))
            or inspect.isclass(target) or inspect.ismethod(target)):
        raise TypeError(f"function must be a function, method or class of the package, got "
                        f"{function!r}")
    return inspect.getsource(target)


def show_code(*functions: Callable[..., Any]) -> Any:
    """The source of ``functions`` as one Markdown code block, for a notebook cell's output
    (IPython's ``Markdown``; Jupyter and the HTML book both render it highlighted)."""
    from IPython.display import Markdown

    if not functions:
        raise TypeError("show_code needs at least one function")
    blocks = "\n\n".join(source(f).rstrip() for f in functions)
    return Markdown(f"```python\n{blocks}\n```")
