"""The support lead's figures for a period: conversations, bot containment, handovers by reason and
category, wait to the first agent reply, handling time, tickets, ratings, and abusive messages
masked per agent. docs/analytics.md defines every figure; the SQL is in repositories/analytics.py.

Periods are whole local days in the shop's time zone (JIELI_TIMEZONE, Asia/Shanghai by default):
`from` and `to` are both included, so from=to=today is today, and the period is the half-open UTC
interval [from 00:00 local, the day after `to` 00:00 local).

Percentiles (p50, p90) use the nearest-rank method: sort the n durations ascending; the p-th
percentile is the value at rank ⌈p·n/100⌉. With durations 10, 20, 30, 40 s: p50 = rank 2 = 20 s,
p90 = rank ⌈3.6⌉ = 4 = 40 s. It is always a duration that really happened (no interpolation),
and it is what a lead means by "nine in ten customers waited at most this long".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...config import CATEGORIES
from ...domain.errors import Invalid
from ...models import Handover, utcnow
from ...repositories import analytics as repo
from ...repositories import assist as assist_repo
from ..wiring.context import Context

MAX_DAYS = 366
DEFAULT_DAYS = 7
PERCENTILES = (50, 90)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    first: date  # first local day, included
    last: date  # last local day, included
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def day_start(self, day: date) -> datetime:
        """The UTC instant local `day` begins."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(timezone.utc)

    @property
    def start(self) -> datetime:
        return self.day_start(self.first)

    @property
    def end(self) -> datetime:
        return self.day_start(self.last + timedelta(days=1))

    @property
    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    @property
    def bounds(self) -> list[datetime]:
        """Where each local day after the first starts (UTC): the daily buckets' edges."""
        return [self.day_start(d) for d in self.dates[1:]]


def zone_of(name: str | None, default: str) -> ZoneInfo:
    name = (name or "").strip() or default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)", "invalid_tz") from None


def _date(value: str, name: str) -> date:
    if not _DATE.match(value.strip()):
        raise Invalid(f"{name} must be a date written YYYY-MM-DD, got {value[:40]!r}", "invalid_date")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{name} is not a real date: {value[:40]!r}", "invalid_date") from None


def parse_period(
    first: str | None,
    last: str | None,
    days: str | None,
    tz: str | None,
    *,
    default_tz: str,
    now: datetime | None = None,
) -> Period:
    """The period of a request. `from`+`to` (YYYY-MM-DD, both included), or `from` alone (to
    today), or `days=N` (the last N days, today included), or nothing (the last 7 days). At most
    MAX_DAYS days; `from` after `to` is refused."""
    zone = zone_of(tz, default_tz)
    today = (now or utcnow()).astimezone(zone).date()
    if days not in (None, "") and (first or last):
        raise Invalid("give either from/to or days, not both", "invalid_period")
    if first or last:
        if not first:
            raise Invalid("to needs a from (from=YYYY-MM-DD)", "invalid_period")
        start = _date(first, "from")
        end = _date(last, "to") if last else today
    else:
        count = DEFAULT_DAYS
        if days not in (None, ""):
            if not str(days).strip().isdigit():
                raise Invalid(f"days must be a whole number from 1 to {MAX_DAYS}", "invalid_days")
            count = int(str(days).strip())
            if not 1 <= count <= MAX_DAYS:
                raise Invalid(f"days must be a whole number from 1 to {MAX_DAYS}", "invalid_days")
        end, start = today, today - timedelta(days=count - 1)
    if start > end:
        raise Invalid(f"from ({start.isoformat()}) is after to ({end.isoformat()})", "invalid_period")
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(f"the period is {(end - start).days + 1} days; at most {MAX_DAYS} are allowed", "period_too_long")
    return Period(start, end, zone)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def _stats(stats: repo.Stats) -> dict[str, Any]:
    return {
        "count": stats.count,
        "mean": _round(stats.mean),
        **{f"p{p}": _round(v) for p, v in (stats.percentiles or {}).items()},
        "max": _round(stats.maximum),
    }


