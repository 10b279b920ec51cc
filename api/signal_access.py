"""The NEN 7513 access-log entries of partners' signals (issue 12): a signal holds personal data from its
first minute (a name, an address, a worry about a family), so reading one is logged as a household read
is, by the same code (api/authz.py `record`, `record_listed`), with the signal's id where a household's
id would be: the signal is the file concerned, and `AccessLog.entries(signal_id)` finds every access to
it. The API (api/routers/signals.py) and the werkplek (web/routes/signal_inbox.py, ...) both call these.

    one signal      an entry on the signal (`household_id` = the signal's id), allowed or refused; a linked
                    signal's read is also a listed read of its household, as before (`record_listed`)
    a list          one entry listing every signal it showed and the households of the linked ones

A care worker reads the signals of the inbox within a care relationship (the inbox shows only their team's
and the unassigned ones); a partner reading its own report, or the privacy officer erasing one, does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from fastapi import Request

from api.auth import Principal
from api.authz import record, record_listed, role_and_team
from domain.staff import CARE_ROLES


def record_signal(request: Request, principal: Principal, signal_id: UUID, *, authorised: bool,
                  action: str | None = None) -> None:
    """The entry of a request on one signal (`action`: as the route's method says, unless given)."""
    role, team = role_and_team(request, principal)
    record(request, principal, signal_id, authorised=authorised, care_relationship=authorised and role in CARE_ROLES,
           team=team, action=action)


def record_signals_listed(request: Request, principal: Principal, rows: Iterable[Any]) -> None:
    """One entry for a list of signals (inbox rows: `signal_id`, `household_id`): every signal and household."""
    rows = list(rows)
    record_listed(request, principal, [*(row.signal_id for row in rows), *(row.household_id for row in rows)])
