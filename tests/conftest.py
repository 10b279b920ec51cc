"""Fixtures on a real PostgreSQL: DATABASE_URL when set, else an embedded
server started for the test session. Each test gets its own schema, so tests
never see each other's events."""

from __future__ import annotations

import base64
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from domain.application import Households
from projections.caseload import CaseloadProjection, CaseloadView
from tests.personal import personal_data_in
from waakvlam.database import embedded_url, eventsourcing_env
from waakvlam.logs import COPY_SETTING
from waakvlam.settings import Settings
from workers.runner import BatchRunner

pytest_plugins = ["tests.clock"]  # --clock: the whole run at a fixed moment (issue 15)

# The test run's key-encryption key, shared with the processes tests start (they inherit the environment).
TEST_CHECKPOINT_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # 0..31: the tests' signing key
TEST_KEK = os.environ.setdefault("WAAKVLAM_KEK", base64.b64encode(os.urandom(32)).decode())


# Every line any process of this run logs is also appended to one file (waakvlam/logs.py), which is searched
# for the demo's names, addresses and notes when the run ends: the logs of a whole test run hold none of them.
# Under pytest-xdist the workers inherit the file of the process that started them, which searches it at the end.
WORKER = "PYTEST_XDIST_WORKER" in os.environ
LOG_COPY = (Path(os.environ[COPY_SETTING]) if WORKER and COPY_SETTING in os.environ
            else Path(tempfile.gettempdir()) / f"waakvlam-test-run-{os.getpid()}.log")


def pytest_configure(config: pytest.Config) -> None:
    if WORKER:
        return
    LOG_COPY.unlink(missing_ok=True)
    os.environ[COPY_SETTING] = str(LOG_COPY)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when its logs hold personal data (issue 5, hardening)."""
    if WORKER or not LOG_COPY.exists():
        return
    text = LOG_COPY.read_text(errors="replace")
    found, lines = personal_data_in(text), text.count("\n")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if found:
        if reporter is not None:
            reporter.write_line(f"PERSONAL DATA IN THE LOGS OF THIS RUN ({LOG_COPY}): {found}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return  # the file stays, to be read
    if reporter is not None:
        reporter.write_line(f"the logs of this run ({lines} lines, every process) hold no demo names, addresses "
                            "or notes")
    LOG_COPY.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("DATABASE_URL") or embedded_url(Path(tmp_path_factory.mktemp("pg")))


@pytest.fixture
def schema(database_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def settings(database_url: str, schema: str, tmp_path: Path) -> Settings:
    return Settings(DATABASE_URL=database_url, POSTGRES_SCHEMA=schema, WAAKVLAM_DEMO=True,
                    WAAKVLAM_CATCH_UP_TIMEOUT=10, WAAKVLAM_POOL_SIZE=8, WAAKVLAM_KEK=TEST_KEK,
                    WAAKVLAM_CHECKPOINT_KEY=TEST_CHECKPOINT_KEY, WAAKVLAM_CHECKPOINT_DIR=tmp_path / "checkpoints")


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return eventsourcing_env(settings)


@pytest.fixture
def households(env: dict[str, str]) -> Iterator[Households]:
    app = Households(env=env)
    yield app
    app.close()


def _running(projection: type, view: type, env: dict[str, str]) -> Iterator[BatchRunner]:
    """A projection running in this process, as the worker runs it."""
    with BatchRunner(projection_class=projection, view_class=view, env=env) as runner:
        try:
            yield runner
        finally:
            runner.view.datastore.close()


@pytest.fixture
def projection_worker(env: dict[str, str]) -> Iterator[BatchRunner]:
    """The caseload projection running in this process."""
    yield from _running(CaseloadProjection, CaseloadView, env)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app(settings), headers={"Authorization": "Bearer dev-anna"}) as test_client:
        yield test_client


@pytest.fixture
def live_client(client: TestClient, projection_worker: BatchRunner) -> TestClient:
    """An API client with the projection worker running beside it."""
    return client


def in_threads(count: int, target, *args) -> list:
    """Run `target(i, *args)` in `count` threads at once; return their results."""
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def work(i: int) -> None:
        barrier.wait()
        results[i] = target(i, *args)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def http_server(settings: Settings) -> Iterator[str]:
    """The API on a real HTTP server (uvicorn) on a free port; yields its base URL."""
    import socket
    import time

    import uvicorn

    from api.main import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the HTTP server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def plan_worker(env: dict[str, str]) -> Iterator[BatchRunner]:
    """The plan projection running in this process, as the worker runs it."""
    from projections.plan import PlanProjection, PlanView

    yield from _running(PlanProjection, PlanView, env)


@pytest.fixture
def timeline_worker(env: dict[str, str]) -> Iterator[BatchRunner]:
    """The timeline projection running in this process, as the worker runs it."""
    from projections.timeline import TimelineProjection, TimelineView

    yield from _running(TimelineProjection, TimelineView, env)


@pytest.fixture
def chain_worker(env: dict[str, str]) -> Iterator[BatchRunner]:
    """The chain projection running in this process, as the worker runs it (events read as stored)."""
    from projections.chain import ChainProjection, ChainView

    yield from _running(ChainProjection, ChainView, env)


@pytest.fixture
def schedule_worker(env: dict[str, str]) -> Iterator[BatchRunner]:
    """The schedule projection running in this process, as the worker runs it."""
    from projections.schedule import ScheduleProjection, ScheduleView

    yield from _running(ScheduleProjection, ScheduleView, env)


@pytest.fixture
def notifications_worker(env: dict[str, str]) -> Iterator[BatchRunner]:
    """The signal-alerts projection (in-app notifications) running in this process."""
    from projections.notifications import NotificationsProjection, NotificationsView

    yield from _running(NotificationsProjection, NotificationsView, env)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port that keeps what it receives (`.received`, `.messages()`)."""
    from waakvlam.mail_sink import MailSink, start

    sink = MailSink()
    controller = start(sink)
    yield sink
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server) -> Settings:
    """The test's settings, sending mail to `smtp_server`, with a short reminder interval."""
    return settings.model_copy(update={
        "smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "smtp_security": "none",
        "reminder_interval": 0.2, "mail_domain": "wijkteam.test", "mail_from": "Waakvlam <waakvlam@wijkteam.test>",
        "base_url": "https://waakvlam.test"})


