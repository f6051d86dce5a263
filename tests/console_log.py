"""What the service writes to its log, read where production writes it: the configured console
handler (askpro/settings.py LOGGING), after its filters, for every logger."""

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def console_lines(level: int = logging.DEBUG) -> Iterator[Callable[[], list[str]]]:
    """Inside, the console handler writes into a buffer and every logger lets `level` through;
    both are put back on leaving. Yields a function returning the lines written so far."""
    root = logging.getLogger()
    console = next(handler for handler in root.handlers if handler.get_name() == "console")
    buffer = io.StringIO()
    previous_stream = console.setStream(buffer)
    known = list(logging.root.manager.loggerDict.values())
    loggers = [root, *(logger for logger in known if isinstance(logger, logging.Logger))]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        if logger is root or logger.level != logging.NOTSET:
            logger.setLevel(level)
    try:
        yield lambda: buffer.getvalue().splitlines()
    finally:
        console.setStream(previous_stream)
        for logger, previous_level in levels.items():
            logger.setLevel(previous_level)
