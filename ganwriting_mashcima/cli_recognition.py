"""``ganmash benchmark staves`` and ``ganmash recognize``: staff recognition, trained on Mashcima staves, read on real ones."""
from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import click

from ganwriting_mashcima.errors import exit_130_on_ctrl_c, one_line_errors, refuse_existing
from ganwriting_mashcima.options import (DEFAULT_GOLD, FRESH, RESUME_BENCHMARK, LazyChoice, bank_options,
                                         device_option, hand_options, muscima_pp_option, number_list, portable_path)

IMAGE_SUFFIXES = (".png",)


def _muscima(muscima_pp: Path | None) -> Path:
    from symbol_sources import locate_muscima_pp

    return locate_muscima_pp(muscima_pp)


@click.command()
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Results folder: config.json, metrics.jsonl, results.json/.md, ser.png, recognizer_ratio*_seed*.pt.")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the rendered training staves go (large). [default: runs/<name of --out>-staves]")
@click.option("--preset", type=LazyChoice("experiments.staff_benchmark", "PRESETS"), default="cpu", show_default=True,
              help="smoke: seconds (tests); cpu: <= 3 h on 2 cores; gpu: a CUDA machine.")
@click.option("--ratios", callback=number_list(float, "ratios in [0, 1]"), default=None,
              help="Comma-separated GAN ratios; the first is the baseline of the paired CIs. [default: preset's]")
@click.option("--annotations", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Annotation file (one staff per line), e.g. from `ganmash annotations from-corpus`. "
                   "[default: Mashcima's random annotations]")
@click.option("--staves", type=click.IntRange(min=1), default=None, help="Staves rendered per ratio. [default: preset's]")
@click.option("--steps", type=click.IntRange(min=1), default=None, help="Recogniser training steps. [default: preset's]")
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GAN checkpoint for the generated glyphs. [default: the packaged pretrained one]")
@click.option("--gold", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_GOLD, show_default=True,
              help="Gold TSV (writer, page, staff, annotation) of the real test staves.")
@click.option("--val-gold", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Gold TSV of validation writers' staves (`ganmash data transcribe`), scored beside --gold: "
                   "choose recipes on it. Their real symbols stay out of the training staves; a GAN trained on them "
                   "is refused. [default: none]")
@muscima_pp_option
@click.option("--seeds", callback=number_list(int, "seeds"), default=None,
              help="Comma-separated recogniser seeds, one recogniser per ratio and seed. [default: preset's]")
@bank_options(preset=True)
@hand_options(preset=True)
@click.option("--real-writers", callback=number_list(int, "writers"), default=None,
              help="Paste real symbols of these training writers only (the few-writer regime; pair it with a GAN "
                   "trained on the same writers). [default: every training writer]")
