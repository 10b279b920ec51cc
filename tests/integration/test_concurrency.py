"""Twenty people write to one household at the same moment, through the real
HTTP server: every acknowledged write is stored, nothing twice, no gaps."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import in_threads

CLIENTS = 20
WRITES_PER_CLIENT = 5


def test_twenty_parallel_clients_on_one_household_lose_nothing_and_duplicate_nothing(http_server, households):
    headers = {"Authorization": "Bearer dev-anna"}
    household_id = str(households.register(actor="anna", label="Fam. Drukte", team="Wijkteam Noord").household_id)

    def client(i: int) -> list[dict]:
        acknowledged = []
        with httpx.Client(base_url=http_server, headers=headers, timeout=30) as http:
            for n in range(WRITES_PER_CLIENT):
                key = f"client-{i}-write-{n}-{uuid.uuid4().hex}"
                body = {"kind": "telefonisch", "summary": f"client {i} write {n}"}
                response = http.post(f"/api/households/{household_id}/contacts", json=body,
                                     headers={"Idempotency-Key": key})
                assert response.status_code == 201, response.text
                if n % 2 == 0:
                    # The client did not see the answer and retries: the first answer stands.
                    retry = http.post(f"/api/households/{household_id}/contacts", json=body,
                                      headers={"Idempotency-Key": key})
                    assert retry.status_code == 201 and retry.json() == response.json()
                acknowledged.append(response.json())
        return acknowledged

    acknowledged = [ack for acks in in_threads(CLIENTS, client) for ack in acks]

    events = list(households.events.get(uuid.UUID(household_id)))
    contacts = [e for e in events if type(e).__name__ == "ContactRecorded"]
    stored_ids = [c.contact_id for c in contacts]
    assert len(acknowledged) == CLIENTS * WRITES_PER_CLIENT
    assert sorted(stored_ids) == sorted(ack["item_id"] for ack in acknowledged)  # all there, nothing twice
    assert len(set(stored_ids)) == len(stored_ids)
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))  # no gaps
    assert len({ack["version"] for ack in acknowledged}) == len(acknowledged)
    summaries = {c.summary for c in contacts}
    assert summaries == {f"client {i} write {n}" for i in range(CLIENTS) for n in range(WRITES_PER_CLIENT)}
