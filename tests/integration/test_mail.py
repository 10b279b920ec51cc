"""Mail over SMTP, against a real SMTP server (aiosmtpd) started by the test: plain,
STARTTLS and implicit TLS with a login; refusals; and the demo's mail sink writing
.eml files."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime
from email import message_from_bytes
from email import policy as email_policy
from uuid import UUID, uuid4

import pytest

from waakvlam import mail
from waakvlam.mail_sink import MailSink, start
from waakvlam.settings import Settings

HOUSEHOLD = UUID("0c99052a-a316-4f60-8100-998fe37580a6")


def _message(to: str = "bram@noord.test") -> bytes:
    reminder = mail.Reminder("due_soon", HOUSEHOLD, "Fam. Jansen", "Wijkteam Noord", date(2026, 3, 6), "bram")
    body = mail.reminder_body(reminder, "bram", as_lead=False, today=date(2026, 3, 3), base_url="https://w.test/")
    return mail.compose(mail_id=uuid4(), sender="Waakvlam <waakvlam@w.test>", to=to,
                        subject=mail.reminder_title("Fam. Jansen", date(2026, 3, 6), date(2026, 3, 3)),
                        body=body, domain="w.test", sent_at=datetime(2026, 3, 3, 8, tzinfo=UTC))


def test_a_reminder_reads_as_dutch_plain_text_with_a_link_and_nothing_personal_beyond_label_and_date():
    message = message_from_bytes(_message(), policy=email_policy.default)
    assert message["Subject"] == "Waakvlamcontact over 3 dagen: Fam. Jansen"
    assert message.get_content_type() == "text/plain"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@w.test>")
    body = message.get_content()
    assert "Gepland op: vrijdag 6 maart 2026 (over 3 dagen)" in body
    assert f"https://w.test/households/{HOUSEHOLD}" in body
    assert "regisseur" in body


def test_a_label_with_accents_or_line_breaks_stays_in_its_subject_and_smuggles_in_no_header():
    label = "Fam. Öztürk-Ünal\r\nBcc: iedereen@example.org" + " en de héle familie" * 5
    raw = mail.compose(mail_id=uuid4(), sender="Wáákvlam <waakvlam@w.test>", to="bram@noord.test",
                       subject=f"Waakvlamcontact vandaag: {label}", body="Één regel.\nTwee: é ü ß\n", domain="w.test",
                       sent_at=datetime(2026, 3, 3, 8, tzinfo=UTC))
    assert raw.isascii() and b"\r\n\r\n" in raw
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    message = message_from_bytes(raw, policy=email_policy.default)
    assert message["Bcc"] is None
    assert message["Subject"] == "Waakvlamcontact vandaag: Fam. Öztürk-Ünal Bcc: iedereen@example.org" + \
        " en de héle familie" * 5
    assert message["From"].addresses[0].display_name == "Wáákvlam"
    assert message.get_content().replace("\r\n", "\n") == "Één regel.\nTwee: é ü ß\n"


def test_with_html_the_message_is_an_alternative_of_the_text_first_and_the_html():
    raw = mail.compose(mail_id=UUID(int=7), sender="Waakvlam <waakvlam@w.test>", to="bram@noord.test",
                       subject="Waakvlamcontact morgen: Fam. Jansen", body="Één regel.\n", domain="w.test",
                       sent_at=datetime(2026, 3, 3, 8, tzinfo=UTC), html="<p>Één regel.</p>\n")
    assert raw.isascii() and all(len(line) <= 78 for line in raw.split(b"\r\n"))
    message = message_from_bytes(raw, policy=email_policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-ID"] == f"<{UUID(int=7)}@w.test>"
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content().replace("\r\n", "\n") == "Één regel.\n"
    assert html.get_content().replace("\r\n", "\n") == "<p>Één regel.</p>\n"
    assert message.get_body(("plain",)) is text


@pytest.mark.parametrize(("due", "today", "said"), [
    (date(2026, 3, 6), date(2026, 3, 3), "over 3 dagen"), (date(2026, 3, 4), date(2026, 3, 3), "morgen"),
    (date(2026, 3, 3), date(2026, 3, 3), "vandaag"), (date(2026, 3, 2), date(2026, 3, 3), "1 dag over tijd"),
    (date(2026, 2, 24), date(2026, 3, 3), "7 dagen over tijd"),
    # Across the switch to summer time (29 March 2026): calendar days, not 24-hour periods.
    (date(2026, 3, 30), date(2026, 3, 28), "over 2 dagen"),
])
def test_how_far_off_a_date_is_said_in_dutch(due, today, said):
    assert mail.when_due(due, today) == said


def test_a_message_goes_over_plain_smtp_and_arrives_as_sent(settings, smtp_server):
    config = settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port,
                                         "smtp_security": "none"})
    sent = _message()
    with mail.SmtpSender(config) as sender:
        sender.send("waakvlam@w.test", "bram@noord.test", sent)
        sender.send("waakvlam@w.test", "carla@noord.test", _message("carla@noord.test"))  # the same connection
    first, second = smtp_server.received
    assert first.mail_from == "waakvlam@w.test" and first.recipients == ("bram@noord.test",)
    assert first.content.replace(b"\r\n", b"\n") == sent.replace(b"\r\n", b"\n")
    assert second.recipients == ("carla@noord.test",)


def test_an_unreachable_server_is_a_temporary_failure(settings):
    from waakvlam.mail_sink import free_port

    config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_security": "none",
                                         "smtp_timeout": 2})
    with pytest.raises(mail.MailError) as failed, mail.SmtpSender(config) as sender:
        sender.send("waakvlam@w.test", "bram@noord.test", _message())
    assert not failed.value.permanent


class _Refusing(MailSink):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # the name aiosmtpd calls
        if address.startswith("nobody@"):
            return "550 No such user here"
        if address.startswith("busy@"):
            return "451 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.parametrize(("to", "permanent"), [("nobody@noord.test", True), ("busy@noord.test", False)])
def test_a_refused_recipient_is_permanent_on_5xx_and_temporary_on_4xx(settings, to, permanent):
    sink = _Refusing()
    controller = start(sink)
    try:
        config = settings.model_copy(update={"smtp_host": sink.host, "smtp_port": sink.port, "smtp_security": "none"})
        with pytest.raises(mail.MailError) as failed, mail.SmtpSender(config) as sender:
            sender.send("waakvlam@w.test", to, _message(to))
        assert failed.value.permanent is permanent
        assert sink.received == []
    finally:
        controller.stop()


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return key, cert


def _tls_server(certificate, *, implicit: bool):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from waakvlam.mail_sink import free_port

    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink, logins = MailSink(), []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"waakvlam" and auth_data.password == b"geheim")

    port = free_port()
    # aiosmtpd only counts STARTTLS as TLS for AUTH; with implicit TLS the whole connection is TLS anyway.
    options = {"ssl_context": context, "auth_require_tls": False} if implicit else {
        "tls_context": context, "require_starttls": True}
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_required=True,
                            **options)
    controller.start()
    return controller, sink, port, logins


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_message_goes_over_tls_with_a_login(settings, certificate, security):
    controller, sink, port, logins = _tls_server(certificate, implicit=security == "tls")
    try:
        config = Settings(**{**settings.model_dump(by_alias=True), "WAAKVLAM_SMTP_HOST": "127.0.0.1",
                             "WAAKVLAM_SMTP_PORT": port, "WAAKVLAM_SMTP_SECURITY": security,
                             "WAAKVLAM_SMTP_USER": "waakvlam", "WAAKVLAM_SMTP_PASSWORD": "geheim",
                             "WAAKVLAM_SMTP_CA_FILE": str(certificate[1])})
        with mail.SmtpSender(config) as sender:
            sender.send("waakvlam@w.test", "bram@noord.test", _message())
        assert logins == [(b"waakvlam", b"geheim")]
        assert [r.recipients for r in sink.received] == [("bram@noord.test",)]
    finally:
        controller.stop()


def test_starttls_refuses_a_server_it_cannot_trust(settings, certificate):
    controller, sink, port, _ = _tls_server(certificate, implicit=False)
    try:
        config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "starttls"})
        with pytest.raises(mail.MailError), mail.SmtpSender(config) as sender:
            sender.send("waakvlam@w.test", "bram@noord.test", _message())
        assert sink.received == []
    finally:
        controller.stop()


def test_the_demo_sink_writes_each_message_as_an_eml_file(tmp_path, settings):
    directory = tmp_path / "mail"
    sink = MailSink(directory, keep=False)
    controller = start(sink)
    try:
        config = settings.model_copy(update={"smtp_host": sink.host, "smtp_port": sink.port, "smtp_security": "none"})
        with mail.SmtpSender(config) as sender:
            sender.send("waakvlam@w.test", "bram@noord.test", _message())
    finally:
        controller.stop()
    (written,) = directory.glob("*.eml")
    message = message_from_bytes(written.read_bytes(), policy=email_policy.default)
    assert message["Subject"] == "Waakvlamcontact over 3 dagen: Fam. Jansen"
    assert sink.received == [] and sink.count == 1


def test_the_demo_sink_runs_as_its_own_process_and_stops_cleanly(tmp_path, settings):
    import os
    import signal
    import sys
    import time

    from waakvlam.mail_sink import free_port

    port = free_port()
    env = {**os.environ, "WAAKVLAM_DATA_DIR": str(tmp_path), "WAAKVLAM_MAIL_SINK_PORT": str(port)}
    log = tmp_path / "sink.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "waakvlam.mail_sink"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"})
        deadline = time.monotonic() + 20
        while True:
            try:
                with mail.SmtpSender(config) as sender:
                    sender.send("waakvlam@w.test", "bram@noord.test", _message())
                break
            except mail.MailError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
    lines = log.read_text()
    assert "mail.received" in lines and "mail_sink.stopped" in lines
    assert "Fam. Jansen" not in lines  # the log names no household
