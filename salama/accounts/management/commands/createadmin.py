from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.accounts.actions import do_create_user
from salama.accounts.models import User


class Command(BaseCommand):
    help = (
        "Create a platform operator account (creates organisations and invites their first admin; "
        "never sees their data). The password comes from --password-file, SALAMA_ADMIN_PASSWORD, "
        "or is generated and printed once. The second factor is enrolled at first sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="Platform operator")
        parser.add_argument("--password-file")

    def handle(self, *args: Any, email: str, name: str, password_file: str | None, **options: Any) -> None:
        if User.objects.filter(email=email.strip().lower()).exists():
            raise CommandError(f"An account with the address {email} exists already.")
        if password_file:
            password = Path(password_file).read_text().strip()
        else:
            password = os.environ.get("SALAMA_ADMIN_PASSWORD", "")
        generated = not password
        password = password or secrets.token_urlsafe(18)
        try:
            validate_password(password, User(email=email, display_name=name))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user = do_create_user(email, name, password)
        user.is_platform_operator = True
        user.save(update_fields=["is_platform_operator"])
        self.stdout.write(f"Created platform operator {user.email}.")
        if generated:
            self.stdout.write(f"Password (shown once): {password}")
