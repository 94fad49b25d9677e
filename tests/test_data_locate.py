"""The data-location order: --muscima-pp › $GANMASH_MUSCIMA_PP › ./data/muscima-pp/v1.0 › Mashcima's folder."""
from __future__ import annotations

from pathlib import Path

import pytest

from symbol_sources import DataNotFoundError, locate_muscima_pp


def _fake_muscima(path: Path) -> Path:
    (path / "data" / "cropobjects_withstaff").mkdir(parents=True)
    return path.resolve()


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Four valid MUSCIMA++ folders, one per place; cwd and the user data dir inside tmp."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return {
        "explicit": _fake_muscima(tmp_path / "explicit"),
        "env": _fake_muscima(tmp_path / "env"),
        "project": _fake_muscima(tmp_path / "data" / "muscima-pp" / "v1.0"),
        "mashcima": _fake_muscima(tmp_path / "xdg" / "mashcima" / "MUSCIMA-pp_v1.0"),
    }


def test_explicit_path_wins(places, monkeypatch):
    monkeypatch.setenv("GANMASH_MUSCIMA_PP", str(places["env"]))
    assert locate_muscima_pp(places["explicit"]) == places["explicit"]


def test_env_var_beats_project_folder(places, monkeypatch):
    monkeypatch.setenv("GANMASH_MUSCIMA_PP", str(places["env"]))
    assert locate_muscima_pp() == places["env"]


def test_project_folder_beats_mashcima_folder(places):
    assert locate_muscima_pp() == places["project"]


def test_mashcima_download_folder_is_the_last_resort(places):
    import shutil

    shutil.rmtree(places["project"])
    assert locate_muscima_pp() == places["mashcima"]


def test_nothing_found_names_every_place_and_the_download_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with pytest.raises(DataNotFoundError) as e:
        locate_muscima_pp()
    msg = str(e.value)
    assert "data/muscima-pp/v1.0" in msg and "mashcima" in msg and "ganmash data download" in msg
    assert "\n" not in msg


def test_a_wrong_explicit_path_is_an_error_not_a_fall_through(places):
    with pytest.raises(DataNotFoundError, match="--muscima-pp points to"):
        locate_muscima_pp(places["explicit"] / "nope")
