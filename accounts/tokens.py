"""One-time links for sign-up confirmation (password resets use Django's own generator).

Both tokens are tied to the password hash, so each link works once: choosing a password
changes the hash. A different salt keeps a reset link from confirming a sign-up.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class SignupTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.SignupTokenGenerator"


signup_token_generator = SignupTokenGenerator()
