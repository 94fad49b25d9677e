"""Public API of the Smashcima backend (needs the extra: ``pip install -e '.[smashcima]'``).

    import ganwriting_mashcima as gm
    model = gm.smashcima_model(ratio=0.5)                       # Smashcima's handwritten model + the GAN
    scene = model.synthesize(file="song.musicxml", seed=0)      # all pages of one MusicXML file
    image = scene.render(scene.pages[0])                        # BGRA page; model.counts: glyph draws
    gm.synthesize_pages(["song.musicxml"], "pages", ratio=0.5)  # PNGs + MuNG + manifest, as the CLI does
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from symbol_sources.locate import EVALUATION_WRITERS, locate_muscima_pp
from symbol_sources.pretrained import default_checkpoint
from symbol_sources.smashcima_extra import require_smashcima


def _assets(muscima_pp, excluded_writers, allow_download, cache_dir):
    require_smashcima()
    from symbol_sources.smashcima_assets import open_offline_assets

    return open_offline_assets(locate_muscima_pp(muscima_pp), cache_dir,
                               EVALUATION_WRITERS if excluded_writers is None else excluded_writers, allow_download)


def smashcima_model(checkpoint: str | os.PathLike | None = None, ratio: float = 0.5, device: str = "auto", *,
                    muscima_pp: str | os.PathLike | None = None, seed: int = 0, paper: str = "auto",
                    excluded_writers: Iterable[int] | None = None, allow_download: bool = False,
                    cache_dir: str | os.PathLike | None = None, bank_size: int | None = None,
                    precision: str = "auto", style: str = "per-staff", novel_scale: float = 1.0,
                    style_from: str | os.PathLike | None = None):
    """Smashcima's ``BaseHandwrittenModel`` with the GAN as its glyph synthesizer (``GanHandwrittenModel``).

    Offline: MUSCIMA++ comes from where ganmash finds it, the paper is white unless MZK textures are installed
    (``paper``), nothing is downloaded unless ``allow_download``; ``excluded_writers`` (default: the evaluation
    writers) are never drawn. Generated glyphs are fresh unless ``bank_size`` caps them; ``seed`` seeds them.
    ``style``, ``novel_scale``, ``style_from``, ``precision``: as for ``mixed_repository``.
    """
    from symbol_sources.smashcima_provider import open_gan_model

    assets = _assets(muscima_pp, excluded_writers, allow_download, cache_dir)
    return open_gan_model(checkpoint or default_checkpoint(), assets, ratio=ratio, device=device, seed=seed,
                          paper=paper, cache_dir=cache_dir, bank_size=bank_size, precision=precision, style=style,
                          novel_scale=novel_scale, style_from=style_from)


def synthesize_pages(musicxml: Iterable[str | os.PathLike], out: str | os.PathLike, ratio: float = 0.5,
                     checkpoint: str | os.PathLike | None = None, *, count: int = 0, seed: int = 0,
                     device: str = "auto", paper: str = "auto", muscima_pp: str | os.PathLike | None = None,
                     excluded_writers: Iterable[int] | None = None, allow_download: bool = False,
                     cache_dir: str | os.PathLike | None = None, resume: bool = False, overwrite: bool = False,
                     progress: bool = True, bank_size: int | None = None, precision: str = "auto",
                     style: str = "per-staff", novel_scale: float = 1.0,
                     style_from: str | os.PathLike | None = None) -> dict[str, int]:
    """Pages of the MusicXML files into ``out`` (``pages/*.png``, ``mung/*.xml``, ``manifest.jsonl``,
    ``config.json``). ``count`` scenes (default: one per file, cycling), scene ``i`` under a seed from (``seed``,
    i). Every input is checked before ``out`` is touched: a bad file leaves nothing behind."""
    from gan import file_sha256, load_checkpoint, resolve_device
    from symbol_sources.pages import COMMAND, PageJob, load_musicxml, synthesize_pages as write_pages
    from symbol_sources.smashcima_provider import open_gan_model, resolve_paper
    from symbol_sources.staves import check_job_dir, resolved_hand

    require_smashcima()
    # what can be told without the assets first: the folder's own refusals, before minutes of asset extraction
    check_job_dir(Path(out), None, resume=False, overwrite=overwrite or resume, command=COMMAND)
    resolve_device(device)
    sources = [Path(p).resolve() for p in musicxml]
    scores = {str(p): load_musicxml(p) for p in sources}
    checkpoint = Path(checkpoint) if checkpoint is not None else default_checkpoint()
    load_checkpoint(checkpoint)
    assets = _assets(muscima_pp, excluded_writers, allow_download, cache_dir)
    job = PageJob(sources=tuple(scores), count=count, ratio=ratio, seed=seed, paper=resolve_paper(assets, paper),
                  checkpoint=str(checkpoint.resolve()), checkpoint_sha256=file_sha256(checkpoint),
                  excluded_writers=assets.excluded_writers, bank_size=bank_size, style=style, novel_scale=novel_scale,
                  **resolved_hand(precision, device, style_from))
    check_job_dir(Path(out), job, resume, overwrite, COMMAND)  # the whole check, now that the job is known
    model = open_gan_model(checkpoint, assets, ratio=ratio, device=device, seed=seed, paper=job.paper,
                           cache_dir=cache_dir, bank_size=job.bank_size, precision=job.precision, style=job.style,
                           novel_scale=job.novel_scale, style_from=job.style_from)
    return write_pages(model, job, out, resume=resume, overwrite=overwrite, progress=progress, scores=scores)
