"""Staff recognition: real test staves from MUSCIMA++, gold files, SER, the CRNN recogniser and its CLI."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from helpers import symbol_count, write_gold

pytestmark = pytest.mark.usefixtures("warm_cache")  # MUSCIMA++ parsed once per session

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO.parent / "shared" / "cvc-muscima-gold" / "dev.tsv"
needs_gold = pytest.mark.skipif(not GOLD.is_file(), reason="../shared/cvc-muscima-gold/dev.tsv is not here")


# -- gold files and real staves -----------------------------------------------------------------------------------
@needs_gold
def test_dev_gold_has_48_staves_of_writers_13_17_20():
    from symbol_sources.real_staves import read_gold

    gold = read_gold(GOLD)
    assert len(gold) == 48
    assert {g.writer for g in gold} == {13, 17, 20}
    assert gold[0].tokens[0] == "clef.G-2"


def test_gold_without_header_is_refused(tmp_path):
    from symbol_sources.real_staves import GoldError, read_gold

    (tmp_path / "g.tsv").write_text("13\t2\t0\tclef.G-2 q4\n")
    with pytest.raises(GoldError, match="header"):
        read_gold(tmp_path / "g.tsv")


def test_gold_of_only_blank_staves_is_refused(tmp_path):
    from symbol_sources.real_staves import GoldError, read_gold

    with pytest.raises(GoldError, match="all 2 gold staves are blank"):
        read_gold(write_gold(tmp_path / "g.tsv", [(13, 2, 0, ""), (13, 2, 1, "")]))


def test_binary_gold_file_is_refused(tmp_path):
    from symbol_sources.real_staves import GoldError, read_gold

    (tmp_path / "g.tsv").write_bytes(bytes(range(128, 256)))
    with pytest.raises(GoldError, match="is not a gold TSV"):
        read_gold(tmp_path / "g.tsv")


def test_gold_row_naming_a_missing_page_is_an_error_naming_the_row(tmp_path, muscima):
    from symbol_sources.real_staves import GoldError, read_gold, render_gold_staves

    gold = read_gold(write_gold(tmp_path / "g.tsv", [(13, 2, 0, "clef.G-2"), (13, 99, 0, "q4")]))
    with pytest.raises(GoldError, match=r"line 3: MUSCIMA\+\+ has no page 99 of writer 13"):
        render_gold_staves(muscima, gold, source="g.tsv")


def test_gold_row_naming_a_missing_staff_says_how_many_there_are(tmp_path, muscima):
    from symbol_sources.real_staves import GoldError, read_gold, render_gold_staves

    gold = read_gold(write_gold(tmp_path / "g.tsv", [(13, 2, 40, "q4")]))
    with pytest.raises(GoldError, match=r"line 2: writer 13 page 2 has \d+ staves"):
        render_gold_staves(muscima, gold, source="g.tsv")


def test_staff_image_is_the_staff_box_grown_by_its_height_black_on_white(muscima):
    from symbol_sources.real_staves import _document, render_page_staves, staff_boxes

    staves = render_page_staves(muscima, 13, 2)
    boxes = staff_boxes(muscima, _document(muscima, 13, 2))
    assert len(staves) == len(boxes) == int(
        ((muscima.writer == 13) & (muscima.page == 2) & (muscima.class_id == muscima.class_index("staff"))).sum())
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)  # top to bottom
    top, left, h, w = boxes[1]  # a middle staff: nothing clipped by the page edge vertically
    assert staves[1].shape == (3 * h, w + 2 * (h // 2))
    assert set(np.unique(staves[1])) == {0, 255}
    # the five staff lines are ink across the middle third
    middle = staves[1][h:2 * h] == 0
    assert (middle.mean(1) > 0.5).sum() >= 5


# -- symbol error rate --------------------------------------------------------------------------------------------
def test_ser_is_token_edit_distance_over_gold_length():
    from experiments.staff_scoring import symbol_error_rate

    assert symbol_error_rate(["clef.G-2", "q4", "|"], ["clef.G-2", "q4", "q5", "|"]) == pytest.approx(0.25)
    assert symbol_error_rate([], ["q4", "q5"]) == 1.0
    assert symbol_error_rate(["q4"] * 3, ["q4"]) == 2.0  # longer predictions can pass 1


def test_pitchless_ser_forgives_a_wrong_pitch_only():
    from experiments.staff_scoring import pitchless, symbol_error_rate

    assert symbol_error_rate(pitchless(["q4", "#-3"]), pitchless(["q5", "#2"])) == 0.0
    assert symbol_error_rate(pitchless(["h4"]), pitchless(["q4"])) == 1.0


def test_scoring_skips_and_counts_blank_staves_and_lists_unreachable_tokens():
    from experiments.staff_scoring import score_gold
    from symbol_sources.real_staves import GoldStaff

    gold = [GoldStaff(13, 2, 0, "q4 trill q5", 2), GoldStaff(13, 2, 1, "", 3), GoldStaff(13, 2, 2, "q4 zz9", 4)]
    scored = score_gold([["q4", "q5"], [], ["q4"]], gold, vocabulary=["q4", "q5", "trill"], trained_tokens=["q4", "q5"])
    assert scored["staves_scored"] == 2 and scored["blank_staves_skipped"] == 1
    assert scored["ser"] == pytest.approx((1 / 3 + 1 / 2) / 2, abs=1e-4)
    assert scored["gold_tokens_outside_vocabulary"] == {"zz9": 1}
    assert scored["gold_tokens_never_trained"] == {"trill": 1}
    assert "ser" not in scored["staves"][1]


# -- the recogniser -----------------------------------------------------------------------------------------------
def test_greedy_ctc_decoding_merges_repeats_and_drops_blanks():
    from experiments.staff_recognizer import TokenCodec

    codec = TokenCodec(["a", "b"])
    logits = torch.full((1, 7, 3), -5.0)
    for t, label in enumerate([1, 1, 0, 1, 2, 2, 0]):
        logits[0, t, label] = 5.0
    assert codec.greedy_decode(logits, torch.tensor([7])) == [["a", "a", "b"]]
    assert codec.greedy_decode(logits, torch.tensor([2])) == [["a"]]


def test_beam_search_finds_the_label_greedy_decoding_misses():
    from experiments.staff_recognizer import ctc_beam_search

    # best path: blank, blank -> nothing (0.36); but "a" sums three paths: a-, -a, aa (0.64)
    log_probs = np.log(np.array([[0.6, 0.4], [0.6, 0.4]]))
    assert ctc_beam_search(log_probs, beam_width=4) == [1]


def test_beam_search_returns_the_most_probable_labelling_of_small_cases():
    import itertools

    from experiments.staff_recognizer import ctc_beam_search

    def collapse(path):
        return tuple(c for i, c in enumerate(path) if c != 0 and (i == 0 or path[i - 1] != c))

    rng = np.random.default_rng(0)
    for _ in range(30):
        log_probs = np.log(rng.dirichlet(np.full(3, 0.7), size=5))  # 5 steps, blank + 2 labels
        total: dict[tuple, float] = {}
        for path in itertools.product(range(3), repeat=5):  # every path, summed per labelling
            p = float(np.exp(sum(log_probs[t, c] for t, c in enumerate(path))))
            total[collapse(path)] = total.get(collapse(path), 0.0) + p
        found = tuple(ctc_beam_search(log_probs, beam_width=50, prune=-np.inf))
        assert total[found] == pytest.approx(max(total.values()), rel=1e-9)


def test_recogniser_output_has_a_time_step_per_four_columns():
    from experiments.staff_recognizer import RecognizerSettings, StaffRecognizer

    settings = RecognizerSettings(height=32, channels=(4, 8, 8, 8), lstm_hidden=8, lstm_layers=1)
    out = StaffRecognizer(10, settings)(torch.zeros(2, 1, 32, 120))
    assert out.shape == (2, 30, 11)


def tiny_config(**kw):
    from experiments.staff_benchmark import PRESETS

    return PRESETS["smoke"].replace(gold=str(GOLD), seeds=(0, 1), bootstrap=200, **kw)


def test_training_lowers_the_ctc_loss_on_real_mashcima_staves(real_repository, smoke_checkpoint, tmp_path):
    from experiments.staff_benchmark import read_staves
    from experiments.staff_recognizer import TokenCodec, mashcima_vocabulary, train_recognizer
    from symbol_sources.mashcima_provider import open_mixed_repository
    from symbol_sources.staves import StaffJob, synthesize_staves

    repo = open_mixed_repository(smoke_checkpoint, "unused", ratio=0.0, device="cpu", real=real_repository)
    synthesize_staves(repo, StaffJob(count=4, ratio=0.0), tmp_path / "staves", progress=False)
    codec = TokenCodec(mashcima_vocabulary())
    config = tiny_config(steps=120, batch_size=4, lr=5e-3)
    images, labels = read_staves(tmp_path / "staves", config.recognizer.height, codec)
    torch.set_num_threads(1)
    log: list[dict] = []
    train_recognizer(images, labels, codec, config.recognizer, config.training(), torch.device("cpu"), 0,
                     progress=False, on_log=log.append, log_every=30)
    assert log[-1]["loss"] < 0.6 * log[0]["loss"]


def test_saved_recogniser_loads_and_reads_the_same(tmp_path):
    from experiments.staff_recognizer import (RecognizerSettings, StaffRecognizer, TokenCodec, load_recognizer,
                                              save_recognizer)

    settings = RecognizerSettings(height=32, channels=(4, 8, 8, 8), lstm_hidden=8, lstm_layers=1)
    codec = TokenCodec(["q4", "q5", "|"])
    torch.manual_seed(0)
    model = StaffRecognizer(3, settings).eval()
    save_recognizer(tmp_path / "r.pt", model, codec, settings, {"ratio": 0.5})
    loaded = load_recognizer(tmp_path / "r.pt")
    image = np.full((90, 400), 255, np.uint8)
    cv2.line(image, (10, 45), (390, 45), 0, 2)
    x = torch.from_numpy(1 - cv2.resize(image, (142, 32), interpolation=cv2.INTER_AREA) / 255).float()[None, None]
    assert loaded.info == {"ratio": 0.5}
    assert torch.equal(loaded.model(x), model(x))


def test_a_gan_checkpoint_is_not_a_recogniser(smoke_checkpoint):
    from experiments.staff_recognizer import RecognizerError, load_recognizer

    with pytest.raises(RecognizerError, match="not a staff recogniser"):
        load_recognizer(smoke_checkpoint)


# -- the benchmark end to end -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def smoke_benchmark(real_repository, smoke_checkpoint, muscima_root, tmp_path_factory):
    from experiments.staff_benchmark import run_staff_benchmark

    if not GOLD.is_file():
        pytest.skip("../shared/cvc-muscima-gold/dev.tsv is not here")
    root = tmp_path_factory.mktemp("staff-bench")
    torch.set_num_threads(1)
    config = tiny_config(checkpoint=str(smoke_checkpoint))
    run = lambda: run_staff_benchmark(config, root / "out", root / "work", muscima_root, device="cpu",  # noqa: E731
                                      progress=False, log=lambda s: None, real_repository=real_repository)
    return root, run(), run


def test_each_run_names_the_commit_its_recogniser_was_trained_at(smoke_benchmark):
    from gan.provenance import git_commit

    _, results, _ = smoke_benchmark  # a run resumed over sessions may train its recognisers at several commits
    assert [r["git_commit"] for r in results["runs"]] == [git_commit()] * 4


def test_benchmark_writes_results_plot_and_a_recogniser_per_ratio(smoke_benchmark):
    root, results, _ = smoke_benchmark
    out = root / "out"
    for name in ("config.json", "metrics.jsonl", "results.json", "results.md", "ser.png",
                 "recognizer_ratio0.00_seed0.pt", "recognizer_ratio1.00_seed0.pt"):
        assert (out / name).is_file(), name
    assert [r["ratio"] for r in results["ratios"]] == [0.0, 1.0]
    assert [(r["ratio"], r["seed"]) for r in results["runs"]] == [(0.0, 0), (0.0, 1), (1.0, 0), (1.0, 1)]
    assert results["staves_scored"] == 48
    for r in results["runs"]:  # each recogniser's SER is the mean over its scored (non-blank) staves
        assert r["ser"] == pytest.approx(sum(s["ser"] for s in r["staves"] if "ser" in s) / r["staves_scored"], abs=1e-4)
    for ratio in results["ratios"]:  # a ratio's SER is the mean over its seeds
        seeds = [r["ser"] for r in results["runs"] if r["ratio"] == ratio["ratio"]]
        assert ratio["ser"]["mean"] == pytest.approx(sum(seeds) / 2, abs=1e-4)
    assert json.loads((out / "results.json").read_text())["ratios"][1]["ser"] == results["ratios"][1]["ser"]
    assert results["provenance"]["checkpoint_sha256"] and results["annotations"]["sha256"] is None
    from experiments.staff_scoring import symbol_error_rate

    for r in results["runs"]:  # the second decoding, by beam search, is scored like the first on the same staves
        sers = [symbol_error_rate(pred.split(), st["gold"].split())
                for st, pred in zip(r["staves"], r["predicted_beam"]) if "ser" in st]
        assert len(r["predicted_beam"]) == len(r["staves"]) and r["ser_beam"] == pytest.approx(
            sum(sers) / len(sers), abs=1e-4)


def test_the_ratio_after_the_first_gets_a_paired_ci_and_every_ratio_its_ser_per_writer(smoke_benchmark):
    _, results, _ = smoke_benchmark
    first, second = results["ratios"]
    assert "ser_minus_first_ratio" not in first
    d = second["ser_minus_first_ratio"]
    runs = {(r["ratio"], r["seed"]): r for r in results["runs"]}
    assert d["mean"] == pytest.approx(sum(runs[(1.0, s)]["ser"] - runs[(0.0, s)]["ser"] for s in (0, 1)) / 2, abs=1e-3)
    assert d["ci95"][0] <= d["mean"] <= d["ci95"][1] and d["seeds"] == 2 and d["staves"] == 48
    assert set(first["ser_per_writer"]) == {"13", "17", "20"}


def test_paired_bootstrap_sees_a_consistent_gain_and_not_noise():
    from experiments.staff_scoring import paired_bootstrap

    rng = np.random.default_rng(0)
    gain = -0.05 + 0.02 * rng.normal(size=(3, 48))  # every seed and staff a little better
    noise = 0.05 * rng.normal(size=(3, 48))
    ci_gain = paired_bootstrap(gain, 1000, np.random.default_rng(1))["ci95"]
    ci_noise = paired_bootstrap(noise, 1000, np.random.default_rng(1))["ci95"]
    assert ci_gain[1] < 0  # entirely below zero
    assert ci_noise[0] < 0 < ci_noise[1]


def test_every_ratio_trains_on_the_same_annotations_and_seeds(smoke_benchmark):
    from symbol_sources.staves import read_manifest

    root, _, _ = smoke_benchmark
    # a ratio > 0 folder is named after its GAN's content too: ratio_1.00-<sha256 prefix>
    (real_dir,), (generated_dir,) = (sorted((root / "work").glob(f"ratio_{r:.2f}*")) for r in (0.0, 1.0))
    real, generated = read_manifest(real_dir), read_manifest(generated_dir)
    assert len(real) == 4 and [(r["annotation"], r["seed"]) for r in real] == [(r["annotation"], r["seed"]) for r in generated]
    assert sum(r.get("generated", 0) for r in real) == 0 < sum(r.get("generated", 0) for r in generated)


def test_rerunning_the_benchmark_reuses_trained_recognisers(smoke_benchmark):
    root, first, run = smoke_benchmark
    metrics = (root / "out" / "metrics.jsonl").read_text()
    second = run()
    assert (root / "out" / "metrics.jsonl").read_text() == metrics  # nothing retrained
    assert [r["ser"] for r in second["ratios"]] == [r["ser"] for r in first["ratios"]]


def test_a_run_differing_in_real_classes_reuses_ratio_zero_from_another_folder(smoke_benchmark, real_repository,
                                                                              smoke_checkpoint, muscima_root):
    from experiments.staff_benchmark import run_staff_benchmark

    root, first, _ = smoke_benchmark
    config = tiny_config(checkpoint=str(smoke_checkpoint), real_classes=("g-clef",))
    results = run_staff_benchmark(config, root / "clefs", root / "work", muscima_root, device="cpu", progress=False,
                                  log=lambda s: None, real_repository=real_repository, reuse_from=[root / "out"])
    trained = {(r["ratio"], r["seed"]) for r in map(json.loads, (root / "clefs" / "metrics.jsonl").read_text().split("\n")[:-1])}
    assert trained == {(1.0, 0), (1.0, 1)}  # ratio 0 draws no GAN glyph: the real_classes cannot change it
    assert [r["ser"] for r in results["runs"][:2]] == [r["ser"] for r in first["runs"][:2]]
    assert (root / "clefs" / "recognizer_ratio0.00_seed0.pt").is_file()  # copied: the folder holds what it reports
    assert len(list((root / "work").glob("ratio_1.00-*-real*"))) == 1  # its staves are rendered apart


def test_a_fresh_glyph_run_trains_and_scores_beside_the_capped_one(smoke_benchmark, real_repository,
                                                                  smoke_checkpoint, muscima_root):
    from experiments.staff_benchmark import run_staff_benchmark
    from symbol_sources.staves import read_job

    root, first, _ = smoke_benchmark
    config = dataclasses.replace(tiny_config(checkpoint=str(smoke_checkpoint)), bank_size=None)  # None: not "unset"
    results = run_staff_benchmark(config, root / "fresh", root / "work", muscima_root, device="cpu", progress=False,
                                  log=lambda s: None, real_repository=real_repository, reuse_from=[root / "out"])
    log = (root / "fresh" / "metrics.jsonl").read_text().splitlines()
    assert {(r["ratio"], r["seed"]) for r in map(json.loads, log)} == {(1.0, 0), (1.0, 1)}  # ratio 0: reused
    assert all(r["ser"] is not None for r in results["runs"]) and results["staves_scored"] == 48
    assert json.loads((root / "fresh" / "config.json").read_text())["bank_size"] is None
    (folder,) = (root / "work").glob("ratio_1.00-*-fresh")  # rendered apart from the capped run's staves
    assert read_job(folder).bank_size is None


def test_fresh_glyphs_and_references_change_the_key_of_a_gan_ratio_only(tmp_path):
    import shutil

    from experiments.staff_benchmark import PRESETS

    refs = tmp_path / "refs"
    refs.mkdir()
    cv2.imwrite(str(refs / "sharp_0.png"), np.pad(np.zeros((20, 12), np.uint8), 6, constant_values=255))
    capped = PRESETS["smoke"]
    fresh = dataclasses.replace(capped, bank_size=None)
    mine = dataclasses.replace(fresh, style_from=str(refs))
    copy = dataclasses.replace(fresh, style_from=str(shutil.copytree(refs, tmp_path / "copy")))
    assert fresh.training_key(1.0, 0) != capped.training_key(1.0, 0)
    assert mine.training_key(1.0, 0) not in (fresh.training_key(1.0, 0), capped.training_key(1.0, 0))
    assert copy.training_key(1.0, 0) == mine.training_key(1.0, 0)  # the references count by content, not path
    assert len({c.training_key(0.0, 0) for c in (capped, fresh, mine)}) == 1
    assert "bank_size" not in capped.to_dict() and fresh.to_dict()["bank_size"] is None


def test_overwrite_to_rescore_on_another_gold_keeps_the_recognisers_and_their_training_log(
        smoke_benchmark, real_repository, smoke_checkpoint, muscima_root):
    import shutil

    from experiments.staff_benchmark import run_staff_benchmark

    root, first, _ = smoke_benchmark
    out = shutil.copytree(root / "out", root / "regold")
    (out / "notes.txt").write_text("mine")
    recognisers = {p.name: p.read_bytes() for p in out.glob("recognizer_*.pt")}
    log = (out / "metrics.jsonl").read_text()
    header, *rows = GOLD.read_text().splitlines()
    gold = root / "writer13.tsv"
    gold.write_text("\n".join([header] + [r for r in rows if r.startswith("13\t")]) + "\n")
    config = tiny_config(checkpoint=str(smoke_checkpoint)).replace(gold=str(gold))  # another config, same training
    results = run_staff_benchmark(config, out, root / "work", muscima_root, device="cpu", progress=False,
                                  log=lambda s: None, real_repository=real_repository, overwrite=True)
    assert results["gold_writers"] == [13] and results["staves_scored"] < first["staves_scored"]
    assert {p.name: p.read_bytes() for p in out.glob("recognizer_*.pt")} == recognisers  # none retrained
    assert (out / "metrics.jsonl").read_text() == log and (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("name", ["staves-music-cpu", "staves-music-cpu-real-clefs", "staves-mixed-cpu"])
def test_the_committed_staff_results_keep_their_recognisers_keys(name):
    from experiments.staff_benchmark import StaffBenchConfig
    from experiments.staff_recognizer import load_recognizer

    folder = REPO / "results" / name
    saved = json.loads((folder / "config.json").read_text())
    config = StaffBenchConfig.from_dict(saved)
    assert config.to_dict() == saved  # settings added later leave a default run's config as it was
    # the annotation file is rebuilt by `annotations from-corpus` (minutes), not committed: its recorded content
    recorded = json.loads((folder / "results.json").read_text())["annotations"]["sha256"]
    for path in sorted(folder.glob("recognizer_*.pt")):
        info = load_recognizer(path).info
        assert info["training_key"] == config.training_key(info["ratio"], info["seed"], recorded), path.name


def test_the_annotations_count_by_content_not_path(tmp_path):
    from experiments.staff_benchmark import PRESETS

    (tmp_path / "a.txt").write_text("clef.G-2 q4 |\n")
    (tmp_path / "copy.txt").write_text("clef.G-2 q4 |\n")
    (tmp_path / "other.txt").write_text("clef.G-2 q5 |\n")
    config = dataclasses.replace(PRESETS["smoke"], annotations=str(tmp_path / "a.txt"))
    key = config.training_key(0.0, 0)
    assert config.annotations_content() == hashlib.sha256(b"clef.G-2 q4 |\n").hexdigest()
    assert dataclasses.replace(config, annotations=str(tmp_path / "copy.txt")).training_key(0.0, 0) == key
    assert dataclasses.replace(config, annotations=str(tmp_path / "other.txt")).training_key(0.0, 0) != key
    assert dataclasses.replace(config, annotations=None).training_key(0.0, 0) != key
    assert config.training_key(0.0, 0, config.annotations_content()) == key  # the recorded content stands in exactly


# -- CLI ----------------------------------------------------------------------------------------------------------
def test_recognize_transcribes_a_folder_of_images_into_a_tsv(smoke_benchmark, tmp_path):
    from ganwriting_mashcima.cli import main

    root, _, _ = smoke_benchmark
    (tmp_path / "scans").mkdir()
    for name in ("b.png", "a.png"):
        cv2.imwrite(str(tmp_path / "scans" / name), np.full((120, 500), 255, np.uint8))
    for beam in ("1", "8"):
        res = CliRunner().invoke(main, ["recognize", "--model", str(root / "out" / "recognizer_ratio0.00_seed0.pt"),
                                        "--images", str(tmp_path / "scans"), "--out", str(tmp_path / f"p{beam}.tsv"),
                                        "--beam", beam])
        assert res.exit_code == 0, res.output
        rows = [line.split("\t") for line in (tmp_path / f"p{beam}.tsv").read_text().splitlines()]
        assert [r[0] for r in rows] == ["a.png", "b.png"] and all(len(r) == 2 for r in rows)


def test_recognize_scores_a_gold_file(smoke_benchmark, tmp_path, muscima_root):
    from ganwriting_mashcima.cli import main

    root, results, _ = smoke_benchmark
    gold = write_gold(tmp_path / "g.tsv", [(13, 2, 0, "clef.G-2 q1 . q3"), (13, 2, 1, "")])
    res = CliRunner().invoke(main, ["recognize", "--model", str(root / "out" / "recognizer_ratio1.00_seed0.pt"),
                                    "--gold", str(gold), "--out", str(tmp_path / "r.json"),
                                    "--muscima-pp", str(muscima_root)])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["staves_scored"] == 1 and report["blank_staves_skipped"] == 1
    ratio1_seed0 = next(r for r in results["runs"] if (r["ratio"], r["seed"]) == (1.0, 0))
    assert report["staves"][0]["predicted"] == ratio1_seed0["staves"][0]["predicted"]


@pytest.mark.parametrize("args, message", [
    (["--model", "{gan}", "--images", "{tmp}"], "is not a staff recogniser"),
    (["--model", "{tmp}/missing.pt", "--images", "{tmp}"], "does not exist"),
    (["--model", "{model}", "--gold", "{tmp}/bad.tsv"], "line 2: MUSCIMA++ has no page 77 of writer 13"),
    (["--model", "{model}", "--images", "{tmp}/none"], "does not exist"),
])
def test_recognize_bad_input_is_one_line(smoke_benchmark, smoke_checkpoint, tmp_path, muscima_root, args, message):
    from ganwriting_mashcima.cli import main

    root, _, _ = smoke_benchmark
    write_gold(tmp_path / "bad.tsv", [(13, 77, 0, "q4")])
    subst = {"{gan}": str(smoke_checkpoint), "{tmp}": str(tmp_path),
             "{model}": str(root / "out" / "recognizer_ratio0.00_seed0.pt")}
    argv = ["recognize", *[_sub(a, subst) for a in args], "--out", str(tmp_path / "o"), "--muscima-pp",
            str(muscima_root)]
    res = CliRunner().invoke(main, argv)
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert message in res.output and len(res.output.strip().splitlines()) == 1


def _sub(arg: str, subst: dict[str, str]) -> str:
    for k, v in subst.items():
        arg = arg.replace(k, v)
    return arg


def test_benchmark_with_a_bad_gold_row_fails_in_one_line_before_any_work(tmp_path, smoke_checkpoint, muscima_root):
    from ganwriting_mashcima.cli import main

    write_gold(tmp_path / "bad.tsv", [(13, 2, 0, "q4"), (20, 1, 0, "q4 q5")])
    res = CliRunner().invoke(main, ["benchmark", "staves", "--preset", "smoke", "--out", str(tmp_path / "out"),
                                    "--gold", str(tmp_path / "bad.tsv"), "--checkpoint", str(smoke_checkpoint),
                                    "--muscima-pp", str(muscima_root)])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert res.output.strip().splitlines()[-1].startswith("Error: ")
    assert "line 3: MUSCIMA++ has no page 1 of writer 20" in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flags, message", [
    (["--style", "novel"], "style novel and style_from need fresh glyphs (--bank-size fresh)"),
    (["--style", "novel", "--bank-size", "fresh"], "line 2: MUSCIMA++ has no page 1 of writer 20"),
])
def test_benchmark_takes_fresh_glyphs_as_a_bank_size(flags, message, tmp_path, smoke_checkpoint, muscima_root):
    from ganwriting_mashcima.cli import main

    write_gold(tmp_path / "bad.tsv", [(20, 1, 0, "q4")])  # a config accepted gets as far as the gold file
    res = CliRunner().invoke(main, ["benchmark", "staves", "--preset", "smoke", "--out", str(tmp_path / "out"),
                                    "--gold", str(tmp_path / "bad.tsv"), "--checkpoint", str(smoke_checkpoint),
                                    "--muscima-pp", str(muscima_root), *flags])
    assert res.exit_code == 1 and message in res.output, res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("writers, message", [
    ("1,13", "real_writers: 13 are evaluation writers"),
    ("1,2", "line 2: MUSCIMA++ has no page 1 of writer 20"),  # accepted: the run gets as far as the gold file
])
def test_benchmark_refuses_evaluation_writers_in_the_real_pool(writers, message, tmp_path, smoke_checkpoint,
                                                               muscima_root):
    from ganwriting_mashcima.cli import main

    write_gold(tmp_path / "bad.tsv", [(20, 1, 0, "q4")])
    res = CliRunner().invoke(main, ["benchmark", "staves", "--preset", "smoke", "--out", str(tmp_path / "out"),
                                    "--gold", str(tmp_path / "bad.tsv"), "--checkpoint", str(smoke_checkpoint),
                                    "--muscima-pp", str(muscima_root), "--real-writers", writers])
    assert res.exit_code == 1 and message in res.output, res.output
    assert not (tmp_path / "out").exists()


def test_real_writers_change_the_key_of_every_ratio_and_name_the_staves_apart():
    from experiments.staff_benchmark import PRESETS, staves_folder_name

    every = PRESETS["smoke"]
    few = dataclasses.replace(every, real_writers=(1, 2, 3, 5))
    assert few.training_key(0.0, 0) != every.training_key(0.0, 0)  # ratio 0's staves change too
    assert few.training_key(1.0, 0) != every.training_key(1.0, 0)
    assert "real_writers" not in every.to_dict()  # the committed runs' keys stay as they were
    assert type(every).from_dict(few.to_dict()) == few
    assert staves_folder_name(0.0, "", "", {}, "", few.real_writers) != staves_folder_name(0.0, "", "", {}, "")


def test_real_writers_limit_the_real_symbols_pasted_to_those_writers(mini_muscima, tmp_path):
    from experiments.staff_benchmark import _TrainingStaves
    from symbol_sources.mashcima_repository import build_mashcima_repository

    # mini_muscima holds pages of writers 1, 2 and 13: a broken filter builds a pool of 1 and 2, in seconds
    config = tiny_config(real_writers=(1,))
    staves = _TrainingStaves(config, tmp_path, mini_muscima, "cpu", 1, None, None, False, lambda s: None)
    writer_1 = staves.real_repository()
    both = build_mashcima_repository(mini_muscima, writers=[1, 2], cache_dir=tmp_path / "c")
    assert 0 < symbol_count(writer_1) < symbol_count(both)


def test_benchmark_refuses_an_out_folder_of_other_settings(smoke_benchmark, muscima_root):
    from experiments.staff_benchmark import BenchmarkError, run_staff_benchmark

    root, _, _ = smoke_benchmark
    config = tiny_config(checkpoint="other.pt", steps=5)
    with pytest.raises(BenchmarkError, match="other settings"):
        run_staff_benchmark(config, root / "out", root / "work", muscima_root, device="cpu", progress=False,
                            log=lambda s: None)


def test_error_table_counts_gold_tokens_missed_and_output_by_kind():
    from experiments.staff_errors import error_table, markdown

    staff = {"gold": "clef.G-2 #4 w4 q5 . |", "predicted": "clef.G-2 h4 q5 |"}  # sharp, whole note, staccato lost
    results = {"runs": [{"ratio": 0.0, "staves": [staff]}, {"ratio": 0.0, "staves": [staff]}]}
    table = error_table(results)[0.0]
    assert table["key/accidental"] == {"gold": 1, "missed_or_replaced": 1, "predicted": 0}
    assert table["whole note"] == {"gold": 1, "missed_or_replaced": 1, "predicted": 0}
    assert "half note" not in table  # rows are the gold's kinds
    assert table["staccato"] == {"gold": 1, "missed_or_replaced": 1, "predicted": 0}
    assert table["quarter note"] == {"gold": 1, "missed_or_replaced": 0, "predicted": 1}  # means over the 2 seeds
    assert "| staccato | 1 | 100% / 0 |" in markdown({0.0: table})
