"""The MUSCIMA++ reader: counts, masks, cache, damaged files."""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

from symbol_sources import MuscimaError, load_muscima_pp


def test_reads_all_pages_writers_and_objects(muscima):
    assert len(muscima.documents) == 140
    assert len(np.unique(muscima.doc_writer)) == 50
    assert len(muscima) == 101845


def test_class_counts_match_the_xml(muscima):
    counts = muscima.class_counts()
    # counted with grep over the 140 files: <ClassName>notehead-full</ClassName> etc.
    assert counts["notehead-full"] == 21333
    assert counts["stem"] == 21417
    assert counts["g-clef"] == 402


def test_known_object_box_outlinks_and_mask(muscima):
    i = int(np.flatnonzero((muscima.doc == muscima.documents.index("CVC-MUSCIMA_W-01_N-10_D-ideal"))
                           & (muscima.objid == 0))[0])
    assert muscima.class_names[muscima.class_id[i]] == "notehead-full"
    assert (muscima.top[i], muscima.left[i], muscima.height[i], muscima.width[i]) == (372, 494, 20, 29)
    assert muscima.outlinks_of(i).tolist() == [730, 575, 771, 797]
    mask = muscima.mask(i)
    # the RLE starts "0:15 1:10 0:14 1:16": row 0 is 15 paper, 10 ink, 4 paper; row 1 starts 10 paper
    assert mask[0].tolist() == [False] * 15 + [True] * 10 + [False] * 4
    assert mask[1, :10].sum() == 0 and mask[1, 10:26].all()
    assert mask.sum() == 392


def test_masks_agree_with_the_muscima_package(muscima, muscima_root):
    from muscima.io import parse_cropobject_list

    name = "CVC-MUSCIMA_W-05_N-19_D-ideal"
    theirs = parse_cropobject_list(os.fspath(muscima_root / "data" / "cropobjects_withstaff" / f"{name}.xml"))
    doc = muscima.documents.index(name)
    rows = {int(muscima.objid[i]): i for i in np.flatnonzero(muscima.doc == doc)}
    checked = 0
    for co in theirs[::25]:
        if co.clsname in ("staff", "staff_space"):
            continue
        np.testing.assert_array_equal(muscima.mask(rows[co.objid]), co.mask.astype(bool))
        checked += 1
    assert checked > 20


def test_warm_load_equals_cold_load(mini_muscima, tmp_path):
    cold = load_muscima_pp(mini_muscima, cache_dir=tmp_path / "c")
    warm = load_muscima_pp(mini_muscima, cache_dir=tmp_path / "c")
    assert warm.documents == cold.documents and warm.class_names == cold.class_names
    np.testing.assert_array_equal(warm.mask_bits, cold.mask_bits)
    np.testing.assert_array_equal(warm.outlinks, cold.outlinks)


def test_cache_is_rebuilt_when_a_file_changes(mini_muscima, tmp_path):
    cache = tmp_path / "c"
    before = load_muscima_pp(mini_muscima, cache_dir=cache).class_counts()
    f = next((mini_muscima / "data" / "cropobjects_withstaff").glob("*W-13*"))
    f.write_bytes(f.read_bytes().replace(b"<ClassName>g-clef</ClassName>", b"<ClassName>f-clef</ClassName>"))
    os.utime(f, ns=(time.time_ns(), time.time_ns() + 10**9))
    after = load_muscima_pp(mini_muscima, cache_dir=cache).class_counts()
    assert len(list(cache.glob("*.npz"))) == 2  # a new key, not the stale entry
    assert before["g-clef"] > 0 and after.get("g-clef", 0) < before["g-clef"]
    assert after["f-clef"] > before.get("f-clef", 0)


def test_truncated_xml_is_skipped_with_a_warning_naming_it(mini_muscima, tmp_path):
    f = next((mini_muscima / "data" / "cropobjects_withstaff").glob("*W-02*"))
    f.write_bytes(f.read_bytes()[:5000])
    with pytest.warns(UserWarning, match=f.name):
        data = load_muscima_pp(mini_muscima, cache_dir=tmp_path / "c", workers=2)
    assert data.skipped_files == (f.name,)
    assert len(data.documents) == 3 and f.stem not in data.documents  # the other three pages


def test_folder_without_crop_objects_is_a_clear_error(tmp_path):
    with pytest.raises(MuscimaError, match="not a MUSCIMA\\+\\+ v1.0 folder"):
        load_muscima_pp(tmp_path)
