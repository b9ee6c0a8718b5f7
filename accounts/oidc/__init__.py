"""Single sign-on with OpenID Connect, on mozilla-django-oidc (docs/oidc.md, decision 0026).

``discovery`` reads and caches the provider's metadata, ``backend`` turns a verified ID
token into one of our users, ``views`` starts the sign-in, takes the provider's answer and
builds the provider's logout address. Off unless ``OIDC_ISSUER`` and ``OIDC_CLIENT_ID``
are set.
"""
