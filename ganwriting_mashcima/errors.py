"""What counts as the user's mistake, and how the CLI shows it: one line, exit 1, no traceback.

The project's error classes are named, not imported: importing them would import their modules (torch, OpenCV,
Mashcima) just to start the CLI, which tests/test_cli_startup.py keeps light. An exception can only be one of
them if its module was loaded, so matching the names along its class's MRO is exact (tests/test_cli_startup.py
checks that every name exists).
"""
from __future__ import annotations

import functools
from pathlib import Path

import click

USER_ERROR_CLASSES: tuple[tuple[str, str], ...] = (
    ("gan.checkpoint", "CheckpointError"), ("gan.config", "ConfigError"), ("gan.glyphset", "GlyphSetError"),
    ("gan.run_folder", "RunFolderError"),
    ("symbol_sources.locate", "DataNotFoundError"), ("symbol_sources.download", "DownloadError"),
    ("symbol_sources.muscima_pp", "MuscimaError"), ("symbol_sources.real_staves", "GoldError"),
    ("symbol_sources.staves", "StaffJobError"), ("symbol_sources.smashcima_extra", "SmashcimaAssetsError"),
    ("symbol_sources.smashcima_extra", "SmashcimaMissingError"), ("symbol_sources.annotations", "AnnotationsError"),
    ("symbol_sources.transcribe", "TranscribeError"),
    ("experiments.results_folder", "BenchmarkError"), ("experiments.staff_recognizer", "RecognizerError"),
)
OS_USER_ERRORS = (FileExistsError, FileNotFoundError, PermissionError, NotADirectoryError, IsADirectoryError)


def is_user_error(e: BaseException) -> bool:
    return isinstance(e, OS_USER_ERRORS) or any(
        (cls.__module__, cls.__qualname__) in USER_ERROR_CLASSES for cls in type(e).__mro__)


def as_click_error(e: BaseException) -> click.ClickException:
    return click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__)


def one_line_errors(fn):
    """For a command used outside ``FriendlyGroup`` too."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            if is_user_error(e):
                raise as_click_error(e) from None
            raise
    return wrapper


def refuse_existing(out: Path, overwrite: bool) -> None:
    """Every command's policy for a single output file: never replace one unless told to, and never find out
    after the work that it cannot be written (checked before work)."""
    if out.is_dir():
        raise IsADirectoryError(f"{out} is a folder; give a file name")
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass --overwrite to replace it")
    from gan.files import check_can_create  # stdlib only: the CLI stays light

    check_can_create(out)


def exit_130_on_ctrl_c(how_to_continue: str):
    """Ctrl-C ends a long command with exit status 130 and one line saying how to continue (not click's
    "Aborted!" and status 1)."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except KeyboardInterrupt:
                click.echo(f"\ninterrupted; {how_to_continue}", err=True)
                raise SystemExit(130) from None
        return wrapper
    return decorate


class FriendlyGroup(click.Group):
    """A group whose subcommands' user errors end as ``Error: <one line>``."""

    def invoke(self, ctx: click.Context):
        return one_line_errors(super().invoke)(ctx)
