import json
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from companies.commands import company_for_command
from core.public_url import public_url_problem
from telephony.retell.agents import retell_setup


class Command(BaseCommand):
    help = (
        "Print, as JSON, the company's Retell setup: custom tool definitions, the inbound webhook "
        "and webhook URLs, the webhook events and timeouts (see docs/retell-agent.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument(
            "--base-url", help="public https URL Retell reaches us at (default PUBLIC_BASE_URL)"
        )

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        base_url = options["base_url"]
        if base_url is not None:
            parts = urlsplit(base_url)
            if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
                raise CommandError(
                    f"--base-url must be an http(s) URL like https://askpro.example.com, not {base_url!r}."
                )
        setup = retell_setup(company=company, base_url=base_url)
        self.stdout.write(json.dumps(setup, indent=2, ensure_ascii=False))
        problem = public_url_problem(base_url or settings.PUBLIC_BASE_URL)
        if problem:
            # On stderr, so the JSON on stdout can still be piped into a file or a tool.
            self.stderr.write(
                self.style.WARNING(
                    f"WARNING: {problem} Set PUBLIC_BASE_URL (or pass --base-url) to the public https "
                    "address Retell reaches this server at (a tunnel will do for a test) and print "
                    "the set-up again."
                )
            )
