from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

REQUIRED_MIDDLEWARE = {
    "salama.core.middleware.CsrfMiddleware": "CSRF protection",
    "salama.core.middleware.AccessPolicyMiddleware": "deny-by-default access policies",
    "salama.core.middleware.SecurityHeadersMiddleware": "security headers",
    "csp.middleware.CSPMiddleware": "the Content-Security-Policy header",
}


@register(Tags.security, deploy=False)
def required_middleware(app_configs: Any, **kwargs: Any) -> list[Error]:
    return [
        Error(f"{path} is missing from MIDDLEWARE: it provides {purpose}.", id="salama.E001")
        for path, purpose in REQUIRED_MIDDLEWARE.items()
        if path not in settings.MIDDLEWARE
    ]


@register(Tags.security, deploy=True)
def account_mail(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.PRODUCTION and not settings.EMAIL_HOST:
        return [
            Warning(
                "No SMTP server is set (SALAMA_EMAIL_HOST): invitation and password reset links "
                "would be written to files in the data folder instead of being sent.",
                id="salama.W001",
            )
        ]
    return []
