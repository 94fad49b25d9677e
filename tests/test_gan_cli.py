"""`ganmash train | sample | evaluate`: they work, and user errors are one line without a traceback."""
import json

import pytest
import torch
from click.testing import CliRunner

from ganwriting_mashcima.cli_gan import evaluate, sample, train

torch.set_num_threads(1)  # tiny networks: more threads only add sync overhead, and thrash on a busy machine

SMOKE = ["--preset", "cpu-smoke", "--epochs", "1"]


@pytest.fixture(scope="module")
def run_dir(glyph_dir, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "run"
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run), *SMOKE, "--lr-wid", "5e-4",
                                        "--device", "cpu"])
    assert result.exit_code == 0, result.output
    return run


def _one_line_error(result, pattern):
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an exception that escaped the command
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert pytest.importorskip("re").search(pattern, lines[0]), lines[0]


def test_train_writes_a_checkpoint_of_the_trained_epoch_that_samples(run_dir):
    from gan import TrainConfig, load_checkpoint, load_generator

    latest, epoch_1 = load_checkpoint(run_dir / "latest.pt"), load_checkpoint(run_dir / "checkpoints" / "epoch_0001.pt")
    assert (latest["epoch"], latest["step"]) == (1, 0)  # epoch 1 done; a resume starts epoch 2 at its step 0
    trained = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    steps = TrainConfig.from_dict(latest["config"]).steps_per_epoch
    assert [(m["epoch"], m["steps"]) for m in trained if m["epoch"] == 1] == [(1, steps)]
    for name, weights in latest["networks"]["G_ema"].items():
        assert torch.equal(weights, epoch_1["networks"]["G_ema"][name]), name
    sampler = load_generator(run_dir / "latest.pt")
    glyphs = sampler.sample(sampler.classes[:2], n=3, seed=0)
    assert glyphs.shape == (6, latest["image_size"], latest["image_size"])
    assert glyphs.min() >= 0.0 and glyphs.max() <= 1.0 and glyphs.std() > 0
    assert (glyphs == sampler.sample(sampler.classes[:2], n=3, seed=0)).all()


def test_train_keeps_the_preset_with_the_flags_over_it_as_config_json(run_dir):
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["preset"], config["epochs"], config["lr_wid"]) == ("cpu-smoke", 1, 5e-4)


def test_the_ablation_levers_are_train_flags_that_reach_the_run(glyph_dir, tmp_path):
    from gan import load_checkpoint

    run = tmp_path / "run"
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run), *SMOKE, "--device", "cpu",
                                        "--class-balance", "0", "--channels", "6", "--gamma", "10"])
    assert result.exit_code == 0, result.output
    config = load_checkpoint(run / "latest.pt")["config"]
    assert (config["class_balance"], config["channels"], config["penalty_weight"]) == (0.0, 6, 10.0)


def test_a_class_balance_outside_0_to_1_is_refused_before_the_run_folder(glyph_dir, tmp_path):
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(tmp_path / "r"), *SMOKE,
                                        "--class-balance", "1.5"])
    assert result.exit_code == 2 and "--class-balance" in result.output, result.output
    assert not (tmp_path / "r").exists()


def test_train_into_another_run_is_a_one_line_error(glyph_dir, run_dir):
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run_dir), *SMOKE])
    _one_line_error(result, "holds another run; pass --resume")


def test_train_on_a_folder_without_glyphs_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(train, ["--data", str(tmp_path), "--out", str(tmp_path / "run"), *SMOKE])
    _one_line_error(result, "is not a glyph set")


def test_start_epoch_that_does_not_exist_lists_the_existing(glyph_dir, run_dir):
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run_dir), "--start-epoch", "5"])
    _one_line_error(result, "no checkpoint for epoch 5 .*available epochs: 1$")


def _copy_of(run_dir, tmp_path):
    import shutil

    return shutil.copytree(run_dir, tmp_path / "run")


def _contents(run):
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def test_overwrite_with_every_writer_for_validation_is_refused_before_the_old_run_is_deleted(glyph_dir, run_dir,
                                                                                            tmp_path):
    run = _copy_of(run_dir, tmp_path)
    before = _contents(run)
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run), *SMOKE, "--overwrite",
                                        "--val-writers", "1,2", "--device", "cpu"])
    _one_line_error(result, "every writer of this glyph set is a validation writer")
    assert _contents(run) == before  # latest.pt, checkpoints/, samples/, metrics.jsonl: all still there


def test_resume_past_a_torn_last_metrics_line_drops_only_that_line(glyph_dir, run_dir, tmp_path):
    run = _copy_of(run_dir, tmp_path)
    complete = (run / "metrics.jsonl").read_text()
    (run / "metrics.jsonl").write_text(complete + '{"epoch": 2, "d": 0.1')  # killed mid-append
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run), "--resume", "--device", "cpu"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert (run / "metrics.jsonl").read_text() == complete


