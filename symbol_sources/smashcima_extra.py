"""Whether the optional Smashcima backend is installed, and its user errors. Light (Smashcima is not imported
here), so the asset layer, the backend and the CLI can share these without Smashcima installed."""
from __future__ import annotations

INSTALL_HINT = "the Smashcima backend needs the smashcima extra: pip install -e '.[smashcima]' (or make venv-smashcima)"


class SmashcimaMissingError(ImportError):
    """Smashcima is not installed (one-line message saying how to install it)."""


class SmashcimaAssetsError(RuntimeError):
    """A Smashcima asset bundle that is missing and may not be downloaded (one-line message)."""


def require_smashcima() -> None:
    try:
        import smashcima  # noqa: F401
    except ImportError:
        raise SmashcimaMissingError(INSTALL_HINT) from None