@pytest.fixture
def signals_worker(env: dict[str, str]) -> Iterator[BatchRunner]:
    """The signal inbox projection running in this process, as the worker runs it."""
    from projections.signals import SignalsProjection, SignalsView

    yield from _running(SignalsProjection, SignalsView, env)


@pytest.fixture
def consents_worker(env: dict[str, str]) -> Iterator[BatchRunner]:
    """The consents projection (read by the access log) running in this process."""
    from projections.consents import ConsentsProjection, ConsentsView

    yield from _running(ConsentsProjection, ConsentsView, env)


# ---- measuring the run itself (issue 10, item 8): WAAKVLAM_TEST_PROFILE=FILE --------------------------------------
# Appends each test module's memory (RSS after its last test) to FILE and, when the run is over, dumps every
# thread's stack to it if the process has not exited 20 s later: where the memory and the time at exit go.
PROFILE = os.environ.get("WAAKVLAM_TEST_PROFILE")


if PROFILE:
    import faulthandler

    import psutil

    _profile_file = open(PROFILE, "a")  # open until the process exits

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
        yield
        if nextitem is None or nextitem.module is not item.module:
            rss = psutil.Process().memory_info().rss // 2**20
            _profile_file.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} {rss} MiB {item.module.__name__}\n")
            _profile_file.flush()

    def pytest_unconfigure(config: pytest.Config) -> None:
        _profile_file.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} unconfigure\n")
        _profile_file.flush()
        faulthandler.dump_traceback_later(20, repeat=True, file=_profile_file)
