from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @staticmethod
    def normalize(email: str) -> str:
        return email.strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=self.normalize(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("name"), max_length=150)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    is_active = models.BooleanField(default=True)
    # Creates organisations and their first admin; never a member, so never sees their data.
    is_platform_operator = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["display_name"]

    objects = UserManager()

    def __str__(self) -> str:
        return self.display_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = UserManager.normalize(self.email)
        super().save(*args, **kwargs)


class Session(AbstractBaseSession):
    """Django's database session with its owner, so people can see and end their sessions."""

    user = models.ForeignKey(User, null=True, on_delete=models.CASCADE, related_name="sessions")
    # Names a session in pages and forms; the session key itself never leaves the cookie.
    handle = models.CharField(max_length=24, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True)
    user_agent = models.CharField(max_length=120, blank=True)

    @classmethod
    def get_session_store_class(cls) -> Any:
        from .session_store import SessionStore

        return SessionStore


def _token_hash(token: str) -> str:
    # Tokens carry 256 random bits, so a plain digest is enough to make a stolen table useless.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: datetime | None = None) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    PREFIX = "slm_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    hint = models.CharField(max_length=12)  # the first characters, to recognise a token
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash(token: str) -> str:
        return _token_hash(token)

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class WebAuthnDevice(Device):
    """A security key or platform authenticator, usable as the second factor."""

    credential_id = models.CharField(max_length=1400, unique=True)  # base64url of up to 1023 bytes
    public_key = models.TextField()  # base64url COSE key
    sign_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def verify_token(self, token: object) -> bool:
        # Verified through the WebAuthn ceremony in views, never with a typed code.
        return False
