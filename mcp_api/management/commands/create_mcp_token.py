from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from companies.commands import company_for_command
from core import clock
from mcp_api.paths import MCP_PATH
from mcp_api.tokens import mcp_token_create


class Command(BaseCommand):
    help = (
        "Make an MCP access token for a company's AI agents and print it (shown only now; only its "
        "hash is kept). Revoke tokens in admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="the company's slug")
        parser.add_argument("--name", default="", help="who or what uses it (default: 'MCP client')")
        parser.add_argument("--read-only", action="store_true", help="may look, but not book, move or cancel")
        parser.add_argument(
            "--expires-days", type=int, help="valid for this many days (default: until revoked)"
        )

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1.")
        token, secret = mcp_token_create(
            company=company,
            name=options["name"],
            can_write=not options["read_only"],
            expires_at=clock.now() + timedelta(days=days) if days else None,
        )
        access = "read and write" if token.can_write else "read only"
        until = f", until {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
        self.stderr.write(f"MCP token '{token.name}' for {company.name} ({access}{until}); shown only now:")
        self.stdout.write(secret)
        self.stderr.write(f"Endpoint: {settings.PUBLIC_BASE_URL.rstrip('/')}{MCP_PATH}")
