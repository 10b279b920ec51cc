"""The personal data the logs must never hold: the demo municipality's names, addresses and notes, and
those the tests type (tests/integration/test_no_personal_data_in_logs.py, tests/conftest.py)."""

from __future__ import annotations

import re

from waakvlam import demo

SURNAMES = [name for name in demo.SURNAMES if len(name) >= 5]
FIRST_NAMES = [name for name in (*demo.WOMEN, *demo.MEN, *demo.CHILDREN) if len(name) >= 4]
NOTES = ["Huurachterstand van drie maanden", "brieven worden niet geopend", "Koelkast vrijwel leeg",
         "Slaapt slecht door geldzorgen", *demo.GOING_BADLY, *demo.EROPAF]
ADDRESSES = ["Esdoornstraat", "Dorpsstraat 12", "Lindelaan 7"]
WORDS = [*SURNAMES, *FIRST_NAMES, *NOTES, *ADDRESSES]
_PATTERN = re.compile("|".join(rf"(?<![A-Za-z]){re.escape(word)}(?![a-z])" for word in WORDS))


def personal_data_in(text: str) -> dict[str, list[str]]:
    """Each word found, with up to three of the lines it is in."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        for match in _PATTERN.finditer(line):
            lines = found.setdefault(match.group(0), [])
            if len(lines) < 3:
                lines.append(line[:300])
    return found
