"""The code map page: generated from the package, every function real, every one shown."""

import json
from pathlib import Path

import pytest

from chapter_code import codemap

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.unit
def test_code_map_page_is_generated_from_the_package():
    assert codemap.PAGE.read_text() == codemap.render(), (
        "book/code_map.md is stale: run python -m chapter_code.codemap")
    assert "book/code_map" in (ROOT / "_toc.yml").read_text()


@pytest.mark.unit
def test_every_listed_function_exists():
    for entry in codemap.ENTRIES:
        assert callable(codemap.resolve(entry.function)), entry.function
    with pytest.raises(ValueError, match="does not exist"):
        codemap.resolve("chapter_code.options.no_such_function")


@pytest.mark.unit
@pytest.mark.parametrize("entry", codemap.ENTRIES, ids=lambda e: e.function)
def test_each_notebook_shows_the_code_it_is_listed_for(entry):
    """A code cell of the notebook calls show_code(...) with the function, and its stored
    output holds the function's definition."""
    nb = json.loads((ROOT / "notebooks" / f"{entry.notebook}.ipynb").read_text())
    name = entry.function.rsplit(".", 1)[1]
    shown = [c for c in nb["cells"] if c["cell_type"] == "code"
             and "show_code(" in "".join(c["source"]) and name in "".join(c["source"])]
    assert shown, f"{entry.notebook} does not show {name}"
    outputs = "".join("".join(o.get("data", {}).get("text/markdown", ""))
                      for c in shown for o in c["outputs"])
    assert f"def {name}(" in outputs