def test_resume_with_a_damaged_metrics_line_is_one_line_and_keeps_the_run(glyph_dir, run_dir, tmp_path):
    run = _copy_of(run_dir, tmp_path)
    lines = (run / "metrics.jsonl").read_text().splitlines(keepends=True)
    (run / "metrics.jsonl").write_text(lines[0][:10] + "\n" + "".join(lines[1:]))
    _assert_resume_refused(glyph_dir, run, r"metrics.jsonl line 1 is not a JSON record; the file is damaged")


def test_resume_with_a_damaged_config_is_one_line_and_keeps_the_run(glyph_dir, run_dir, tmp_path):
    run = _copy_of(run_dir, tmp_path)
    (run / "config.json").write_text('{"preset": "cpu-smo')
    _assert_resume_refused(glyph_dir, run, r"config.json is damaged \(JSONDecodeError\); cannot resume")


def _assert_resume_refused(glyph_dir, run, pattern):
    before = _contents(run)
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run), "--resume", "--device", "cpu"])
    _one_line_error(result, pattern)
    assert _contents(run) == before  # nothing of the run changed or went


def test_a_stray_file_among_the_checkpoints_is_not_taken_for_an_epoch(glyph_dir, run_dir, tmp_path):
    run = _copy_of(run_dir, tmp_path)
    (run / "checkpoints" / "epoch_best.pt").write_bytes(b"mine")
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run), "--start-epoch", "5"])
    _one_line_error(result, "no checkpoint for epoch 5 .*available epochs: 1$")
    assert (run / "checkpoints" / "epoch_best.pt").read_bytes() == b"mine"


def test_choosing_a_checkpoint_reads_past_a_torn_last_line_and_a_stray_file(run_dir, tmp_path, monkeypatch):
    import sys

    from experiments import choose_checkpoint

    run = _copy_of(run_dir, tmp_path)
    with open(run / "metrics.jsonl", "a") as f:
        f.write('{"epoch": 2, "eval": {"recall_pix')  # the run is writing its next line right now
    (run / "checkpoints" / "epoch_best.pt").write_bytes(b"mine")
    monkeypatch.setattr(sys, "argv", ["choose_checkpoint", str(run)])
    with pytest.raises(SystemExit, match="has no validation measures for a saved checkpoint"):  # it kept none
        choose_checkpoint.main()


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the error when CUDA is absent")
def test_cuda_asked_but_absent_is_a_one_line_error(glyph_dir, tmp_path):
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(tmp_path / "r"), *SMOKE,
                                        "--device", "cuda"])
    _one_line_error(result, "no CUDA")


def test_sample_writes_a_png(run_dir, tmp_path):
    result = CliRunner().invoke(sample, ["--checkpoint", str(run_dir / "latest.pt"), "--out", str(tmp_path / "g.png"),
                                         "--per-class", "2", "--writer", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_sample_unknown_class_lists_the_valid_ones(run_dir, tmp_path):
    result = CliRunner().invoke(sample, ["--checkpoint", str(run_dir / "latest.pt"), "--out", str(tmp_path / "g.png"),
                                         "--classes", "circle,star"])
    _one_line_error(result, "unknown class.*star.*has: circle, disk, hline")


def test_sample_from_a_broken_checkpoint_is_a_one_line_error(tmp_path):
    (tmp_path / "bad.pt").write_bytes(b"PK\x03\x04 not really")
    result = CliRunner().invoke(sample, ["--checkpoint", str(tmp_path / "bad.pt"), "--out", str(tmp_path / "g.png")])
    _one_line_error(result, "not a readable ganmash checkpoint")


def test_sample_refuses_to_replace_a_png_without_overwrite(run_dir, tmp_path):
    (tmp_path / "g.png").write_bytes(b"mine")
    result = CliRunner().invoke(sample, ["--checkpoint", str(run_dir / "latest.pt"), "--out", str(tmp_path / "g.png")])
    _one_line_error(result, "exists; pass --overwrite")
    assert (tmp_path / "g.png").read_bytes() == b"mine"


@pytest.mark.parametrize("option, value", [("--per-class", "1000000"), ("--seed", "-1"), ("--seed", str(2**64))])
def test_sample_counts_and_seeds_out_of_range_are_refused_before_work(option, value, tmp_path):
    result = CliRunner().invoke(sample, ["--checkpoint", str(tmp_path / "none.pt"), "--out", str(tmp_path / "g.png"),
                                         option, value])
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output, result.output


def test_train_with_a_nan_learning_rate_is_a_one_line_error(glyph_dir, tmp_path):
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(tmp_path / "r"), *SMOKE,
                                        "--lr-gen", "nan"])
    assert not (tmp_path / "r").exists()
    _one_line_error(result, "lr.gen")


