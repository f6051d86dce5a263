"""django-q2 tasks for data protection."""

from askpro.correlation import bound
from privacy.retention import apply_retention_everywhere


def apply_retention_daily() -> dict[str, dict[str, int]]:
    """Daily (migration 0001): every company's due personal data goes. Each company's run logs
    its counts and leaves one audit entry; what is returned, {slug: {kind: rows}}, names only
    the companies where something was removed."""
    with bound():
        reports = apply_retention_everywhere()
    return {report.company: report.removed for report in reports if report.total}
