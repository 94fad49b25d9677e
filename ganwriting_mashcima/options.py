"""Click options that several commands share, defined once so their names, defaults and help agree."""
from __future__ import annotations

import importlib
from pathlib import Path

import click

from gan.config import MAX_SEED
from symbol_sources.locate import DEV_GOLD

device_option = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
                             help="auto = CUDA when present.")

muscima_pp_option = click.option(
    "--muscima-pp", "muscima_pp", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="MUSCIMA++ v1.0 folder. [default: $GANMASH_MUSCIMA_PP, ./data/muscima-pp/v1.0, "
         "then Mashcima's download folder]")

SeedRange = click.IntRange(0, MAX_SEED)


def int_list(ctx, param, value: str | None) -> list[int] | None:
    """Callback of an option of comma-separated writer numbers."""
    if value is None:
        return None
    try:
        return [int(v) for v in value.replace(",", " ").split()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated writer numbers, got {value!r}") from None

DEFAULT_GOLD = DEV_GOLD  # the CVC-MUSCIMA gold staves beside the project checkout


class LazyChoice(click.Choice):
    """A ``Choice`` among the keys (or items) of ``module.attribute``, imported when first needed: on parsing the
    option or showing its command's help, not when the CLI lists its commands."""

    def __init__(self, module: str, attribute: str) -> None:
        self._source = (module, attribute)
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:
        module, attribute = self._source
        values = getattr(importlib.import_module(module), attribute)
        return tuple(sorted(values) if isinstance(values, dict) else values)

CACHE_DIR_DEFAULT = "$GANMASH_CACHE_DIR, else $XDG_CACHE_HOME/ganmash, else ~/.cache/ganmash"

cache_dir_option = click.option(
    "--cache-dir", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help=f"ganmash's cache folder. [default: {CACHE_DIR_DEFAULT}]")


def glyph_classes(ctx, param, value: str | None) -> tuple[str, ...] | None:
    """Callback of an option of comma-separated glyph classes the provider draws (checked against its list)."""
    if value is None:
        return None
    from symbol_sources.mashcima_provider import check_real_classes

    try:
        return check_real_classes(v for v in value.replace(",", " ").split())
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


FRESH = "fresh"  # --bank-size's word for "no bank: every generated glyph fresh", where the default is a bank


class BankSize(click.ParamType):
    """``--bank-size`` of a command whose default is a bank (the benchmark's): a number >= 1, or ``fresh``."""

    name = "N|fresh"

    def convert(self, value, param, ctx):
        if value == FRESH or isinstance(value, int):
            return value
        try:
            size = int(value)
        except ValueError:
            self.fail(f"expected a number >= 1 or {FRESH}, got {value!r}", param, ctx)
        if size < 1:
            self.fail(f"expected a number >= 1 or {FRESH}, got {size}", param, ctx)
        return size


def bank_options(preset: bool = False, real_classes: bool = True):
    """``--bank-size`` and (with ``real_classes``) ``--real-classes``: how the GAN's share of the glyphs is drawn
    (None: the job's defaults, or with ``preset`` the preset's; there ``--bank-size fresh`` asks for no bank)."""
    size_default, classes_default = ("preset's: 32", "preset's") if preset else ("none: every generated glyph fresh", "none")
    fresh = f" {FRESH} = every generated glyph a new sample, pasted once." if preset else ""

    def decorate(command):
        if real_classes:
            command = click.option(
                "--real-classes", callback=glyph_classes, default=None,
                help="Comma-separated glyph classes the GAN never draws, e.g. g-clef,f-clef,c-clef: they stay real "
                     f"at any ratio. [default: {classes_default}]")(command)
        return click.option(
            "--bank-size", type=BankSize() if preset else click.IntRange(min=1), default=None,
            help="Cap the generated glyphs at N per writer and class, made once per job seed and cached, that the "
                 "GAN's draws pick from (the old mode: each is pasted many times; results made with it reproduce)."
                 f"{fresh} [default: {size_default}]")(command)
    return decorate


def hand_options(preset: bool = False):
    """``--style``, ``--novel-scale``, ``--style-from`` and ``--precision``: whose hand the GAN writes in, and in
    which float precision. With ``preset`` (a benchmark) unset options are None, the preset's, and the precision
    is fp32 or bf16, never auto: a recogniser's key must not depend on the machine it was trained on."""
    def given(value, shown: str) -> tuple:
        """An option's click default and the end of its help: the preset's (None), or ``value`` shown by click."""
        return (None, f" [default: {shown}]") if preset else (value, "")

    def decorate(command):
        precision, precision_help = given("auto", "preset's: fp32")
        command = click.option(
            "--precision", type=click.Choice(["fp32", "bf16"] if preset else ["auto", "fp32", "bf16"]),
            default=precision, show_default=not preset,
            help="The GAN's float precision" + ("" if preset else ": auto = bf16 autocast where the CPU (AVX-512 "
                                                "BF16, AMX) or GPU does it natively, else fp32")
                 + ". Recorded in the job: bf16 and fp32 glyphs differ slightly." + precision_help)(command)
        command = click.option(
            "--style-from", "style_from", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
            help="Folder of glyph images of one hand (e.g. 16 crops of your manuscripts; class names from sub-folders "
                 "or file names, optional): the generated glyphs follow that hand. [default: none]")(command)
        scale, scale_help = given(1.0, "1")
        command = click.option(
            "--novel-scale", type=click.FloatRange(min=0, min_open=True), default=scale, show_default=not preset,
            help="With --style novel: how far each new hand is pushed from the training writers' mean (1 = plain "
                 "mixtures of 2-3 writers)." + scale_help)(command)
        style, style_help = given("per-staff", "per-staff")
        return click.option(
            "--style", type=LazyChoice("symbol_sources.glyph_draws", "STYLES"), default=style, show_default=not preset,
            help="The generated glyphs' hand: one training writer per staff, a random training writer per glyph, or "
                 "a new hand per staff (novel: mixed from 2-3 training writers; fresh glyphs only)." + style_help)(command)
    return decorate


RESUME_BENCHMARK = "continue by running the same command again: it resumes where it stopped"


def number_list(kind: type, what: str):
    """A click callback parsing "1,2,3" (or spaces) into a tuple of ``kind``; None stays None (= preset's)."""
    def parse(ctx, param, value: str | None) -> tuple | None:
        if value is None:
            return None
        try:
            return tuple(kind(v) for v in value.replace(",", " ").split())
        except ValueError:
            raise click.BadParameter(f"expected comma-separated {what}, got {value!r}") from None
    return parse


def portable_path(path: Path) -> str:
    """Relative to the working folder when inside it (or given relative), so a committed config.json means the
    same on any clone run from its root."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path) if not path.is_absolute() else str(resolved)
