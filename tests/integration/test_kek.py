"""The key-encryption key (WAAKVLAM_KEK) from the settings is what opens every household's data key:
the same key opens them in any process, another key opens none, and a malformed one is refused."""

from __future__ import annotations

import base64
import os

import pytest

from domain.application import Households
from domain.erasure import parse_kek
from waakvlam.database import eventsourcing_env
from waakvlam.settings import Settings


def _kek() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_the_households_data_opens_with_the_configured_kek_and_not_with_another(env):
    kek = _kek()
    writer = Households(env={**env, "WAAKVLAM_KEK": kek})
    try:
        household_id = writer.register(actor="anna", label="Fam. Verborgen", team="Noord").household_id
    finally:
        writer.close()

    reader = Households(env={**env, "WAAKVLAM_KEK": kek})  # another process with the same setting
    try:
        assert reader.get(household_id).label == "Fam. Verborgen"
    finally:
        reader.close()

    stranger = Households(env={**env, "WAAKVLAM_KEK": _kek()})
    try:
        with pytest.raises(ValueError, match="does not open with this WAAKVLAM_KEK"):
            stranger.get(household_id)
    finally:
        stranger.close()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"too short").decode()])
def test_a_malformed_kek_is_refused_with_what_is_wrong(value):
    with pytest.raises(ValueError, match="WAAKVLAM_KEK is not"):
        parse_kek(value)


def test_on_a_database_server_outside_the_demo_the_kek_must_be_set(database_url, tmp_path):
    deployment = Settings(DATABASE_URL=database_url, WAAKVLAM_DEMO=False, WAAKVLAM_KEK=None,
                          WAAKVLAM_DATA_DIR=tmp_path)
    with pytest.raises(RuntimeError, match="WAAKVLAM_KEK is not set"):
        eventsourcing_env(deployment)
    assert not (tmp_path / "kek").exists()  # no key of its own was made

    demo = deployment.model_copy(update={"demo": True})  # the demo (and the embedded database) keep one locally
    assert eventsourcing_env(demo)["WAAKVLAM_KEK"] == (tmp_path / "kek").read_text().strip()


def test_the_embedded_database_outside_the_demo_keeps_the_data_directorys_own_key(tmp_path):
    # `waakvlam run` hands the embedded server's URL to its processes as DATABASE_URL: still one machine.
    embedded = f"postgresql://postgres:@/postgres?host={tmp_path.resolve() / 'pg'}"
    settings = Settings(DATABASE_URL=embedded, WAAKVLAM_DEMO=False, WAAKVLAM_KEK=None, WAAKVLAM_DATA_DIR=tmp_path)
    assert eventsourcing_env(settings)["WAAKVLAM_KEK"] == (tmp_path / "kek").read_text().strip()
