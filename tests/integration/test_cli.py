"""The `waakvlam` commands tell an operator what is wrong in one line, never with a traceback (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import TEST_KEK
from waakvlam.logs import COPY_SETTING
from waakvlam.mail_sink import free_port


def _waakvlam(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("WAAKVLAM_", "POSTGRES_", "DATABASE_URL")) or k == COPY_SETTING}
    return subprocess.run([sys.executable, "-m", "waakvlam.cli", *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("command", [["projections"], ["verify"], ["rebuild", "caseload"], ["retention"]])
def test_a_command_without_its_database_says_so_in_a_line(command):
    nobody = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    done = _waakvlam(*command, DATABASE_URL=nobody, WAAKVLAM_KEK=TEST_KEK)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"waakvlam {command[0]}: the database is not reachable"), done.stderr
    assert "Traceback" not in done.stderr


def test_a_command_on_a_database_server_without_the_shared_key_says_what_to_set():
    done = _waakvlam("projections", DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    assert done.returncode == 2
    assert "WAAKVLAM_KEK is not set" in done.stderr and "Traceback" not in done.stderr
