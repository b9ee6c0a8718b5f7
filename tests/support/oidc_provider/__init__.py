"""A real OpenID provider for the tests: a tiny Django project on django-oauth-toolkit.

``tests/support/oidc_harness.py`` starts it as a subprocess (``serve.py``) on a free loopback
port, with its own SQLite database, its own RS256 key (made at start) and the client and
people the harness names in ``config.json``. It speaks real OpenID Connect: discovery,
the authorization code flow (with PKCE), the token endpoint, JWKS, userinfo and
RP-initiated logout, and signs people in through its own login form.
"""
