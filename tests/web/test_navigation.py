"""The main menu: every user sees the screens of their role, and every link in it opens (no 404 in a menu)."""

from __future__ import annotations

import re

import pytest

from tests.web.support import log_in, pages_client

MENU = re.compile(r'<nav class="wv-nav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a class="utrecht-link" href="([^"]+)"')
USERS = ["anna", "bram", "carla", "dirk", "admin", "petra"]


@pytest.mark.parametrize("user", USERS)
def test_every_link_in_a_users_menu_opens(client, user):
    visitor = pages_client(client)
    log_in(visitor, user)
    home = visitor.get("/")
    assert home.status_code == 200
    found = MENU.search(home.text)
    assert found, "the page has no main menu"
    links = LINK.findall(found.group(1))
    assert links[0] == "/"  # Mijn werk first, for everyone
    for href in links:
        assert visitor.get(href).status_code == 200, f"{user}'s menu links to {href}, which does not open"


def test_a_partner_sees_no_care_screens_in_the_menu(client):
    visitor = pages_client(client)
    log_in(visitor, "petra")
    links = LINK.findall(MENU.search(visitor.get("/").text).group(1))
    assert not {"/huishoudens", "/signalen", "/planning"} & set(links)