@click.option("--reuse-from", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Another results folder whose recognisers are reused where their settings match (e.g. ratio 0 "
                   "of a run that differs only in --bank-size or --real-classes); repeatable. [default: none]")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Processes rendering staves (CPU).")
@device_option
@click.option("--overwrite", is_flag=True, help="Start over in an --out that holds a run with other settings.")
@one_line_errors
@exit_130_on_ctrl_c(RESUME_BENCHMARK)
def staves(out: Path, work: Path | None, preset: str, ratios: tuple[float, ...] | None,
           annotations: Path | None, staves: int | None, steps: int | None, checkpoint: Path | None, gold: Path,
           val_gold: Path | None, muscima_pp: Path | None, seeds: tuple[int, ...] | None, bank_size: int | str | None,
           real_classes: tuple[str, ...] | None, style: str | None, novel_scale: float | None,
           style_from: Path | None, precision: str | None, real_writers: tuple[int, ...] | None,
           reuse_from: tuple[Path, ...], workers: int, device: str, overwrite: bool) -> None:
    """Staff recognition SER on real CVC-MUSCIMA staves versus the GAN ratio of the training staves.

    For each ratio, renders the same Mashcima staves once (same annotations and seeds, real symbols only from
    training writers), trains a CRNN + CTC recogniser on them per seed, and scores each on the gold staves of
    evaluation writers: SER mean ± std over seeds, per writer, and a paired bootstrap CI of each ratio's SER
    difference from the first ratio. Re-running the same command resumes where it stopped; more seeds extend it.

    \b
    Examples:
      ganmash annotations from-corpus --out runs/annotations/train.txt
      ganmash benchmark staves --out results/staves-cpu --preset cpu --annotations runs/annotations/train.txt
      ganmash benchmark staves --out results/staves-gpu --preset gpu --workers 16 --annotations ...
      ganmash benchmark staves --out results/more --ratios 0,0.25,0.5 --staves 2000 --seeds 0,1,2,3
      ganmash benchmark staves --out results/real-clefs --real-classes g-clef,f-clef,c-clef \\
          --annotations runs/annotations/train.txt --reuse-from results/staves-cpu
      ganmash benchmark staves --out results/fresh --bank-size fresh --annotations runs/annotations/train.txt \\
          --reuse-from results/staves-cpu                      # every generated glyph new, none pasted twice
      ganmash benchmark staves --out results/novel --bank-size fresh --style novel --novel-scale 1.5 ...
      ganmash benchmark staves --out results/4writers --real-writers 1,2,3,5 --checkpoint gan-4writers.pt \
          --bank-size fresh --style novel --annotations runs/annotations/train.txt   # a GAN of the same 4
      ganmash data transcribe --out runs/gold/val.tsv       # the validation writers' staves, to choose on
      ganmash benchmark staves --out results/val --val-gold runs/gold/val.tsv --annotations ...
    """
    from experiments.staff_benchmark import PRESETS, run_staff_benchmark
    from ganwriting_mashcima.provider import default_checkpoint

    ck = Path(checkpoint) if checkpoint is not None else default_checkpoint()
    if not ck.is_file():
        raise FileNotFoundError(f"checkpoint {ck} does not exist")
    given = {k: v for k, v in dict(
        ratios=ratios, staves=staves, steps=steps, seeds=seeds, bank_size=bank_size, real_classes=real_classes,
        style=style, novel_scale=novel_scale, style_from=portable_path(style_from) if style_from else None,
        precision=precision, real_writers=real_writers, annotations=portable_path(annotations) if annotations else None,
        checkpoint=portable_path(ck), gold=portable_path(gold),
        val_gold=portable_path(val_gold) if val_gold else None).items() if v is not None}
    if bank_size == FRESH:  # None is "not given" to the preset's replace, so fresh glyphs are said apart
        given["bank_size"] = None
    config = dataclasses.replace(PRESETS[preset], **given)
    work = work if work is not None else Path("runs") / f"{out.name}-staves"
    results = run_staff_benchmark(config, out, work, _muscima(muscima_pp), device=device, workers=workers,
                                  overwrite=overwrite, log=click.echo, reuse_from=reuse_from)
    click.echo(f"wrote {out}/results.json, results.md, ser.png")
    sets = [("test staves", results["ratios"])]
    if "validation" in results:
        sets.append(("validation staves", results["validation"]["ratios"]))
    for name, summaries in sets:
        click.echo(f" {name}:")
        for r in summaries:
            d = r.get("ser_minus_first_ratio")
            click.echo(f"  ratio {r['ratio']:.2f}: SER {r['ser']['mean']:.3f} ± {r['ser']['std']:.3f} over seeds "
                       f"{r['seeds']} (pitch ignored {r['ser_pitchless']['mean']:.3f})"
                       + (f"; minus ratio {summaries[0]['ratio']:.2f}: {d['mean']:+.3f}, 95 % CI "
                          f"[{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]" if d else ""))


@click.command()
@click.option("--model", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A saved staff recogniser (recognizer_*.pt from `ganmash benchmark staves`).")
@click.option("--gold", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Gold TSV to score against: staves are rendered from MUSCIMA++. [default: none]")
@click.option("--images", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of staff images (PNG, black ink on white, any size) to transcribe. [default: none]")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON report (with --gold) or TSV of image<TAB>annotation (with --images).")
@click.option("--beam", type=click.IntRange(min=1), default=1, show_default=True,
              help="CTC beam width: 1 decodes greedily (best path), more by prefix beam search (slower).")
@muscima_pp_option
@device_option
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
@one_line_errors
def recognize(model: Path, gold: Path | None, images: Path | None, out: Path, beam: int, muscima_pp: Path | None,
              device: str, overwrite: bool) -> None:
    """Read staves with a trained recogniser: score it on a gold file, or transcribe a folder of images.

    \b
    Examples:
      ganmash recognize --model results/staves-cpu/recognizer_ratio0.50_seed0.pt \\
          --gold ../shared/cvc-muscima-gold/dev.tsv --out ser.json
      ganmash recognize --model results/staves-cpu/recognizer_ratio0.50_seed0.pt --images my_scans/ --out preds.tsv \\
          --beam 16
    """
    import cv2

    from experiments.staff_scoring import evaluate_recognizer
    from experiments.staff_recognizer import RecognizerError, load_recognizer
    from gan import atomic_write_bytes, atomic_write_json, resolve_device

    if (gold is None) == (images is None):
        raise click.UsageError("give exactly one of --gold and --images")
    refuse_existing(out, overwrite)
    recognizer = load_recognizer(model, resolve_device(device))
    if gold is not None:
        from symbol_sources import load_muscima_pp
        from symbol_sources.real_staves import load_gold_staves

        rows, staff_images = load_gold_staves(gold, load_muscima_pp(_muscima(muscima_pp)))
        report = {"model": str(model), "gold_file": str(gold), "beam_width": beam,
                  **evaluate_recognizer(recognizer, rows, staff_images, beam)}
        atomic_write_json(out, report)
        click.echo(f"{out}: SER {report['ser']:.3f} (pitch ignored {report['ser_pitchless']:.3f}) over "
                   f"{report['staves_scored']} staves, {report['blank_staves_skipped']} blank skipped")
        return
    if not images.is_dir():
        raise FileNotFoundError(f"image folder {images} does not exist")
    files = sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"{images} holds no PNG images")
    pictures = []
    for p in files:
        img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise RecognizerError(f"{p} is not a readable image")
        pictures.append(img)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n")
    for p, tokens in zip(files, recognizer.transcribe(pictures, beam_width=beam)):
        writer.writerow([p.name, " ".join(tokens)])
    atomic_write_bytes(out, buf.getvalue().encode())
    click.echo(f"{out}: {len(files)} staves transcribed")
