"""Where the MUSCIMA++ data is: one function, one order, used by every command."""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "GANMASH_MUSCIMA_PP"
PROJECT_DATA_DIR = Path("data")
PROJECT_MUSCIMA_PP = PROJECT_DATA_DIR / "muscima-pp" / "v1.0"

# Held out by Mashcima's evaluation protocol: their pages are the real test staves. (Here, not in extract.py,
# so the CLI can name them in its help without importing OpenCV.)
EVALUATION_WRITERS: tuple[int, ...] = (13, 17, 20, 34, 41, 49)
# The human gold of writers 13, 17 and 20 (CVC-MUSCIMA staves), where the shared data folder beside the checkout
# keeps it.
DEV_GOLD = Path("..") / "shared" / "cvc-muscima-gold" / "dev.tsv"


class DataNotFoundError(FileNotFoundError):
    """No MUSCIMA++ folder in any of the known places."""


def mashcima_muscima_pp_dir() -> Path:
    """Where Mashcima itself downloads MUSCIMA++ (so users who ran Mashcima need nothing)."""
    import appdirs

    return Path(appdirs.user_data_dir(appname="mashcima", appauthor="Jirka-Mayer")) / "MUSCIMA-pp_v1.0"


def _is_muscima_pp(path: Path) -> bool:
    return (path / "data" / "cropobjects_withstaff").is_dir()


def candidate_muscima_pp_dirs(explicit: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The places searched, in order, each with where it came from."""
    places = []
    if explicit is not None:
        places.append(("--muscima-pp", Path(explicit)))
    if os.environ.get(ENV_VAR):
        places.append((ENV_VAR, Path(os.environ[ENV_VAR])))
    places.append(("project data folder", PROJECT_MUSCIMA_PP))
    places.append(("Mashcima's download folder", mashcima_muscima_pp_dir()))
    return places


def locate_muscima_pp(explicit: str | os.PathLike | None = None) -> Path:
    """``--muscima-pp PATH`` › ``$GANMASH_MUSCIMA_PP`` › ``./data/muscima-pp/v1.0`` › Mashcima's folder.

    An explicitly given path (option or env var) that is not MUSCIMA++ is an error, not a fall-through:
    the user asked for that one.
    """
    places = candidate_muscima_pp_dirs(explicit)
    for source, path in places:
        if _is_muscima_pp(path):
            return path.resolve()
        if source in ("--muscima-pp", ENV_VAR):
            raise DataNotFoundError(
                f"{source} points to {path}, which is not a MUSCIMA++ v1.0 folder "
                f"(it should contain data/cropobjects_withstaff/)")
    tried = "; ".join(f"{src}: {p}" for src, p in places)
    raise DataNotFoundError(
        "MUSCIMA++ v1.0 not found. Looked in (in this order) " + tried + ". "
        f"Pass --muscima-pp PATH, set {ENV_VAR}=PATH, or run `ganmash data download` "
        f"to fetch it (~100 MB, CC BY-NC-SA 4.0) into {PROJECT_MUSCIMA_PP}.")
