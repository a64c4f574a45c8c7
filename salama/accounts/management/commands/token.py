from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.accounts.access import tokens_of
from salama.accounts.actions import do_create_api_token, do_revoke_api_token
from salama.accounts.models import User
from salama.orgs.access import memberships_of


class Command(BaseCommand):
    help = (
        "API tokens: `token create --user EMAIL [--org SLUG] [--days N]` prints the token on its "
        "last line; `token list --user EMAIL`; `token revoke --user EMAIL --id N`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token")
        create.add_argument("--user", required=True, help="the account's email address")
        create.add_argument("--org", help="organisation slug; may be left out when the user has one")
        create.add_argument("--days", type=int, default=90)
        create.add_argument("--name", default="command line")
        listing = sub.add_parser("list", help="list a user's tokens with their ids")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token")
        revoke.add_argument("--user", required=True)
        revoke.add_argument("--id", type=int, required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        user = User.objects.filter(email=options["user"].strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active account with the address {options['user']}.")
        if action == "list":
            for token in tokens_of(user):
                state = "revoked" if token.revoked_at else ("active" if token.is_usable else "expired")
                self.stdout.write(
                    f"{token.pk}\t{token.hint}…\t{token.organization.slug}\t{token.name}\t"
                    f"expires {token.expires_at:%Y-%m-%d}\t{state}"
                )
            return
        if action == "revoke":
            if not do_revoke_api_token(user, options["id"]):
                raise CommandError("No such usable token for this account.")
            self.stdout.write("Revoked.")
            return
        memberships = list(memberships_of(user))
        if options["org"]:
            memberships = [m for m in memberships if m.organization.slug == options["org"]]
            if not memberships:
                raise CommandError(f"{user.email} is not a member of {options['org']}.")
        elif len(memberships) != 1:
            slugs = ", ".join(m.organization.slug for m in memberships) or "none"
            raise CommandError(f"Choose the organisation with --org (memberships: {slugs}).")
        try:
            token, secret = do_create_api_token(user, memberships[0].organization, options["name"], options["days"])
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        self.stdout.write(
            f"Token {token.hint}… for {user.email} in {token.organization.slug}, expires {token.expires_at:%Y-%m-%d}."
        )
        self.stdout.write(secret)
