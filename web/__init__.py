"""The werkplek: the Dutch pages for the people who do the work (issue 11), server-rendered from the same
application service, views, authorisation and NEN 7513 access log as the JSON API (never the API over HTTP).

- web/pages.py: the routes (`/`, `/inloggen`, `/uitloggen`, `/households/{id}`, `.../contact`);
- web/sessions.py: the session cookie, CSRF tokens, the return after login;
- web/dutch.py: dates, times and the vocabularies in Dutch;
- web/templates/: Jinja2; web/static/: our stylesheet, and `vendor/` (git-ignored), which `make` fills from
  node_modules (the NL Design System CSS, the voorbeeld tokens, the Noto Sans font, htmx).
"""
