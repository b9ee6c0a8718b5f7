"""The Django admin behind the same login and second factor as the rest of the site."""

from django.contrib import admin
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.two_factor import (
    SESSION_KEY,
    STEP_PENDING,
    is_verified,
    step_url,
    two_factor_required,
    two_factor_step,
    with_next,
)


class HelpdeskAdminSite(admin.AdminSite):
    def has_permission(self, request):
        # The middleware already stops a session that owes the code step; this holds even
        # for a session older than the requirement (or than the user's staff status).
        user = request.user
        return super().has_permission(request) and (
            is_verified(user) or not two_factor_required(user)
        )

    def login(self, request, extra_context=None):
        """Our login page (its rate limits and messages), then the admin page asked for."""
        next_url = request.GET.get("next") or reverse("admin:index")
        user = request.user
        if not user.is_authenticated:
            return redirect(with_next("accounts:login", next_url))
        step = two_factor_step(user)
        if step is not None:
            request.session[SESSION_KEY] = STEP_PENDING
            return redirect(step_url(step, next_url))
        return render(request, "accounts/admin_denied.html", status=403)
