"""The closed vocabularies: a word the domain does not know is refused with the
field it came in, whoever calls the application service."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from tests.domain.support import ACTOR, kinds


@pytest.mark.parametrize(("command", "fields", "field"), [
    ("record_contact", {"kind": "brief"}, "kind"),
    ("record_contact", {"kind": "huisbezoek", "life_domains": ["geluk"]}, "life_domains"),
    ("record_signal", {"source": "school", "description": "", "life_domains": [], "urgency": "soon"}, "urgency"),
    ("record_assessment", {"scores": {"geluk": 3}}, "scores"),
    ("set_goal", {"life_domain": "geluk", "description": "x"}, "life_domain"),
    ("start_intervention", {"support_level": "magie", "description": "x"}, "support_level"),
    ("escalate", {"to_level": "paniek", "reason": "x"}, "to_level"),
    ("de_escalate", {"to_level": "rust", "reason": "x"}, "to_level"),
    ("agree_signaleringsplan", {"phases": {"paars": {"signs": ["x"]}}}, "phases"),
    ("close_household", {"reason_code": "zomaar"}, "reason_code"),
])
def test_an_unknown_word_is_refused_naming_its_field_and_records_nothing(app, household, command, fields, field):
    before = kinds(app, household)

    with pytest.raises(InvalidInput) as refused:
        getattr(app, command)(household, actor=ACTOR, **fields)

    assert refused.value.field == field
    assert "must be one of" in refused.value.detail
    assert kinds(app, household) == before


def test_registration_at_an_unknown_intensity_is_refused(app):
    with pytest.raises(InvalidInput) as refused:
        app.register(actor=ACTOR, label="Fam. Onbekend", team="Noord", intensity="hoog")
    assert refused.value.field == "intensity"
