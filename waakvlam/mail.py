"""Mail: the reminders as Dutch plain-text messages, and SMTP delivery.

A message says as little about the household as it can: its label, its team,
the due date and a link; never notes, names of members or what was seen. The
link leads to the household in Waakvlam, where the reader must sign in.

Every message has a deterministic Message-ID (`<mail_id@mail domain>`, the
mail id being derived from the reminder and the recipient): if a worker dies
between the SMTP server accepting a message and the outbox recording that it
was sent, the message is sent again, and that second copy is recognisably the
same message (mail clients and many servers drop a repeated Message-ID).
"""

from __future__ import annotations

import functools
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any
from uuid import UUID

from waakvlam.settings import Settings

DUE_SOON, OVERDUE = "due_soon", "overdue"

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")


@functools.lru_cache(maxsize=4096)  # a page writes dozens of dates, mostly the same few
def dutch_date(day: date) -> str:
    """`vrijdag 6 maart 2026` (not through the locale: servers rarely have nl_NL)."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def when_due(due: date, today: date) -> str:
    """How far off the due date is, in Dutch: `over 3 dagen`, `morgen`, `vandaag`, `2 dagen over tijd`."""
    days = (due - today).days
    if days > 1:
        return f"over {days} dagen"
    if days == 1:
        return "morgen"
    if days == 0:
        return "vandaag"
    return "1 dag over tijd" if days == -1 else f"{-days} dagen over tijd"


def household_link(base_url: str, household_id: UUID | str) -> str:
    return f"{base_url.rstrip('/')}/households/{household_id}"


def reminder_title(label: str, due: date, today: date) -> str:
    """A reminder mail's subject: how far off the check-in is, and the household's label."""
    return f"Waakvlamcontact {when_due(due, today)}: {label}"


@dataclass(frozen=True)
class Reminder:
    """What one reminder mail is about (and no more)."""

    kind: str  # due_soon | overdue
    household_id: UUID
    label: str
    team: str
    due: date
    coordinator: str | None


def reminder_body(reminder: Reminder, recipient: str, *, as_lead: bool, today: date, base_url: str) -> str:
    due = f"{dutch_date(reminder.due)} ({when_due(reminder.due, today)})"
    label, team = one_line(reminder.label), one_line(reminder.team)
    if reminder.kind == OVERDUE:
        opening = "Dit waakvlamcontact is nog niet geweest, terwijl het gepland stond:"
    elif reminder.due < today:
        opening = "Dit waakvlamcontact staat open en is over tijd:"
    else:
        opening = "Binnenkort staat dit waakvlamcontact gepland:"
    if as_lead and reminder.coordinator and reminder.coordinator != recipient:
        why = f"Je ontvangt dit bericht als teamleider; regisseur van dit huishouden is {reminder.coordinator}."
    elif as_lead:
        why = "Je ontvangt dit bericht als teamleider: dit huishouden heeft (nog) geen regisseur."
    else:
        why = "Je ontvangt dit bericht omdat je regisseur bent van dit huishouden."
    return (
        f"Beste {recipient},\n"
        "\n"
        f"{opening}\n"
        "\n"
        f"  Huishouden: {label}\n"
        f"  Team:       {team}\n"
        f"  Gepland op: {due}\n"
        "\n"
        "Bekijk het huishouden in Waakvlam (na inloggen):\n"
        f"{household_link(base_url, reminder.household_id)}\n"
        "\n"
        f"{why}\n"
        "\n"
        "-- \n"
        "Waakvlam — één gezin, één plan, één regisseur\n"
    )


def message_id(mail_id: UUID, domain: str) -> str:
    return f"<{mail_id}@{domain}>"


def one_line(text: str) -> str:
    """Text fit for a header: no line breaks or other control characters (a label is free text)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def compose(*, mail_id: UUID, sender: str, to: str, subject: str, body: str, domain: str, sent_at: datetime,
            headers: dict[str, str] | None = None, html: str | None = None,
            attachments: tuple[tuple[str, bytes, str], ...] = ()) -> bytes:
    """A UTF-8 message with a deterministic Message-ID, as the bytes that are sent (CRLF): plain text, or with
    `html` a multipart/alternative of the text and the HTML (text first: the part a client shows when it does not
    show HTML).

    The standard library's `email.message.EmailMessage` assembles it under the SMTP policy: RFC 2047 for non-ASCII
    headers, addresses parsed and their display names encoded, lines folded at 78, CRLF. The body is
    quoted-printable, 7-bit safe on any relay (8bit would need the server's 8BITMIME). Every header value is made
    one line first (a label is free text: no header can be smuggled in). `attachments` are (file name, bytes,
    MIME type), e.g. a signed checkpoint for the privacy officer to keep."""
    message = EmailMessage(policy=SMTP)
    message["From"] = one_line(sender)
    message["To"] = one_line(to)
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id(mail_id, domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    for name, value in (headers or {}).items():
        message[name] = one_line(value)
    message.set_content("\n".join(line.rstrip("\r") for line in body.split("\n")), charset="utf-8",
                        cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for filename, data, mime_type in attachments:
        maintype, subtype = mime_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def envelope_sender(sender: str) -> str:
    """The bare address of `Name <address>`."""
    return parseaddr(sender)[1] or sender


class MailError(Exception):
    """A message could not be delivered now; `permanent` when trying again will not help."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.permanent = permanent


class SmtpSender:
    """One SMTP connection, opened on the first message and reused for the next ones
    (security `none`, `starttls` or `tls`; login when a user is configured)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("no SMTP host configured (WAAKVLAM_SMTP_HOST)")
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.smtp_ca_file)
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(s.smtp_host or "", s.smtp_port, timeout=s.smtp_timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=s.smtp_timeout)
        try:
            smtp.ehlo()
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, envelope_from: str, recipient: str, message: bytes) -> None:
        """Hand one message to the server; raises MailError when it was not accepted."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            refused = self._smtp.sendmail(envelope_from, [recipient], message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise MailError(f"recipient refused ({codes})", permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as error:
            self.close()
            raise MailError(f"SMTP {error.smtp_code}", permanent=500 <= error.smtp_code < 600) from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise MailError(type(error).__name__) from None
        if refused:  # one recipient, so not reached: sendmail raises when every recipient is refused
            raise MailError("recipient refused")

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()
