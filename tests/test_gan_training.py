"""Training: a step learns, runs write their files, resume is bit-exact, run folders are protected."""
import json

import pytest
import torch

from gan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from gan.config import PRESETS
from gan.trainer import Trainer
from gan.training import train

torch.set_num_threads(1)  # tiny networks: more threads only add sync overhead, and thrash on a busy machine

TINY = PRESETS["cpu-smoke"].replace(glyphs_per_epoch=32, batch_size=8, save_every=1, channels=4, style_dim=8,
                                    z_dim=4, class_dim=4, k_refs=2, penalty="r1", penalty_every=2)


def _train_step_changes_weights(glyph_set, device):
    trainer = Trainer(TINY, glyph_set, torch.device(device))
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    idx, refs = trainer.data.epoch_order(1)
    losses = trainer.train_step(idx[0], refs[0], 0)
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert any(not torch.equal(before[k], v) for k, v in trainer.G.state_dict().items())


def test_train_step_on_cpu_updates_the_generator(glyph_set):
    _train_step_changes_weights(glyph_set, "cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
def test_train_step_on_cuda_updates_the_generator(glyph_set):
    _train_step_changes_weights(glyph_set, "cuda")


def test_pretraining_gives_the_style_encoder_the_writer_identifiers_trunk(glyph_set):
    trainer = Trainer(TINY, glyph_set, torch.device("cpu"))
    untrained = {k: v.clone() for k, v in trainer.W.trunk.state_dict().items()}
    assert trainer.pretrain_writer_identifier(progress=False)["wid_steps"] == TINY.wid_pretrain_steps
    trunk = trainer.W.trunk.state_dict()
    assert any(not torch.equal(untrained[k], v) for k, v in trunk.items())
    for g in (trainer.G, trainer.G_ema):
        _assert_identical(g.style_encoder.trunk.state_dict(), trunk)


def test_train_steps_leave_the_style_encoders_trunk_as_copied(glyph_set):
    trainer = Trainer(TINY, glyph_set, torch.device("cpu"))
    trainer.pretrain_writer_identifier(progress=False)
    copied = {k: v.clone() for k, v in trainer.G.style_encoder.trunk.state_dict().items()}  # BN statistics too
    idx, refs = trainer.data.epoch_order(1)
    for i in range(2):
        trainer.train_step(idx[i], refs[i], i)
    _assert_identical(trainer.G.style_encoder.trunk.state_dict(), copied)
    assert any(not torch.equal(copied[k], v) for k, v in trainer.W.trunk.state_dict().items())  # W learns on


def test_ctrl_c_during_pretraining_saves_and_resume_is_bit_identical(glyph_dir, glyph_set, tmp_path):
    config = TINY.replace(epochs=1, wid_pretrain_steps=3)
    train(config, glyph_dir, tmp_path / "straight", progress=False, log=lambda s: None)
    cut = Trainer(config, glyph_set, torch.device("cpu"))
    cut.stop_requested = True  # as train()'s Ctrl-C handler sets it: finish this step and stop
    assert cut.pretrain_writer_identifier(progress=False)["wid_steps"] == 1
    (tmp_path / "cut").mkdir()
    save_checkpoint(tmp_path / "cut" / "latest.pt", cut.state_dict())
    train(config, glyph_dir, tmp_path / "cut", resume=True, progress=False, log=lambda s: None)
    _assert_identical(_weights(tmp_path / "straight" / "latest.pt"), _weights(tmp_path / "cut" / "latest.pt"))


def test_run_writes_config_checkpoints_samples_and_metrics(glyph_dir, tmp_path):
    run = tmp_path / "run"
    train(TINY.replace(epochs=2), glyph_dir, run, progress=False, log=lambda s: None)
    assert json.loads((run / "config.json").read_text())["epochs"] == 2
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_0001.pt", "epoch_0002.pt"]
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]
    lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in lines] == [0, 1, 2] and all(m["glyphs_per_s"] > 0 for m in lines)
    assert lines[0]["wid_steps"] == TINY.wid_pretrain_steps  # "epoch 0": the writer identifier's pretraining
    assert load_checkpoint(run / "latest.pt")["epoch"] == 2


def _weights(path):
    ck = load_checkpoint(path)
    return ck["networks"], ck["optimizers"]


