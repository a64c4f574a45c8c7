from django.urls import path

from . import views, webauthn

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/enrol/", views.enrol_view, name="enrol"),
    path("login/security-key/begin/", webauthn.webauthn_login_begin, name="webauthn_login_begin"),
    path("login/security-key/finish/", webauthn.webauthn_login_finish, name="webauthn_login_finish"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.password_reset_view, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done_view, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm_view, name="password_reset_confirm"),
    path("password-reset/complete/", views.password_reset_complete_view, name="password_reset_complete"),
    path("account/", views.security_view, name="security"),
    path("account/confirm/", views.confirm_view, name="confirm"),
    path("account/password/", views.password_change_view, name="password_change"),
    path("account/sessions/<str:handle>/end/", views.session_end_view, name="session_end"),
    path("account/sessions/end-others/", views.sessions_end_others_view, name="sessions_end_others"),
    path("account/authenticators/add/", views.totp_add_view, name="totp_add"),
    path(
        "account/security-keys/begin/",
        webauthn.webauthn_register_begin,
        name="webauthn_register_begin",
    ),
    path(
        "account/security-keys/finish/",
        webauthn.webauthn_register_finish,
        name="webauthn_register_finish",
    ),
    path("account/devices/<str:kind>/<int:device_id>/remove/", views.device_delete_view, name="device_delete"),
    path("account/backup-codes/", views.backup_codes_view, name="backup_codes"),
    path("account/tokens/", views.token_create_view, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
]
