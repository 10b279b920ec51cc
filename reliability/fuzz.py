"""Schemathesis against the running API's OpenAPI document, once per demo user (every role, both teams'
people and the partners), every operation, every phase (the document's examples, coverage of each
parameter's edges, random fuzzing, and stateful sequences along the links it infers from the responses).
The figure is the count of 5xx answers: target 0. Each request and answer is read from Schemathesis's HAR
report, so the count is of answers the server gave, not of Schemathesis's own verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.write_path import ROOT
from waakvlam.demo_users import DEMO_USERS

# Users whose requests change who may do what (roles, teams, revocations) go last, so they do not take the
# others' rights away before those are fuzzed.
LAST = ("carla", "ingrid", "admin")
ORDER = [u for u in DEMO_USERS if u.name not in LAST] + [u for u in DEMO_USERS if u.name in LAST]
PHASES = "examples,coverage,fuzzing,stateful"


@dataclass
class RoleRun:
    user: str
    role: str
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)  # "METHOD path -> status"
    exit_code: int = 0


def fuzz(port: int, workdir: Path, seconds_per_user: float, seed: int = 12) -> list[RoleRun]:
    runs = []
    for user in ORDER:
        har = workdir / f"fuzz-{user.name}.har"
        command = [str(Path(sys.executable).parent / "schemathesis"), "run",
                   f"http://127.0.0.1:{port}/openapi.json", "--header", f"Authorization: Bearer {user.token}",
                   "--checks", "not_a_server_error", "--phases", PHASES, "--max-time", str(int(seconds_per_user)),
                   "--seed", str(seed), "--workers", "1", "--request-timeout", "30", "--no-color",
                   "--generation-database", "none", "--report", "har", "--report-har-path", str(har),
                   "--warnings", "off", "--suppress-health-check", "all"]
        with open(workdir / f"fuzz-{user.name}.log", "wb") as out:
            done = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=seconds_per_user * 3 + 120)
        run = RoleRun(user.name, user.role, exit_code=done.returncode)
        if har.exists():
            for entry in json.loads(har.read_text())["log"]["entries"]:
                run.requests += 1
                status = entry["response"]["status"]
                if status >= 500:
                    url = entry["request"]["url"].split("?")[0].replace(f"http://127.0.0.1:{port}", "")
                    run.server_errors.append(f"{entry['request']['method']} {url} -> {status}")
        runs.append(run)
        print(f"    {user.name:<7} {user.role:<16} {run.requests:>6} requests, {len(run.server_errors)} 5xx",
              flush=True)
    return runs
