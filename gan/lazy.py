"""Package ``__init__`` files whose public names load on first use (PEP 562), so importing one light submodule,
or listing the CLI's commands, does not import torch, OpenCV and the rest."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping, Sequence


def lazy_exports(package: str, public: Mapping[str, Sequence[str]]) -> tuple[list[str], Callable[[str], Any]]:
    """``(__all__, __getattr__)`` for ``package``: ``public`` maps each module to the names it exports."""
    where = {name: module for module, names in public.items() for name in names}

    def getattr_(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(where[name]), name)

    return sorted(where), getattr_
