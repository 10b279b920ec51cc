"""The main menu per role: which screens a user's work needs (issue 11 §2). A screen that a role may not use
is not in its menu; the screen itself still refuses (api/authz.py decides)."""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import Principal

CARE = ("generalist", "coordinator", "team_lead")


@dataclass(frozen=True)
class Item:
    text: str
    href: str
    current: bool = False


# (text, path, roles): the order is the menu's order.
SCREENS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Mijn werk", "/", (*CARE, "privacy_officer", "administrator", "partner")),
    ("Huishoudens", "/huishoudens", CARE),
    ("Signalen", "/signalen", CARE),
    ("Planning", "/planning", CARE),
    ("Privacy", "/privacy", ("privacy_officer",)),
    ("Signaal melden", "/melden", ("partner",)),
    ("Meldingen", "/meldingen", (*CARE, "privacy_officer")),
)


def menu(principal: Principal, path: str, available: frozenset[str]) -> list[Item]:
    """The screens of the user's role that this app has (`available`: its routes' paths), in menu order."""
    role = principal.role or ""
    items = []
    for text, href, roles in SCREENS:
        if role in roles and href in available:
            current = path == href if href == "/" else path == href or path.startswith(href + "/")
            items.append(Item(text, href, current))
    return items
