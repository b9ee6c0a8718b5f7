"""Emails about a person's account (not about a ticket): confirm sign-up, reset password.

They are rendered and sent by the Celery worker (accounts/tasks.py), which also makes the
one-time token, so the request that asked for the email never waits on mail, and no token
ever travels through the broker.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.tokens import signup_token_generator

KINDS = {
    # kind: (URL name of the link, token generator)
    "signup_confirm": ("accounts:signup_confirm", signup_token_generator),
    "password_reset": ("accounts:password_reset_confirm", default_token_generator),
    "account_exists": ("accounts:login", None),
}


def account_email_render(*, user: User, kind: str) -> EmailMultiAlternatives:
    url_name, generator = KINDS[kind]
    if generator is None:
        path = reverse(url_name)
    else:
        path = reverse(
            url_name,
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": generator.make_token(user),
            },
        )
    context = {
        "user": user,
        "site_name": settings.SITE_NAME,
        "link": f"{settings.SITE_URL}{path}",
        "reset_url": f"{settings.SITE_URL}{reverse('accounts:password_reset')}",
    }
    name = f"emails/account_{kind}"
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string(f"{name}.subject.txt", context).split()),
        body=render_to_string(f"{name}.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message


def account_email_send(*, user_id: int, kind: str) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or kind not in KINDS:
        return False
    account_email_render(user=user, kind=kind).send()
    return True
