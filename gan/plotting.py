"""matplotlib for the figures every layer writes (glyph grids, benchmark plots): files only, no display."""
from __future__ import annotations


def agg_pyplot():
    """``matplotlib.pyplot`` on the Agg backend, which needs no display (servers, CI, subprocesses). Imported
    when called, so a module that can plot stays light to import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
