"""Project-wide conventions that a grep can check."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GLOBAL_RNG = re.compile(
    r"np\.random\.(seed|rand|randn|randint|choice|uniform|normal|random|shuffle|permutation)\("
    r"|torch\.manual_seed\(|^\s*import random\b|^\s*from random import"
)


@pytest.mark.unit
def test_no_global_random_state_in_package_or_notebooks():
    offenders = []
    files = [*ROOT.glob("chapter_code/**/*.py"), *ROOT.glob("notebooks/**/*.ipynb"),
             *ROOT.glob("benchmarks/**/*.py")]
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if GLOBAL_RNG.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "global RNG use:\n" + "\n".join(offenders)


@pytest.mark.unit
def test_the_check_itself_catches_global_rng():
    assert GLOBAL_RNG.search("np.random.seed(0)") and GLOBAL_RNG.search("import random")
    assert not GLOBAL_RNG.search("rng = np.random.default_rng(0)")
