"""Account pages: sign up, confirm, log in and out, reset a password, edit the profile.

Thin: a form validates, one service runs, the view redirects. Login, logout and the reset
pages are Django's own views with our forms and templates.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit import AuditKind
from accounts.forms import (
    ConfirmSignupForm,
    ProfileForm,
    QueuedPasswordResetForm,
    SignupForm,
    ThrottledAuthenticationForm,
)
from accounts.models import User
from accounts.oidc.discovery import oidc_enabled
from accounts.oidc.views import login_url_with_next, provider_logout_url
from accounts.ratelimit import public_form_allowed
from accounts.roles import is_agent
from accounts.services import (
    user_confirm_signup,
    user_password_changed,
    user_request_signup,
    user_update_profile,
)
from accounts.sessions import (
    device_label,
    session_end,
    sessions_end_others,
    user_sessions_list,
)
from accounts.tokens import signup_token_generator
from accounts.two_factor import step_url, two_factor_status, two_factor_step

TOO_MANY = "We received many requests from you in a short time. Please try again later."
PASSWORD_CHANGED = "Your password is changed. Other sessions signed out: {ended}."  # noqa: S105
SESSION_ENDED = "That session is signed out."
OTHER_SESSIONS_ENDED = "Other sessions signed out: {ended}."


def landing_url(user) -> str:
    """Where someone goes after logging in without a `next`: agents to their workspace."""
    if is_agent(user):
        return resolve_url(settings.AGENT_LOGIN_REDIRECT_URL)
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not public_form_allowed(request, scope="signup", email=email):
            form.add_error(None, TOO_MANY)
        else:
            user_request_signup(email=email, display_name=form.cleaned_data["display_name"])
            request.session["signup_email"] = email
            return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form})


def signup_done(request):
    return render(
        request, "accounts/signup_done.html", {"email": request.session.get("signup_email")}
    )


def _user_from_uid(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@require_http_methods(["GET", "POST"])
def signup_confirm(request, uidb64: str, token: str):
    user = _user_from_uid(uidb64)
    if user is None or not signup_token_generator.check_token(user, token):
        return render(request, "accounts/signup_invalid.html", status=400)
    form = ConfirmSignupForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_confirm_signup(
            user=user,
            display_name=form.cleaned_data["display_name"],
            password=form.cleaned_data["new_password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your email address is confirmed. Welcome!")
        return redirect(landing_url(user))
    return render(request, "accounts/signup_confirm.html", {"form": form, "email": user.email})


class LoginView(auth_views.LoginView):
    # Django's view: `next` is followed only to this site (url_has_allowed_host_and_scheme).
    form_class = ThrottledAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        # Only without a `next`: Django's get_success_url tries a safe `next` first.
        return landing_url(self.request.user)

    def get_success_url(self):
        # The password is right; a second factor may still be owed (the login noted it in
        # the session: accounts.two_factor), and is asked for before going on.
        url = super().get_success_url()
        step = two_factor_step(self.request.user)
        if step is None:
            return url
        return step_url(step, url)

    def get_context_data(self, **kwargs):
        # Django's view names the site after the request's host; ours has a name.
        context = {**super().get_context_data(**kwargs), "site_name": settings.SITE_NAME}
        if oidc_enabled():
            context["oidc_button_label"] = settings.OIDC_BUTTON_LABEL
            context["oidc_login_url"] = login_url_with_next(context.get("next", ""))
        return context


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        # Asked before our session ends: it holds what the provider's logout needs.
        provider_logout = provider_logout_url(request)
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        if provider_logout:
            # Signed in through the provider: end its session too; it sends the browser
            # back to LOGOUT_REDIRECT_URL.
            return HttpResponseRedirect(provider_logout)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not public_form_allowed(self.request, scope="password-reset", email=email):
            form.add_error(None, TOO_MANY)
            return self.form_invalid(form)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user_password_changed(
            user=form.user,
            by=form.user,
            request=self.request,
            kind=AuditKind.PASSWORD_RESET_COMPLETED,
        )
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    # Django's view keeps this session signed in (update_session_auth_hash); the service
    # ends every other one.
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        ended = user_password_changed(user=form.user, by=form.user, request=self.request)
        messages.success(self.request, PASSWORD_CHANGED.format(ended=ended))
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "time_zone": user.time_zone,
            "weekly_report_email": user.weekly_report_email,
            "satisfaction_surveys": user.satisfaction_surveys,
        },
        agent=is_agent(user),
    )
    if request.method == "POST" and form.is_valid():
        user_update_profile(
            user=user,
            display_name=form.cleaned_data["display_name"],
            time_zone=form.cleaned_data["time_zone"],
            weekly_report_email=form.cleaned_data.get("weekly_report_email"),
            satisfaction_surveys=form.cleaned_data["satisfaction_surveys"],
        )
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "sessions": _sessions_for_page(request),
            "two_factor": two_factor_status(request.user),
        },
    )


def _sessions_for_page(request) -> list[dict]:
    current = request.session.session_key
    return [
        {
            "row": row,
            "device": device_label(row.user_agent),
            "is_current": row.session_id == current,
        }
        for row in user_sessions_list(user=request.user)
    ]


@login_required
@require_POST
def session_end_view(request, pk: int):
    session_end(user=request.user, session_id=pk, request=request)
    messages.success(request, SESSION_ENDED)
    return redirect("accounts:profile")


@login_required
@require_POST
def sessions_end_others_view(request):
    ended = sessions_end_others(user=request.user, request=request)
    messages.success(request, OTHER_SESSIONS_ENDED.format(ended=ended))
    return redirect("accounts:profile")
