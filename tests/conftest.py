"""Shared pytest setup: tests are tiered by marker (see pyproject.toml)."""

import matplotlib

matplotlib.use("Agg")
