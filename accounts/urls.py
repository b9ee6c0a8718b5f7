from django.urls import path

from accounts import two_factor_views, views
from accounts.oidc.views import OIDCCallbackView, OIDCLoginView

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup_done"),
    path("confirm/<uidb64>/<token>/", views.signup_confirm, name="signup_confirm"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/done/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("sessions/<int:pk>/end/", views.session_end_view, name="session_end"),
    path("sessions/end-others/", views.sessions_end_others_view, name="sessions_end_others"),
    # Single sign-on (OpenID Connect): the callback is the redirect URI to register.
    path("oidc/login/", OIDCLoginView.as_view(), name="oidc_login"),
    path("oidc/callback/", OIDCCallbackView.as_view(), name="oidc_callback"),
    path("two-factor/", two_factor_views.verify, name="two_factor_verify"),
    path("two-factor/setup/", two_factor_views.enrol, name="two_factor_enrol"),
    path(
        "two-factor/recovery-codes/",
        two_factor_views.recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("two-factor/remove/", two_factor_views.remove, name="two_factor_remove"),
]
