"""One booking as the sandbox keeps it (what every sandbox module that shapes or changes a
booking shares: the ledger, its BookingOutput and its webhooks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sandbox.schedule import EventTypeConfig, Host

BLOCKING_STATUSES = ("accepted", "pending")


@dataclass
class Booking:
    id: int
    uid: str
    event_type: EventTypeConfig
    start: datetime
    end: datetime
    status: str
    hosts: tuple[Host, ...]
    attendee: dict
    metadata: dict
    responses: dict
    guests: list[str]
    location: str
    created_at: datetime
    updated_at: datetime
    changes: dict = field(default_factory=dict)  # cancellationReason, rescheduledToUid, ...
    absent_host: bool = False

    @property
    def blocks_time(self) -> bool:
        return self.status in BLOCKING_STATUSES

    @property
    def title(self) -> str:
        """Cal.com's default event name; a team event type names the team as the host."""
        host = self.event_type.team.name if self.event_type.team else self.hosts[0].name
        return f"{self.event_type.title} between {host} and {self.attendee['name']}"

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end
