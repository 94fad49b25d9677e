"""Training under torchrun: two CPU processes (gloo) train one run, keep equal weights, rank 0 alone writes, and
a two-process run resumes as it was saved."""
import multiprocessing
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gan.checkpoint import load_checkpoint
from gan.config import ConfigError, PRESETS
from gan.distributed import DistContext
from gan.trainer import Trainer

torch.set_num_threads(1)

TINY = PRESETS["cpu-smoke"].replace(epochs=1, glyphs_per_epoch=32, batch_size=8, save_every=1, channels=4, style_dim=8,
                                    z_dim=4, class_dim=4, k_refs=2, wid_pretrain_steps=2, penalty="r1",
                                    penalty_every=2, augment=True, mbstd_group=2, w_ms=0.3)
NETWORKS = ("G", "G_ema", "D", "R", "W")
WRITERS = ("save_checkpoint", "append_jsonl", "atomic_write_json", "atomic_write_bytes")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, world_size: int, port: int, config, glyph_dir, run_dir, resume: bool, out_dir) -> None:
    """One torchrun process: its environment, then ``train``; what it wrote and its networks go to ``out_dir``."""
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    import gan.training as training

    writes, trainers = [], []
    for name in WRITERS:  # every file the training job writes goes through one of these
        def spy(path, *args, _write=getattr(training, name), **kwargs):
            writes.append(str(path))
            return _write(path, *args, **kwargs)
        setattr(training, name, spy)
    save_samples = training.Trainer.save_samples
    training.Trainer.save_samples = lambda self, path, *a, **k: (writes.append(str(path)), save_samples(self, path))[1]
    run_epochs = training._run_epochs
    training._run_epochs = lambda trainer, *a, **k: (trainers.append(trainer), run_epochs(trainer, *a, **k))[1]
    training.train(config, glyph_dir, run_dir, device="cpu", resume=resume, progress=False, log=lambda s: None)
    trainer = trainers[0]
    torch.save({"writes": writes, "networks": {k: getattr(trainer, k).state_dict() for k in NETWORKS},
                "noise": trainer.noise.get_state()}, os.path.join(out_dir, f"rank{rank}.pt"))


def _train_two_ranks(config, glyph_dir, run_dir, tmp_path, resume=False) -> list[dict]:
    """Both ranks' writes and networks after training ``config`` into ``run_dir`` as two processes."""
    out = tmp_path / f"ranks-{len(list(tmp_path.glob('ranks-*')))}"
    out.mkdir()
    spawn, port = multiprocessing.get_context("spawn"), _free_port()
    procs = [spawn.Process(target=_rank, args=(r, 2, port, config, glyph_dir, run_dir, resume, str(out)))
             for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    for p in procs:
        if p.is_alive():
            p.kill()
    assert [p.exitcode for p in procs] == [0, 0], "a rank failed (its traceback is in the captured stderr)"
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]


def _assert_equal(a, b, where=""):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    else:
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_equal(a[k], b[k], f"{where}/{k}")


@pytest.fixture(scope="module")
def two_rank_run(glyph_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    return tmp / "run", _train_two_ranks(TINY, glyph_dir, tmp / "run", tmp), tmp


def test_two_processes_train_and_keep_every_network_equal(two_rank_run):
    run, ranks, _ = two_rank_run
    _assert_equal(ranks[0]["networks"], ranks[1]["networks"])  # G, G_ema, D, R, W: weights and buffers
    assert not torch.equal(ranks[0]["noise"], ranks[1]["noise"])  # each rank its own noise stream
    ck = load_checkpoint(run / "latest.pt")
    assert (ck["epoch"], ck["provenance"]["processes"]) == (1, 2) and len(ck["rng"]["trainer_ranks"]) == 2
    _assert_equal(ck["networks"], ranks[0]["networks"])


def test_rank_0_alone_writes_the_run(two_rank_run):
    run, ranks, _ = two_rank_run
    assert ranks[1]["writes"] == []
    assert {os.path.relpath(p, run) for p in ranks[0]["writes"]} == {
        "config.json", "latest.pt", "metrics.jsonl", "checkpoints/epoch_0001.pt", "samples/epoch_0001.png"}
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2  # pretraining and epoch 1, once each


def test_a_two_process_run_resumes_from_its_saved_step_as_if_never_stopped(two_rank_run, glyph_dir):
    run, ranks, tmp = two_rank_run
    straight = _train_two_ranks(TINY.replace(epochs=2), glyph_dir, tmp / "straight", tmp)
    resumed = _train_two_ranks(TINY.replace(epochs=2), glyph_dir, run, tmp, resume=True)
    assert load_checkpoint(run / "latest.pt")["epoch"] == 2
    for r in range(2):  # each rank went on from its own saved noise: bit-identical to the straight run
        _assert_equal(resumed[r]["networks"], straight[r]["networks"], f"rank {r}")
        assert torch.equal(resumed[r]["noise"], straight[r]["noise"])


def test_each_rank_takes_its_own_share_of_every_batch():
    batches = np.arange(3 * 8 * 2).reshape(3, 8, 2)  # (steps, B, k)
    shares = [DistContext(rank, 2, rank).shard(batches) for rank in range(2)]
    assert shares[0].shape == (3, 4, 2) and np.array_equal(np.concatenate(shares, 1), batches)


def test_a_batch_that_does_not_split_over_the_processes_is_refused(glyph_set):
    with pytest.raises(ConfigError, match="does not split evenly over 3 processes"):
        Trainer(TINY, glyph_set, torch.device("cpu"), DistContext(0, 3, 0))


def test_without_torchrun_there_is_one_process(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert DistContext.from_environment() == DistContext(0, 1, 0)
    monkeypatch.setenv("WORLD_SIZE", "2"), monkeypatch.setenv("RANK", "1"), monkeypatch.setenv("LOCAL_RANK", "1")
    assert DistContext.from_environment() == DistContext(1, 2, 1)


def test_the_cli_trains_under_torchrun(glyph_dir, tmp_path):
    """The README's command: torchrun starts the CLI module once per process; one run, one "done" line."""
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.is_file():
        pytest.skip("no torchrun beside this python")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [str(torchrun), "--nproc_per_node", "2", "--master_port", str(_free_port()), "-m", "ganwriting_mashcima.cli",
           "train", "--data", str(glyph_dir), "--out", str(tmp_path / "run"), "--preset", "cpu-smoke", "--epochs", "1",
           "--batch-size", "8", "--device", "cpu"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("done: ") == 1, done.stdout
    assert load_checkpoint(tmp_path / "run" / "latest.pt")["provenance"]["processes"] == 2


def test_the_training_benchmark_times_all_processes_under_torchrun(glyph_dir):
    """bench_gan_training under torchrun: the ranks train together and rank 0 alone prints their throughput."""
    import json

    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.is_file():
        pytest.skip("no torchrun beside this python")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [str(torchrun), "--nproc_per_node", "2", "--master_port", str(_free_port()), "-m",
           "experiments.bench_gan_training", "--data", str(glyph_dir), "--preset", "cpu-smoke", "--threads", "1",
           "--steps", "2", "--warmup", "1", "--device", "cpu"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [l for l in done.stdout.splitlines() if l.startswith("{")]  # rank 0's alone
    result = json.loads(line)
    assert result["processes"] == 2 and result["batch_size"] == PRESETS["cpu-smoke"].batch_size
    assert result["glyphs_per_s"] > 0 and result["provenance"]["data_fingerprint"]
