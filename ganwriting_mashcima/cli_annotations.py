"""``ganmash annotations``: staff annotations for training recognisers, from real music."""
from __future__ import annotations

import time
from pathlib import Path

import click

from ganwriting_mashcima.errors import exit_130_on_ctrl_c, refuse_existing
from ganwriting_mashcima.options import DEFAULT_GOLD, SeedRange
from symbol_sources.annotations import COLLECTIONS


def _collections(ctx, param, value: str | None) -> list[str]:
    if value is None:
        return list(COLLECTIONS)
    names = [v for v in value.replace(",", " ").split() if v]
    unknown = [n for n in names if n not in COLLECTIONS]
    if unknown or not names:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'} is not one of: {', '.join(COLLECTIONS)}")
    return list(dict.fromkeys(names))


collections_option = click.option(
    "--collections", callback=_collections, default=None,
    help=f"Comma-separated music21 corpus collections, from: {', '.join(COLLECTIONS)}. [default: all of them]")


@click.group()
def annotations() -> None:
    """Mashcima annotations (one staff per line) for synthesize-staves --annotations."""


@annotations.command("from-corpus")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Annotation file to write; its report goes to OUT.json.")
@collections_option
@click.option("--limit", type=click.IntRange(1), default=None,
              help="Convert this many tunes, drawn with --seed. [default: every tune]")
@click.option("--seed", type=SeedRange, default=0, show_default=True,
              help="Draws the line lengths, the --limit tunes and the order of the lines.")
@click.option("--gold", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_GOLD, show_default=True,
              help="Gold staves (TSV): their token counts are the line lengths to follow; the report measures "
                   "n-gram overlap with them.")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT and OUT.json.")
@exit_130_on_ctrl_c("nothing was written; run it again")
def from_corpus(out: Path, collections: list[str], limit: int | None, seed: int, gold: Path,
                overwrite: bool) -> None:
    """Convert monophonic tunes of music21's bundled corpora into Mashcima annotations, cut into staff lines
    whose token counts follow the gold staves'.

    Every line is checked by Mashcima's own parser and canvas; lines it rejects are counted, not written.
    Tunes music21 cannot read, or with chords or several voices, are skipped with a warning. The report
    (OUT.json) gives the counts, the token-count distribution against the gold, the share of gold n-grams
    found in the lines, and the file's sha256.

    \b
    Examples:
      ganmash annotations from-corpus --out runs/annotations/train.txt
      ganmash annotations from-corpus --out folk.txt --collections essenFolksong,oneills1850 --limit 500
    """
    from gan.files import atomic_write_bytes, atomic_write_json
    from symbol_sources.annotations import AnnotationsError, conversion_report, convert_corpus
    from symbol_sources.real_staves import read_gold

    report_path = out.with_name(out.name + ".json")
    refuse_existing(out, overwrite)  # before minutes of conversion
    refuse_existing(report_path, overwrite)
    gold_tokens = [g.tokens for g in read_gold(gold) if g.tokens]
    started = time.monotonic()
    result = convert_corpus(collections, [len(t) for t in gold_tokens], seed=seed, limit=limit, progress=True)
    if not result.lines:
        raise AnnotationsError(f"no line survived ({sum(result.tunes_skipped.values())} tunes skipped, "
                               f"{sum(result.lines_rejected.values())} lines rejected); nothing written")
    data = ("\n".join(result.lines) + "\n").encode()
    report = conversion_report(result, collections, seed, limit, str(gold), gold_tokens, data)
    report["seconds"] = round(time.monotonic() - started, 1)
    atomic_write_bytes(out, data)
    atomic_write_json(report_path, report)
    _echo_summary(report, out, report_path)


