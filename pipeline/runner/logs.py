"""Logging for the command line: our messages at INFO, Beam's internals at WARNING unless asked.

Beam logs every stage, bundle and worker start at INFO, which buries a build's own lines (the
summary, rejects, the report path); `--log-level DEBUG` (or INFO) shows them again. Some Beam
modules log through the root logger at import (e.g. "apitools not found" from its BigQuery
client), so the quiet default filters by the file a record comes from, not only by logger name.
"""

from __future__ import annotations

import logging
import os

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
BEAM_DEFAULT_LEVEL = logging.WARNING
_BEAM_DIR = os.sep + "apache_beam" + os.sep
# Beam's generated GCP API clients warn at import when the GCP extra is absent ("apitools not found"),
# on every command, though no job here uses BigQuery: held to ERROR unless a level is given
_GCP_CLIENTS_DIR = os.sep.join(("", "apache_beam", "io", "gcp", "internal", "clients", ""))


class _BeamFilter(logging.Filter):
    """Drops records logged from Beam's own files below `level`, whichever logger they used."""

    def __init__(self, level: int, clients_level: int):
        super().__init__()
        self.level, self.clients_level = level, clients_level

    def filter(self, record: logging.LogRecord) -> bool:
        if _GCP_CLIENTS_DIR in record.pathname:
            return record.levelno >= self.clients_level
        return record.levelno >= self.level or _BEAM_DIR not in record.pathname


def configure_logging(level: str | None = None) -> None:
    """Root at `level` (default INFO); Beam's records at WARNING unless `level` is given explicitly."""
    if level is not None and level.upper() not in LEVELS:
        raise ValueError(f"unknown log level {level!r}; valid levels: {', '.join(LEVELS)}")
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format=FORMAT)
    root.setLevel((level or "INFO").upper())
    beam_level = logging.getLevelName(level.upper()) if level else BEAM_DEFAULT_LEVEL
    logging.getLogger("apache_beam").setLevel(beam_level)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, _BeamFilter)]:
            handler.removeFilter(old)
        handler.addFilter(_BeamFilter(beam_level, beam_level if level else logging.ERROR))
