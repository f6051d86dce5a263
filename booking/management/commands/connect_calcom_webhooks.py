import socket
import time
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from booking.notices import LOOPBACK_WARNING, calendar_notices_connect, calendar_notices_url
from booking.services import BookingError
from companies.commands import company_for_command
from core.public_url import is_loopback


class Command(BaseCommand):
    help = (
        "Have Cal.com send a company's booking changes to AskPro (POST /v2/webhooks with a new "
        "secret), or repair the subscription there is."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument("--base-url", help="where Cal.com reaches us (default: PUBLIC_BASE_URL)")
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="wait this long for Cal.com to accept connections (make run starts the sandbox alongside)",
        )

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        base_url = options["base_url"]
        if base_url and urlsplit(base_url).scheme not in ("http", "https"):
            raise CommandError(f"--base-url must be an http(s) URL, not {base_url!r}.")
        url = calendar_notices_url(company=company, base_url=base_url)
        if options["wait"] and not _reachable(company.calcom_base_url, options["wait"]):
            raise CommandError(f"{company.slug}: Cal.com at {company.calcom_base_url} did not answer.")
        try:
            outcome = calendar_notices_connect(company=company, base_url=base_url)
        except BookingError as exc:
            raise CommandError(f"{company.slug}: {exc.message}") from exc
        self.stdout.write(f"{company.slug}: Cal.com webhooks {outcome}; they go to {url}.")
        if is_loopback(url):
            self.stderr.write(LOOPBACK_WARNING)


def _reachable(base_url: str, seconds: float) -> bool:
    """Whether the host accepts a connection within `seconds` (no request, so no breaker count)."""
    parts = urlsplit(base_url)
    address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(address, timeout=1).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