@annotations.command("to-musicxml")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write: one MusicXML file per part of each tune, and sources.json.")
@collections_option
@click.option("--limit", type=click.IntRange(1), default=None,
              help="Export this many tunes, drawn with --seed. [default: every tune]")
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Draws the --limit tunes.")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT (only after the export succeeded).")
@exit_130_on_ctrl_c("nothing was written; run it again")
def to_musicxml(out: Path, collections: list[str], limit: int | None, seed: int, overwrite: bool) -> None:
    """Export tunes of music21's bundled corpora as MusicXML files, to feed synthesize-pages (Smashcima
    renders whole pages from MusicXML). Tunes music21 cannot read are skipped with a warning.

    \b
    Examples:
      ganmash annotations to-musicxml --out scores --collections oneills1850 --limit 100
      ganmash synthesize-pages --musicxml-dir scores --ratio 0.5 --out pages
    """
    import random

    from symbol_sources.annotations import select_tunes
    from symbol_sources.musicxml_export import export_musicxml

    tunes, _ = select_tunes(collections, limit, random.Random(seed))
    record = export_musicxml(tunes, out, overwrite=overwrite, progress=True)
    click.echo(f"{out}: {len(record['files'])} MusicXML files from {record['tunes'] - record['skipped']} tunes "
               f"({record['skipped']} skipped); sources in {out / 'sources.json'}")


@annotations.command("mix")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Annotation file to write; its report goes to OUT.json.")
@click.option("--random-share", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Share of SOURCE's lines replaced by Mashcima's random annotations of the same token count.")
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Draws the lines replaced and their content.")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT and OUT.json.")
@exit_130_on_ctrl_c("nothing was written; run it again")
def mix(source: Path, out: Path, random_share: float, seed: int, overwrite: bool) -> None:
    """Replace a share of SOURCE's lines with Mashcima's random annotations, as long as the lines they replace.

    Mashcima's best recogniser trained on real incipits and random annotations 1:1 (random ones give rare
    tokens, real ones the language of music). Every random line passes Mashcima's parser and canvas.

    \b
    Example:
      ganmash annotations mix runs/annotations/train.txt --out runs/annotations/mixed.txt --random-share 0.5
    """
    import hashlib
    import json

    from gan.files import atomic_write_bytes, atomic_write_json
    from symbol_sources.annotations import AnnotationsError, count_summary, mashcima_rejection, mix_random
    from symbol_sources.staves import read_annotations

    report_path = out.with_name(out.name + ".json")
    refuse_existing(out, overwrite)
    refuse_existing(report_path, overwrite)
    source_bytes = source.read_bytes()
    numbered = read_annotations(source)
    for line_no, text in numbered:  # a line Mashcima would not render is the source's fault: say which
        reason = mashcima_rejection(text)
        if reason:
            raise AnnotationsError(f"{source} line {line_no}: {reason}")
    lines = [text for _, text in numbered]
    mixed, replaced = mix_random(lines, random_share, seed)
    data = ("\n".join(mixed) + "\n").encode()
    report = {"source": str(source), "source_sha256": hashlib.sha256(source_bytes).hexdigest(),
              "random_share": random_share, "seed": seed, "lines": len(mixed), "replaced": replaced,
              "tokens_per_line": {"source": count_summary(len(t.split()) for t in lines),
                                  "mixed": count_summary(len(t.split()) for t in mixed)},
              "sha256": hashlib.sha256(data).hexdigest()}
    atomic_write_bytes(out, data)
    atomic_write_json(report_path, report)
    click.echo(f"{out}: {len(mixed)} lines, {replaced} of them random ({report_path}: {json.dumps(report['tokens_per_line']['mixed'])})")


def _echo_summary(report: dict, out: Path, report_path: Path) -> None:
    tunes, lines, tokens = report["tunes"], report["lines"], report["tokens_per_line"]
    click.echo(f"tunes: {sum(tunes['read'].values())} read, {tunes['skipped']} skipped")
    for reason, n in tunes["skipped_by_reason"].items():
        click.echo(f"  skipped {n}: {reason}")
    click.echo(f"lines: {lines['written']} written to {out}, {lines['rejected']} rejected")
    for reason, n in lines["rejected_by_reason"].items():
        click.echo(f"  rejected {n}: {reason}")
    for name in ("generated", "gold"):
        t = tokens[name]
        click.echo(f"tokens per line, {name}: median {t['median']}, quartiles {t['q1']}-{t['q3']}, "
                   f"range {t['min']}-{t['max']} (n={t['n']})")
    click.echo("gold n-grams found in the lines: " + ", ".join(
        f"{o['n']}-grams {o['found']}/{o['gold_ngrams']}" for o in report["gold_overlap"] if "n" in o))
    click.echo(f"report: {report_path} (sha256 of the lines {report['sha256'][:12]}…, {report['seconds']} s)")
