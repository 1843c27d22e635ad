"""One clear line for unusable inputs: finding the InputError behind a failed run, and keeping
Beam's tracebacks for it off the console.

A reader raises InputError (pipeline/io/readers.py) on a worker; Beam wraps it into its own
error and prints and logs the worker's traceback. The command then shows only the InputError's
message (`flamingo build JOB: ...`, exit 2); any other failure keeps its traceback.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import Iterator

from pipeline.io.readers import InputError

INPUT_ERROR_LINE = re.compile(r"(?:^|\n)\S*InputError: ([^\n]+)")
BEAM_SUFFIX = re.compile(r" \[while running '[^']*'\]$")


def input_error_in(exc: BaseException | None) -> str | None:
    """The message of the InputError behind a failed run (raised here, or on a worker, where Beam
    wraps it into its own error's text), else None."""
    seen = set()
    start = exc
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, InputError):
            return BEAM_SUFFIX.sub("", str(exc))
        exc = exc.__cause__ or exc.__context__
    found = INPUT_ERROR_LINE.findall(str(start)) if start is not None else []
    return BEAM_SUFFIX.sub("", found[-1]).strip() if found else None


class _HideInputErrorTraces(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and input_error_in(record.exc_info[1]):
            return False
        return "InputError: " not in record.getMessage()


class _StderrWithoutInputErrorTraces:
    """sys.stderr, minus the tracebacks Beam's in-process workers `print` for an input error."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        if text.lstrip().startswith("Traceback") and "InputError: " in text:
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def input_errors_as_one_line() -> Iterator[None]:
    """Run a pipeline inside: an InputError anywhere in it comes out as InputError(message), its
    tracebacks held back; other errors pass through untouched."""
    quiet = _HideInputErrorTraces()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(quiet)
    stderr, sys.stderr = sys.stderr, _StderrWithoutInputErrorTraces(sys.stderr)
    try:
        yield
    except Exception as exc:
        message = input_error_in(exc)
        if message is None:
            raise
        raise InputError(message) from None
    finally:
        sys.stderr = stderr
        for handler in handlers:
            handler.removeFilter(quiet)
