"""Summaries over a benchmark's seeds, shared by the symbol and staff benchmarks."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def mean_std(values: Sequence[float | None]) -> dict[str, float | None]:
    """Mean and sample standard deviation (0 for a single value) of the values that were measured (None: a seed
    without that measure); both None when none was."""
    v = np.asarray([x for x in values if x is not None], np.float64)
    if not len(v):
        return {"mean": None, "std": None}
    return {"mean": round(float(v.mean()), 4), "std": round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 4)}
