"""Whether PUBLIC_BASE_URL is an address Retell and Cal.com can reach: the one rule for the
warnings on the company page, the set-up check and the commands that print our URLs."""

import ipaddress
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

LOCAL_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(url: str) -> bool:
    """Whether `url` names this machine itself (the sandbox, `make run`)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url_problem(url: str) -> str | None:
    """Why Retell and Cal.com cannot call `url`; None when it looks like a public https address."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return _("%(url)s is not https: Retell and Cal.com call only public https addresses.") % {"url": url}
    if not host or is_loopback(url) or host.endswith(".local"):
        return _("%(url)s names this machine: Retell and Cal.com cannot reach it.") % {"url": url}
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return _("%(url)s is a private address: Retell and Cal.com cannot reach it.") % {"url": url}
    return None