def _assert_identical(a, b, where=""):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_identical(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_identical(x, y, f"{where}/{i}")
    else:
        assert a == b, where


def test_two_epochs_and_resume_for_two_more_is_bit_identical_to_four(glyph_dir, tmp_path):
    quiet = dict(progress=False, log=lambda s: None)
    train(TINY.replace(epochs=4), glyph_dir, tmp_path / "straight", **quiet)
    train(TINY.replace(epochs=2), glyph_dir, tmp_path / "split", **quiet)
    train(TINY.replace(epochs=4), glyph_dir, tmp_path / "split", resume=True, **quiet)
    _assert_identical(_weights(tmp_path / "straight" / "latest.pt"), _weights(tmp_path / "split" / "latest.pt"))


def test_resume_is_bit_identical_with_the_variety_recipe_on(glyph_dir, tmp_path):
    """DiffAugment, minibatch std, mode seeking and centred cached style features draw from the trainer's
    streams and state only, so a resumed run still equals a straight one."""
    quiet = dict(progress=False, log=lambda s: None)
    recipe = TINY.replace(augment=True, mbstd_group=4, w_ms=0.3, w_rec=0.1, style_centering=True)
    train(recipe.replace(epochs=3), glyph_dir, tmp_path / "straight", **quiet)
    train(recipe.replace(epochs=1), glyph_dir, tmp_path / "split", **quiet)
    train(recipe.replace(epochs=3), glyph_dir, tmp_path / "split", resume=True, **quiet)
    _assert_identical(_weights(tmp_path / "straight" / "latest.pt"), _weights(tmp_path / "split" / "latest.pt"))


def test_validation_writers_are_not_trained_on(glyph_set):
    trainer = Trainer(TINY.replace(val_writers=(2,)), glyph_set, torch.device("cpu"))
    assert trainer.writers == [1] and set(trainer.data.writer_idx.tolist()) == {0}
    assert len(trainer.data.images) == int((glyph_set.writers == 1).sum())


@pytest.mark.parametrize("w_ms", [0.0, 1.0])
def test_the_mode_seeking_term_is_computed_when_weighted_only(glyph_set, w_ms):
    trainer = Trainer(TINY.replace(w_ms=w_ms), glyph_set, torch.device("cpu"))
    trainer.pretrain_writer_identifier(progress=False)
    idx, refs = trainer.data.epoch_order(1)
    g_ms = float(trainer.train_step(idx[0], refs[0], 0)["g_ms"])
    # 1 / (glyph distance / noise distance) between glyphs that differ in noise only: finite, > 0
    assert (g_ms > 0 and g_ms < float("inf")) if w_ms else g_ms == 0


def test_start_epoch_continues_from_that_checkpoint_bit_identically(glyph_dir, tmp_path):
    quiet = dict(progress=False, log=lambda s: None)
    train(TINY.replace(epochs=3), glyph_dir, tmp_path / "a", **quiet)
    first = _weights(tmp_path / "a" / "latest.pt")
    train(TINY.replace(epochs=3), glyph_dir, tmp_path / "a", start_epoch=1, **quiet)
    _assert_identical(first, _weights(tmp_path / "a" / "latest.pt"))


def test_another_runs_folder_is_refused_without_resume_or_overwrite(glyph_dir, tmp_path):
    run = tmp_path / "run"
    train(TINY.replace(epochs=1), glyph_dir, run, progress=False, log=lambda s: None)
    with pytest.raises(FileExistsError, match="--resume.*--overwrite"):
        train(TINY.replace(epochs=1), glyph_dir, run, progress=False, log=lambda s: None)
    train(TINY.replace(epochs=1), glyph_dir, run, overwrite=True, progress=False, log=lambda s: None)
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2  # pretraining + epoch 1: the old run's are gone


def test_overwrite_removes_only_the_files_a_run_writes(glyph_dir, tmp_path):
    run = tmp_path / "run"
    train(TINY.replace(epochs=2), glyph_dir, run, progress=False, log=lambda s: None)
    (run / "checkpoints" / "kept").mkdir()  # the user's: a folder of picked checkpoints, a note
    (run / "checkpoints" / "kept" / "epoch_0002.pt").write_bytes((run / "checkpoints" / "epoch_0002.pt").read_bytes())
    (run / "samples" / "notes.txt").write_text("epoch 2 looks best")
    (run / "README").write_text("mine")
    train(TINY.replace(epochs=1), glyph_dir, run, overwrite=True, progress=False, log=lambda s: None)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_0001.pt", "kept"]  # old epoch 2 gone
    assert (run / "checkpoints" / "kept" / "epoch_0002.pt").is_file()
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_0001.png", "notes.txt"]
    assert (run / "README").read_text() == "mine"


def test_start_epoch_without_that_checkpoint_lists_the_existing_ones(glyph_dir, tmp_path):
    run = tmp_path / "run"
    train(TINY.replace(epochs=2), glyph_dir, run, progress=False, log=lambda s: None)
    with pytest.raises(CheckpointError, match=r"no checkpoint for epoch 7 .*available epochs: 1, 2$"):
        train(TINY.replace(epochs=8), glyph_dir, run, start_epoch=7, progress=False, log=lambda s: None)


def test_a_tiny_real_subset_trains_and_samples(small_glyph_set, tmp_path):
    import numpy as np

    from gan.checkpoint import load_generator

    real = small_glyph_set  # real MUSCIMA++ glyphs (tests/conftest.py)
    keep = np.zeros(len(real.images), bool)
    for c in range(len(real.classes)):  # 2 glyphs per class of the first 3 writers
        for w in real.writer_ids[:3]:
            keep[np.flatnonzero((real.labels == c) & (real.writers == w))[:2]] = True
    subset = real.subset(keep)
    train(TINY.replace(epochs=1), subset.save(tmp_path / "glyphs"), tmp_path / "run", progress=False,
          log=lambda s: None)
    sampler = load_generator(tmp_path / "run" / "latest.pt")
    x = sampler.sample(["sharp", "flat"], writer=real.writer_ids[0], n=2, seed=0)
    assert x.shape == (4, real.image_size, real.image_size) and sampler.classes == real.classes


def test_ctrl_c_saves_mid_epoch_and_resume_is_still_bit_identical(glyph_dir, tmp_path):
    import os
    import signal

    def press_ctrl_c_after_first_epoch(message):
        if message.startswith("epoch 1/"):
            os.kill(os.getpid(), signal.SIGINT)  # handled by train(): finish the step, save, return

    train(TINY.replace(epochs=3), glyph_dir, tmp_path / "straight", progress=False, log=lambda s: None)
    metrics = train(TINY.replace(epochs=3), glyph_dir, tmp_path / "cut", progress=False,
                    log=press_ctrl_c_after_first_epoch)
    assert metrics["interrupted"]
    ck = load_checkpoint(tmp_path / "cut" / "latest.pt")
    assert (ck["epoch"], ck["step"]) == (1, 1)
    train(TINY.replace(epochs=3), glyph_dir, tmp_path / "cut", resume=True, progress=False, log=lambda s: None)
    _assert_identical(_weights(tmp_path / "straight" / "latest.pt"), _weights(tmp_path / "cut" / "latest.pt"))
    assert [json.loads(l)["epoch"] for l in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()] == [0, 1, 2, 3]


def test_a_bf16_step_trains_on_any_cpu_and_the_state_records_bf16(glyph_set):
    """Explicit bf16 runs everywhere (emulated, slowly, without native bf16); the checkpoint says what ran."""
    trained = {}
    for precision in ("fp32", "bf16"):
        trainer = Trainer(TINY.replace(precision=precision), glyph_set, torch.device("cpu"))
        trainer.pretrain_writer_identifier(progress=False)
        idx, refs = trainer.data.epoch_order(1)
        for i in range(2):  # step 0 takes the R1 penalty (penalty_every=2), in fp32
            losses = trainer.train_step(idx[i], refs[i], i)
            assert all(v.dtype == torch.float32 and torch.isfinite(v).all() for v in losses.values()), losses
        trained[precision] = trainer.G.state_dict()
    assert trainer.state_dict()["provenance"]["precision"] == "bf16"
    # The same seed and data: bf16 forward passes move the weights a little differently, not elsewhere.
    gaps = [float((trained["bf16"][k] - v).abs().max()) for k, v in trained["fp32"].items() if v.is_floating_point()]
    assert 0 < max(gaps) < 0.05, max(gaps)


def test_auto_precision_is_resolved_before_it_is_recorded(glyph_set):
    from gan.precision import native_bf16

    trainer = Trainer(TINY.replace(precision="auto"), glyph_set, torch.device("cpu"))
    assert trainer.provenance["precision"] == ("bf16" if native_bf16(torch.device("cpu")) else "fp32")


def test_a_config_from_before_the_precision_switch_loads():
    from gan.config import TrainConfig

    old = {k: v for k, v in TINY.to_dict().items() if k != "precision"}
    assert TrainConfig.from_dict({**old, "amp": True}).precision == "auto"  # bf16 where CUDA ran it, as amp did
    assert TrainConfig.from_dict({**old, "amp": False}).precision == "fp32"
