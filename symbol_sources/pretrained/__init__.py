"""The packaged GAN checkpoint (``glyph-gan.pt``, package data): the default of every command and API that draws
generated glyphs. It lives below the CLI so that providers, staves and benchmarks can find it without importing
the CLI package."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

PRETRAINED_NAME = "glyph-gan.pt"


def default_checkpoint() -> Path:
    """The packaged pretrained checkpoint."""
    # files() of a package installed from a folder (pip install, editable or not) is a real path
    path = Path(str(resources.files(__name__) / PRETRAINED_NAME))
    if not path.is_file():
        raise FileNotFoundError(f"this install has no packaged pretrained checkpoint ({path}); "
                                "pass --checkpoint (train one with `ganmash train`)")
    return path
