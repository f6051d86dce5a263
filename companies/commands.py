"""Helpers for management commands that act on one company."""

from django.core.management.base import CommandError

from companies.models import Company


def company_for_command(slug: str) -> Company:
    """The company named by `--company`, or a CommandError (exit non-zero) saying there is none."""
    company = Company.objects.filter(slug=slug).first()
    if company is None:
        raise CommandError(f"No company with slug {slug!r}.")
    return company
