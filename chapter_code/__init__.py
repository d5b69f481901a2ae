"""chapter_code: tested reference code for the hierarchical and meta-RL course book."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chapter_code")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
