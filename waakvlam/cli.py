"""The `waakvlam` command.

    waakvlam run      the API, the projection worker and the reminder worker (and, in demo mode, demo data the
                      first time and a local mail sink that keeps every mail as a file in WAAKVLAM_DATA_DIR/mail)
    waakvlam api      the API only
    waakvlam worker   the projection worker only
    waakvlam reminders  the reminder worker only (reminders of check-ins, by mail and in-app)
    waakvlam demo     load the demo municipality (if the store is empty)
    waakvlam projections  each projection's version, position, lag and whether a worker runs it
    waakvlam rebuild NAME  build a new version of a projection while the old one serves; switch when caught up
    waakvlam verify [--against CHECKPOINT ...]  check the hash chains over the stored events and the access log,
                      against signed checkpoints (default: those in WAAKVLAM_CHECKPOINT_DIR); exit code 1 if broken
    waakvlam checkpoint [--full]  verify and sign the history's head now (a file, and a mail to the privacy officers)
    waakvlam checkpoint-key  print the public key that verifies the checkpoints (to publish)
    waakvlam retention [--confirm]  report (and, confirmed, erase) the households and the signals that led to
                      nothing (dismissed, never triaged) past their retention term
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from waakvlam import cli_integrity
from waakvlam.settings import Settings, get_settings


def _share_database(connections: int | None = None) -> None:
    """Start the embedded database once, here, and hand its URL to child
    processes, so that everything runs against the same server and stops with us;
    with at least `connections` connections, when given."""
    settings = get_settings()
    if not settings.database_url:
        from waakvlam.database import embedded_url, embedded_with_connections

        os.environ["DATABASE_URL"] = (embedded_with_connections(settings.data_dir, connections) if connections
                                      else embedded_url(settings.data_dir))
        get_settings.cache_clear()


def load_demo_if_empty() -> int:
    from domain.application import Households
    from waakvlam.database import eventsourcing_env
    from waakvlam.demo import load_demo, load_partner_signals, load_staff, load_team_policies

    env = eventsourcing_env(get_settings())
    _ensure_demo_accounts(env)
    app = Households(env=env)
    try:
        if app.recorder.max_notification_id() is not None:
            return 0
        print("Loading the demo municipality (first start only)…", flush=True)
        load_staff(app)
        load_team_policies(app)
        households = load_demo(app, progress=_demo_progress(time.monotonic()))
        load_partner_signals(app, households)
        return len(households)
    finally:
        app.close()


def _demo_progress(started: float) -> Callable[[int, int], None]:
    """Every tenth household: how far the demo load is, and about how long it has to go."""
    def progress(done: int, total: int) -> None:
        if done % 10 == 0 or done == total:
            left = (time.monotonic() - started) / done * (total - done)
            print(f"  {done} of {total} households, about {left:.0f} s to go" if done < total
                  else f"  {total} households loaded in {time.monotonic() - started:.0f} s", flush=True)
    return progress


def _ensure_demo_accounts(env: dict[str, str]) -> None:
    """The demo users' local accounts (waakvlam/accounts.py DEMO_USERS: anna, bram, carla, dirk, admin, kees,
    ruben, ingrid and the partners petra, hanna, sofie, gijs, wouter), each with the demo password; also on a
    store that was filled before accounts existed. Accounts that exist are left alone."""
    from waakvlam.accounts import Accounts

    accounts = Accounts(env)
    try:
        accounts.ensure_demo_accounts()  # `waakvlam run` lists them when it has started
    finally:
        accounts.close()


def api(on_started: Callable[[], None] | None = None) -> None:
    """Serve the API here; `on_started` is called once it accepts connections."""
    import uvicorn

    os.environ["PGAPPNAME"] = "waakvlam api"  # whose connections they are, in pg_stat_activity
    settings = get_settings()
    server = uvicorn.Server(uvicorn.Config("api.main:create_app", factory=True, host=settings.host,
                                           port=settings.port, log_level="warning", access_log=False))
    if on_started is not None:
        def announce() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                on_started()
        threading.Thread(target=announce, name="announce", daemon=True).start()
    server.run()


def worker() -> None:
    from workers.projections import run as run_worker

    run_worker()


def reminders() -> None:
    from workers.reminders import run as run_reminders

    run_reminders()


def _start_mail_sink() -> subprocess.Popen[bytes] | None:
    """Demo mode without an SMTP server: start the local mail sink and send the demo's mail there."""
    import socket

    settings = get_settings()
    if not settings.demo or settings.smtp_host:
        return None
    process = subprocess.Popen([sys.executable, "-m", "waakvlam.mail_sink"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", settings.mail_sink_port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    if process.poll() is not None:
        print(f"The demo's mail sink did not start (is port {settings.mail_sink_port} taken? set "
              "WAAKVLAM_MAIL_SINK_PORT); reminders are in-app only.", file=sys.stderr, flush=True)
        return None
    os.environ.update({"WAAKVLAM_SMTP_HOST": "127.0.0.1", "WAAKVLAM_SMTP_PORT": str(settings.mail_sink_port),
                       "WAAKVLAM_SMTP_SECURITY": "none"})
    get_settings.cache_clear()
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def _create_views() -> None:
    from domain.application import Households
    from projections import versions
    from waakvlam.database import eventsourcing_env
    from workers.projections import PROJECTIONS

    env = {**eventsourcing_env(get_settings()), "POSTGRES_POOL_SIZE": "1"}
    Households(env=env).close()  # the event store's tables
    for projection, view in PROJECTIONS:
        versions.open_reader(projection.name, view, env).datastore.close()


class Supervisor(threading.Thread):
    """Starts the workers as processes and starts again one that died: a worker killed or crashed (a
    database restart, a bug) must not leave the views or the reminders standing still while the API runs on."""

    RESTART_PAUSE = 2.0

    def __init__(self) -> None:
        super().__init__(daemon=True, name="supervisor")
        self.processes: dict[str, tuple[list[str], subprocess.Popen[bytes]]] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def start_process(self, name: str, command: list[str], process: subprocess.Popen[bytes] | None = None) -> None:
        """Start `command` (or watch `process`, already started with it) under the name `name`."""
        with self._lock:
            self.processes[name] = (command, process or subprocess.Popen(command))

    def run(self) -> None:
        while not self._stopping.wait(self.RESTART_PAUSE):
            with self._lock:
                # Exit code 0 is a worker stopped on purpose (Ctrl-C reaches every process of the terminal).
                stopped = [(name, command, process.returncode) for name, (command, process) in self.processes.items()
                           if process.poll() is not None and process.returncode != 0]
                for name, command, code in stopped:
                    if self._stopping.is_set():
                        return
                    print(f"The {name} stopped (exit code {code}); starting it again.", file=sys.stderr, flush=True)
                    self.processes[name] = (command, subprocess.Popen(command))

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            for _, process in reversed(list(self.processes.values())):
                _stop(process)


def _started_block(settings: Settings, *, mail_kept: bool) -> str:
    """The one block `waakvlam run` ends its start-up with: where it is, who may log in, where mail goes."""
    from waakvlam.demo_users import DEMO_PASSWORD, DEMO_USERS

    address = settings.base_url.rstrip("/")
    lines = ["", f"Waakvlam is running at {address}  (the werkplek: log in there; API documentation: {address}/docs)"]
    if settings.demo:
        lines.append(f"Demo users: log in with the password {DEMO_PASSWORD!r}, or send 'Authorization: Bearer "
                     "dev-<name>':")
        lines += [f"  {user.name:<8} {user.role_words:<16} {user.team or '(all teams)'}" for user in DEMO_USERS]
    if mail_kept:
        lines.append(f"Demo mail is not sent: each mail is kept as a file in {(settings.data_dir / 'mail').resolve()}")
    elif settings.smtp_host:
        lines.append(f"Mail goes out through {settings.smtp_host}:{settings.smtp_port}")
    lines.append("Ctrl-C stops.")
    return "\n".join(lines)


def _refuse_if_too_few_connections() -> None:
    from waakvlam.budget import shortfall
    from waakvlam.database import database_url

    settings = get_settings()
    problem = shortfall(settings, database_url(settings))
    if problem:
        print(problem, file=sys.stderr, flush=True)
        sys.exit(2)


def run() -> None:
    # uvicorn re-raises SIGTERM after its graceful shutdown; make that an exit
    # that runs our clean-up (stop the workers, stop the embedded database).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    from waakvlam.budget import budget

    # The embedded server has room for what this start takes, twice over (and at least PostgreSQL's 100), so that
    # the service never holds more than half of it; a server of one's own is checked, never changed.
    _share_database(connections=max(100, 2 * budget(get_settings()).total))
    settings = get_settings()
    _refuse_if_too_few_connections()
    if "WAAKVLAM_BASE_URL" not in os.environ:  # links in mails and the calendar feed lead here
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        os.environ["WAAKVLAM_BASE_URL"] = f"http://{host}:{settings.port}"
        get_settings.cache_clear()
    if settings.demo:
        load_demo_if_empty()
    _create_views()  # here, once: the API and the workers starting together would race to create them
    supervisor = Supervisor()
    try:
        supervisor.start_process("projection worker", [sys.executable, "-m", "workers.projections"])
        sink = _start_mail_sink()
        if sink is not None:
            supervisor.start_process("mail sink", sink.args, sink)  # type: ignore[arg-type]
        supervisor.start_process("reminder worker", [sys.executable, "-m", "workers.reminders"])
        supervisor.start()
        api(on_started=lambda: print(_started_block(get_settings(), mail_kept=sink is not None), flush=True))
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn has shut down and re-raises it; what follows is the clean-up, not a crash
    finally:
        print("Stopping Waakvlam…", flush=True)
        supervisor.stop()
    print("Waakvlam has stopped.", flush=True)


def projections() -> None:
    from waakvlam.database import eventsourcing_env
    from workers.status import projection_status

    for status in projection_status(eventsourcing_env(get_settings())):
        print(status, flush=True)


def rebuild(name: str) -> int:
    from waakvlam.database import eventsourcing_env
    from workers.projections import PROJECTIONS
    from workers.runner import rebuild as rebuild_projection

    found = {projection.name: (projection, view) for projection, view in PROJECTIONS}
    if name not in found:
        print(f"no projection {name!r}; there are: {', '.join(found)}", file=sys.stderr)
        return 2
    env = eventsourcing_env(get_settings())
    try:
        result = rebuild_projection(*found[name], env, progress=_rebuild_progress(env, time.monotonic()))
    except (ValueError, RuntimeError) as error:
        print(error, file=sys.stderr)
        return 1
    print(result, flush=True)
    return 0


def _rebuild_progress(env: dict[str, str], started: float) -> Callable[[int], None]:
    """How far a rebuild is, of the events in the store now, and about how long it has to go."""
    from domain.application import Households

    app = Households(env=env)
    try:
        total = app.recorder.max_notification_id() or 0
    finally:
        app.close()

    def progress(done: int) -> None:
        left = (time.monotonic() - started) / done * max(total - done, 0) if done else 0
        share = f" ({min(done * 100 // total, 100)} %)" if total else ""
        print(f"  {done} of {total} events{share}, about {left:.0f} s to go   ", end="\r", flush=True)
    return progress


def retention(confirm: bool) -> int:
    """Report (and with --confirm erase) the households and the signals past their retention term, in one run:
    workers/retention.py."""
    from domain.application import Households
    from waakvlam.database import eventsourcing_env
    from workers import retention as job

    households = Households(env=eventsourcing_env(get_settings()))
    try:
        job.run(households, confirm=confirm)
    finally:
        households.close()
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="waakvlam", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "api", "worker", "reminders", "demo", "verify", "projections",
                                            "rebuild", "retention", "checkpoint", "checkpoint-key"])
    parser.add_argument("projection", nargs="?", help="for rebuild: the projection (`waakvlam projections` lists them)")
    parser.add_argument("--confirm", action="store_true",
                        help="for retention: erase the households and signals past their term "
                             "(without: only report them)")
    parser.add_argument("--against", action="append", type=Path, default=[], metavar="CHECKPOINT",
                        help="for verify: a signed checkpoint file the history must extend (repeatable)")
    parser.add_argument("--full", action="store_true",
                        help="for checkpoint: walk the whole history, not only what came after the last checkpoint")
    args = parser.parse_args(argv)
    try:
        _command(parser, args)
    except Exception as error:  # a command's user gets one line that says what is wrong, not a traceback
        if not _unreachable(error) and not isinstance(error, RuntimeError):
            raise
        reason = "the database is not reachable" if _unreachable(error) else str(error)
        print(f"waakvlam {args.command}: {reason}", file=sys.stderr)
        if _unreachable(error):
            print(f"  ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})", file=sys.stderr)
        sys.exit(2)


def _unreachable(error: Exception) -> bool:
    import psycopg
    from eventsourcing.persistence import InterfaceError, OperationalError

    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError | OperationalError | InterfaceError)


def _command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.command == "demo":
        _share_database()
        print(f"{load_demo_if_empty()} demo households loaded")
    elif args.command == "projections":
        projections()
    elif args.command == "rebuild":
        if not args.projection:
            parser.error("rebuild needs the name of a projection")
        sys.exit(rebuild(args.projection))
    elif args.command == "verify":
        sys.exit(cli_integrity.verify(args.against))
    elif args.command == "checkpoint":
        sys.exit(cli_integrity.checkpoint(args.full))
    elif args.command == "checkpoint-key":
        sys.exit(cli_integrity.checkpoint_key())
    elif args.command == "retention":
        sys.exit(retention(args.confirm))
    elif args.command == "api":
        api()
    elif args.command == "worker":
        worker()
    elif args.command == "reminders":
        reminders()
    else:
        run()


if __name__ == "__main__":
    main()
