"""The demo's local mail sink: an SMTP server that delivers nothing.

`waakvlam run` in demo mode (with no WAAKVLAM_SMTP_HOST) starts it and points
the reminder worker at it. Every message it receives is written as an `.eml`
file under `<WAAKVLAM_DATA_DIR>/mail/` (open one with any mail program, or read
it as text) and logged in one line. The tests use the same server, keeping the
messages in memory.

    python -m waakvlam.mail_sink        # on 127.0.0.1:WAAKVLAM_MAIL_SINK_PORT (8025)
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import logging
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import structlog

from waakvlam.logs import configure_logging
from waakvlam.settings import get_settings


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it."""

    mail_from: str
    recipients: tuple[str, ...]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)  # type: ignore[return-value]


class MailSink:
    """An aiosmtpd handler: keeps every message (in memory, and as a file when given a directory).
    `delay` seconds pass before a message is accepted: a slow server, for tests."""

    def __init__(self, directory: Path | None = None, *, delay: float = 0.0, keep: bool = True) -> None:
        self.directory = directory
        self.delay = delay
        self.keep = keep
        self.received: list[Received] = []
        self.host, self.port = "", 0  # where it listens, once started
        self.count = 0
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self.log = structlog.get_logger("mail_sink")
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        if self.delay:
            await asyncio.sleep(self.delay)
        content = bytes(envelope.original_content or envelope.content)
        got = Received(envelope.mail_from, tuple(envelope.rcpt_tos), content)
        with self._lock:
            self.count += 1
            if self.keep:
                self.received.append(got)
        if self.directory is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            path = self.directory / f"{stamp}-{next(self._numbers):05d}.eml"
            path.write_bytes(content)
            # Who it went to and where it is; not the subject, which names the household.
            self.log.info("mail.received", recipients=list(got.recipients), file=str(path))
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [r.message for r in self.received]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def start(handler: MailSink, host: str = "127.0.0.1", port: int | None = None) -> Any:
    """A running aiosmtpd Controller (its own thread) for `handler`; `.stop()` it."""
    from aiosmtpd.controller import Controller

    port = port or free_port(host)
    controller = Controller(handler, hostname=host, port=port, ready_timeout=10)
    controller.start()
    handler.host, handler.port = host, port
    return controller


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    log = structlog.get_logger("mail_sink")
    directory = (settings.data_dir / "mail").resolve()
    controller = start(MailSink(directory, keep=False), "127.0.0.1", settings.mail_sink_port)
    log.info("mail_sink.started", host="127.0.0.1", port=settings.mail_sink_port, directory=str(directory))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        controller.stop()
        log.info("mail_sink.stopped")


if __name__ == "__main__":
    sys.exit(main())
