"""structlog as JSON lines. Log ids, routes, statuses and durations: never names,
notes or anything else a household told us.

Exceptions are logged as their type and where they were raised, never with their
message or a traceback: a message may quote what a household told us (a name in a
failed query, a note in a validation error), and a traceback quotes the message.
This holds for every logger, ours and the libraries' (uvicorn's "Exception in ASGI
application" included), because it is done where log records are made."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from types import TracebackType
from typing import Any

import structlog

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
COPY_SETTING = "WAAKVLAM_LOG_COPY"
_copy: _Copy | None = None


def describe(error: BaseException) -> str:
    """`TypeName at module.py:123` (the innermost frame): enough to find the bug, nothing of the data."""
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}"


def _exc_info(value: Any) -> _ExcInfo | None:
    if value is None or value is False:
        return None
    if value is True:
        value = sys.exc_info()
    elif isinstance(value, BaseException):
        value = (type(value), value, value.__traceback__)
    return value if value and value[1] is not None else None


def _summarise_exceptions(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog: `exc_info` (from log.exception) becomes `error: "Type at file:line"`."""
    info = _exc_info(event_dict.pop("exc_info", None))
    if info is not None:
        event_dict["error"] = describe(info[1])
    event_dict.pop("stack_info", None)
    return event_dict


class _Copy:
    """Every line logged, also appended to the file WAAKVLAM_LOG_COPY names (the test run's log of all its
    processes, which the tests search for personal data; tests/conftest.py). Unset: nothing is copied."""

    def __init__(self) -> None:
        path = os.environ.get(COPY_SETTING)
        self.file = open(path, "a", buffering=1, encoding="utf-8") if path else None

    def write(self, text: str) -> None:
        if self.file is not None:
            self.file.write(text if text.endswith("\n") else text + "\n")


class _Tee:
    """structlog's output: standard output as it is at each write (pytest swaps it), and the copy."""

    def __init__(self, copy: _Copy) -> None:
        self.copy = copy

    def write(self, text: str) -> None:
        sys.stdout.write(text)
        self.copy.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _record_factory(make: Any, copy: _Copy) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        info = _exc_info(record.exc_info)
        if info is not None or record.stack_info:
            if info is not None:
                record.msg = f"{record.msg} ({describe(info[1])})"
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        if copy.file is not None:
            copy.write(f"{record.name} {record.levelname} {record.getMessage()}")
        return record

    factory.summarises_exceptions = True  # type: ignore[attr-defined]
    return factory


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    global _copy
    if _copy is None:
        _copy = _Copy()
    if not getattr(logging.getLogRecordFactory(), "summarises_exceptions", False):
        logging.setLogRecordFactory(_record_factory(logging.getLogRecordFactory(), _copy))
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _summarise_exceptions,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(_Tee(_copy) if _copy.file is not None else None),
        cache_logger_on_first_use=True,
    )
