"""Time helpers: one clock for the whole action server (tests replace `now_utc`), and the
customer-facing wording of dates in Beijing time.

Everything inside is timezone-aware UTC; the database stores naive UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "CST")

_RELATIVE = re.compile(r"^([+-])(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def now_utc() -> datetime:
    """The current time (aware, UTC). Tests monkeypatch this function."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC for any datetime; naive values are taken to be UTC (how the database keeps them)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def naive_utc(value: datetime | None) -> datetime | None:
    value = as_utc(value)
    return value.replace(tzinfo=None) if value else None


def parse_time(value, now: datetime | None = None, naive_tz=BEIJING) -> datetime | None:
    """Parse "now", a relative offset ("-5d", "-2h30m", "-1d23h59m") or an absolute time.

    Absolute times without an offset are read in ``naive_tz`` (Beijing time by default, how
    Chinese shops write them). Returns aware UTC, or None for empty values.
    Raises ValueError for text that is none of these.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value) if value.tzinfo else value.replace(tzinfo=naive_tz).astimezone(timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), timezone.utc)
    text = str(value).strip()
    now = as_utc(now) or now_utc()
    if text.lower() == "now":
        return now
    match = _RELATIVE.match(text)
    if match and any(match.group(i) for i in range(2, 6)):
        sign, days, hours, minutes, seconds = match.groups()
        delta = timedelta(
            days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=int(seconds or 0)
        )
        return now - delta if sign == "-" else now + delta
    text = text.replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)  # raises ValueError on nonsense
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed.astimezone(timezone.utc)


def fmt_time(value: datetime | None, now: datetime | None = None) -> str:
    """ "11月20日 14:30" in Beijing time (with the year when it is not this year)."""
    value = as_utc(value)
    if value is None:
        return ""
    local = value.astimezone(BEIJING)
    current = (as_utc(now) or now_utc()).astimezone(BEIJING)
    text = f"{local.month}月{local.day}日 {local:%H:%M}"
    return text if local.year == current.year else f"{local.year}年{text}"


def fmt_duration(delta: timedelta) -> str:
    """A rough, customer-friendly length of time: "3 天", "5 小时", "20 分钟"."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds >= 86400:
        return f"{seconds // 86400} 天"
    if seconds >= 3600:
        return f"{seconds // 3600} 小时"
    return f"{max(1, seconds // 60)} 分钟"