class AnalyticsService:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def period(
        self,
        first: str | None = None,
        last: str | None = None,
        days: str | None = None,
        tz: str | None = None,
        now: datetime | None = None,
    ) -> Period:
        return parse_period(first, last, days, tz, default_tz=self.ctx.settings.timezone, now=now)

    async def summary(self, period: Period) -> dict[str, Any]:
        """Every figure of the dashboard for `period` (see docs/analytics.md)."""
        start, end, bounds = period.start, period.end, period.bounds
        async with self.ctx.db.read() as session:
            daily_conversations = await repo.conversations(session, start, end, bounds)
            reasons = await repo.handovers_by(session, Handover.reason, start, end)
            categories = await repo.handovers_by(session, Handover.category, start, end)
            outcomes = await repo.handovers_by(session, repo.OUTCOME, start, end)
            daily_handovers = await repo.handovers_daily(session, start, end, bounds)
            wait = await repo.duration_stats(
                session, Handover.first_reply_at, Handover.queued_at, start, end, PERCENTILES
            )
            accept = await repo.duration_stats(
                session, Handover.accepted_at, Handover.queued_at, start, end, PERCENTILES
            )
            handling = await repo.duration_stats(
                session, Handover.closed_at, Handover.accepted_at, start, end, PERCENTILES
            )
            rating_counts = await repo.ratings(session, start, end)
            daily_tickets, answered = await repo.tickets(session, start, end, bounds)
            open_now = await repo.open_tickets(session)
            abusive_total = await repo.abusive_messages(session, start, end)
            abusive = await repo.abusive_by_agent(session, start, end)
            agent_rows = await repo.per_agent(session, start, end)
            names = await repo.agents(session, sorted({*abusive, *(r["agent_id"] for r in agent_rows)}))
            suggestion_uses = await assist_repo.use_counts(session, start, end)
            suggestion_sources = await assist_repo.use_counts_by_source(session, start, end)

        by_day = {int(r["bucket"]): r for r in daily_conversations}
        totals = {
            key: sum(int(r[key]) for r in daily_conversations)
            for key in ("opened", "total", "contained", "handed_over", "ticket_only", "demo")
        }
        handovers_total = sum(reasons.values())
        rated = sum(rating_counts.values())
        daily = []
        for index, day in enumerate(period.dates):
            row = by_day.get(index, {})
            total, contained = int(row.get("total", 0)), int(row.get("contained", 0))
            daily.append(
                {
                    "date": day.isoformat(),
                    "conversations": total,
                    "contained": contained,
                    "containment_rate": _rate(contained, total),
                    "handovers": daily_handovers.get(index, 0),
                    "tickets_opened": daily_tickets.get(index, 0),
                }
            )

        agents: dict[int, dict[str, Any]] = {}
        for r in agent_rows:
            agents[int(r["agent_id"])] = {
                "handovers": int(r["handovers"]),
                "closed": int(r["closed"]),
                "handling_mean": _round(r["handling_mean"]),
                "ratings": int(r["ratings"]),
                "rating_mean": _round(r["rating_mean"], 2),
            }
        for agent_id in abusive:
            agents.setdefault(
                agent_id, {"handovers": 0, "closed": 0, "handling_mean": None, "ratings": 0, "rating_mean": None}
            )
        agent_list = []
        for agent_id, data in agents.items():
            username, display = names.get(agent_id, (f"#{agent_id}", f"#{agent_id}"))
            agent_list.append(
                {
                    "agent_id": agent_id,
                    "username": username,
                    "display_name": display,
                    **data,
                    "abusive_masked": abusive.get(agent_id, 0),
                }
            )
        agent_list.sort(key=lambda a: (-a["handovers"], a["username"]))

        return {
            "period": {
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                "days": period.days,
                "timezone": period.zone.key,
                "start": period.start.astimezone(period.zone).isoformat(),
                "end": period.end.astimezone(period.zone).isoformat(),
            },
            "generated_at": utcnow().astimezone(period.zone).isoformat(timespec="seconds"),
            "demo": {"present": totals["demo"] > 0, "conversations": totals["demo"]},
            "conversations": {
                "opened": totals["opened"],
                "total": totals["total"],
                "contained": totals["contained"],
                "containment_rate": _rate(totals["contained"], totals["total"]),
                "handed_over": totals["handed_over"],
                "ticket_only": totals["ticket_only"],
            },
            "handovers": {
                "total": handovers_total,
                "by_reason": _ranked(reasons, "reason"),
                "by_category": _ranked({c: categories.get(c, 0) for c in CATEGORIES} | categories, "category"),
                "outcomes": {k: outcomes.get(k, 0) for k in ("answered", "cancelled", "ticket", "waiting", "other")},
            },
            "first_reply_wait": _stats(wait),
            "accept_wait": _stats(accept),
            "handling": _stats(handling),
            "tickets": {"opened": sum(daily_tickets.values()), "answered": answered, "open_now": open_now},
            "ratings": {
                "count": rated,
                "average": _round(sum(s * n for s, n in rating_counts.items()) / rated, 2) if rated else None,
                "distribution": {str(s): rating_counts.get(s, 0) for s in range(1, 6)},
            },
            "abuse": {"messages": abusive_total, "masked_by_agents": sum(abusive.values())},
            "suggestions": suggestion_figures(suggestion_uses, suggestion_sources),
            "agents": agent_list,
            "daily": daily,
        }

    async def rolling(self, hours: int = 24) -> dict[str, Any]:
        """The figures /metrics exposes: the last `hours` hours up to now (not local days)."""
        end = utcnow()
        start = end - timedelta(hours=hours)
        async with self.ctx.db.read() as session:
            [row] = await repo.conversations(session, start, end)
            wait = await repo.duration_stats(
                session, Handover.first_reply_at, Handover.queued_at, start, end, PERCENTILES
            )
            handling = await repo.duration_stats(
                session, Handover.closed_at, Handover.accepted_at, start, end, PERCENTILES
            )
            rating_counts = await repo.ratings(session, start, end)
            open_now = await repo.open_tickets(session)
        total, contained = int(row["total"]), int(row["contained"])
        return {
            "conversations": total,
            "contained": contained,
            "containment_rate": _rate(contained, total),
            "first_reply_wait": wait,
            "handling": handling,
            "ratings": rating_counts,
            "open_tickets": open_now,
        }


def suggestion_figures(uses: dict[str, int], sources: dict[str, int]) -> dict[str, Any]:
    """Agents' replies in the period by what they did with a suggested reply (services/assist/)."""
    replies = sum(uses.values())
    used = uses.get("as_is", 0) + uses.get("edited", 0)
    return {
        "replies": replies,
        "as_is": uses.get("as_is", 0),
        "edited": uses.get("edited", 0),
        "none": uses.get("none", 0),
        "use_rate": _rate(used, replies),
        "as_is_rate": _rate(uses.get("as_is", 0), replies),
        "by_source": {key: sources.get(key, 0) for key in ("policy", "manual", "reviewed", "colleague")},
    }


def _ranked(counts: dict[str, int], key: str) -> list[dict[str, Any]]:
    """Largest first, then by name; zero rows are kept (the five categories always show)."""
    return [{key: name, "count": count} for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
