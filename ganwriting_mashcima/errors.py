"""What counts as the user's mistake, and how the CLI shows it: one line, exit 1, no traceback."""
from __future__ import annotations

import functools

import click

from experiments.results_folder import BenchmarkError
from experiments.staff_recognizer import RecognizerError
from gan import CheckpointError, ConfigError, GlyphSetError
from symbol_sources import DataNotFoundError, DownloadError, MuscimaError
from symbol_sources.real_staves import GoldError
from symbol_sources.staves import StaffJobError

USER_ERRORS: tuple[type[BaseException], ...] = (
    DataNotFoundError, MuscimaError, GlyphSetError, DownloadError, CheckpointError, ConfigError, StaffJobError,
    GoldError, RecognizerError, BenchmarkError,
    FileExistsError, FileNotFoundError, PermissionError, NotADirectoryError,
)


def as_click_error(e: BaseException) -> click.ClickException:
    return click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__)


def one_line_errors(fn):
    """For a command used outside ``FriendlyGroup`` too."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as e:
            raise as_click_error(e) from None
    return wrapper


class FriendlyGroup(click.Group):
    """A group whose subcommands' user errors end as ``Error: <one line>``."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as e:
            raise as_click_error(e) from None
