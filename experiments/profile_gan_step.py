"""Where a training step of the cpu preset spends its CPU time: torch.profiler over 16 steps, after warm-up.

    python -m experiments.profile_gan_step    # needs data/glyphs-64; run it on a quiet machine
"""
from torch.profiler import ProfilerActivity, profile
from gan.config import PRESETS
from gan.glyphset import GlyphSet
from gan.trainer import Trainer
torch.set_num_threads(2)
cfg = PRESETS["cpu"].replace(wid_pretrain_steps=2)
g = GlyphSet.load("data/glyphs-64")
t = Trainer(cfg, g, torch.device("cpu"))
t.pretrain_writer_identifier(progress=False)
idx, refs = t.data.epoch_order(1)
for i in range(5):
    t.train_step(idx[i], refs[i], i + 1)
t0 = time.perf_counter()
for i in range(5, 37):
    t.train_step(idx[i], refs[i], i + 1)
dt = time.perf_counter() - t0
print("glyphs/s", 32 * 32 / dt, "step ms", dt / 32 * 1000)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for i in range(37, 53):
        t.train_step(idx[i], refs[i], i + 1)
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