def test_train_on_glyphs_whose_size_is_not_a_power_of_two_is_a_one_line_error(tmp_path):
    from gan.synthetic import toy_glyph_set

    toy_glyph_set(n_classes=2, n_writers=2, per_cell=2, image_size=24).save(tmp_path / "g24")
    result = CliRunner().invoke(train, ["--data", str(tmp_path / "g24"), "--out", str(tmp_path / "r"), *SMOKE])
    _one_line_error(result, "24 px glyphs; the GAN needs a power of two")
    assert not (tmp_path / "r").exists()


FAST_EVAL = ["--n-generated", "24", "--classifier-steps", "3", "--device", "cpu"]


def test_evaluate_on_the_test_writers_writes_a_json_report_with_provenance(run_dir, glyph_dir, tmp_path):
    from gan.provenance import file_sha256
    from gan.synthetic import toy_glyph_set

    eval_dir = toy_glyph_set(n_classes=3, n_writers=2, per_cell=4, image_size=32, first_writer=11).save(tmp_path)
    result = CliRunner().invoke(evaluate, ["--checkpoint", str(run_dir / "latest.pt"), "--data", str(glyph_dir),
                                           "--eval-data", str(eval_dir), "--out", str(tmp_path / "e.json"),
                                           *FAST_EVAL])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "e.json").read_text())
    assert {"gan_test", "gan_train", "fid", "kid", "variety", "style", "unseen_style"} <= report.keys()
    assert report["split"] == "test" and report["heldout_writers"] == [11, 12]
    assert report["provenance"]["checkpoint_sha256"] == file_sha256(run_dir / "latest.pt")
    assert json.loads(result.output)["split"] == "test"  # the summary line


def test_evaluate_on_the_same_writers_it_trained_on_is_refused(run_dir, glyph_dir, tmp_path):
    result = CliRunner().invoke(evaluate, ["--checkpoint", str(run_dir / "latest.pt"), "--data", str(glyph_dir),
                                           "--eval-data", str(glyph_dir), "--out", str(tmp_path / "e.json"),
                                           *FAST_EVAL])
    _one_line_error(result, "writers 1, 2 are in both the training and the held-out set")
    assert not (tmp_path / "e.json").exists()


def test_validation_writers_are_kept_out_of_training_and_measured_on(glyph_dir, tmp_path):
    from gan.checkpoint import load_generator

    run = tmp_path / "run"
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run), *SMOKE, "--val-writers", "2",
                                        "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert load_generator(run / "latest.pt").writers == (1,)
    result = CliRunner().invoke(evaluate, ["--checkpoint", str(run / "latest.pt"), "--data", str(glyph_dir),
                                           "--split", "val", "--out", str(tmp_path / "v.json"), *FAST_EVAL])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "v.json").read_text())
    assert report["split"] == "val" and report["heldout_writers"] == [2] and report["eval_data"] is None


def test_evaluate_on_val_without_validation_writers_is_a_one_line_error(run_dir, glyph_dir, tmp_path):
    result = CliRunner().invoke(evaluate, ["--checkpoint", str(run_dir / "latest.pt"), "--data", str(glyph_dir),
                                           "--split", "val", "--out", str(tmp_path / "v.json"), *FAST_EVAL])
    _one_line_error(result, "kept no validation writers")


def test_every_option_shows_its_default_in_help():
    for cmd in (train, sample, evaluate):
        help_text = CliRunner().invoke(cmd, ["--help"]).output
        for param in cmd.params:
            if isinstance(param, __import__("click").Option) and not param.is_flag and not param.required \
                    and param.name != "help":
                assert "default" in (param.help or "") or param.show_default, (cmd.name, param.name)
        assert "Example" in help_text


def test_train_in_bf16_records_it_in_the_checkpoints_provenance(glyph_dir, tmp_path):
    from gan import load_checkpoint
    from gan.precision import native_bf16

    if not native_bf16(torch.device("cpu")):
        pytest.skip("this CPU has no native bf16 (AVX-512 BF16 or AMX); oneDNN would emulate it")
    run = tmp_path / "run"
    result = CliRunner().invoke(train, ["--data", str(glyph_dir), "--out", str(run), *SMOKE, "--precision", "bf16",
                                        "--device", "cpu"])
    assert result.exit_code == 0, result.output
    ck = load_checkpoint(run / "latest.pt")
    assert ck["provenance"]["precision"] == "bf16" and ck["config"]["precision"] == "bf16"


@pytest.mark.parametrize("balance", [-0.5, 2.0, float("nan")])
def test_a_config_with_a_class_balance_outside_0_to_1_is_refused(balance):
    from gan.config import PRESETS, ConfigError

    with pytest.raises(ConfigError, match="class_balance must be in 0..1"):
        PRESETS["cpu-smoke"].replace(class_balance=balance)
