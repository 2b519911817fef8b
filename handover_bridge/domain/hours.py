"""Business hours ("09:00-22:00" in Asia/Shanghai by default): when agents are expected.

It imports nothing of the bridge: the settings (config.py) validate JIELI_BUSINESS_HOURS and
JIELI_TIMEZONE with `BusinessHours.parse` and turn an InvalidHours into their ConfigError."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class InvalidHours(ValueError):
    """A business-hours spec or time zone that cannot be read (the message names the setting)."""


@dataclass(frozen=True)
class BusinessHours:
    start: int  # minutes after midnight
    end: int  # minutes after midnight; 1440 = midnight at the end of the day
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone_name: str) -> BusinessHours:
        """`HH:MM-HH:MM`; an empty spec means always open; an end before the start wraps midnight."""
        try:
            zone = ZoneInfo(timezone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidHours(f"JIELI_TIMEZONE: unknown time zone {timezone_name!r}") from None
        if not spec.strip():
            return cls(0, 1440, zone)
        try:
            first, last = (part.strip() for part in spec.split("-"))
            start, end = _minutes(first), _minutes(last)
        except ValueError:
            raise InvalidHours(f"JIELI_BUSINESS_HOURS: expected HH:MM-HH:MM, got {spec!r}") from None
        return cls(start, end, zone)

    def is_open(self, now: datetime | None = None) -> bool:
        local = (now or datetime.now(timezone.utc)).astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        if self.start == self.end or (self.start == 0 and self.end == 1440):
            return True
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    h, m = int(hours), int(minutes or 0)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(text)
    return h * 60 + m


__all__ = ["BusinessHours", "InvalidHours"]
