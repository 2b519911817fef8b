"""python -m actions.shop.seed: schema, idempotent loading, --reset, relative dates."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from actions import timeutil
from actions.shop import seed as seed_module
from actions.shop.seed import main, seed
from actions.shop.sql import SqlShopAdapter, orders_table
from jieli_testkit import FROZEN_NOW, ROOT


def count_rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("shop_orders", "shop_order_items", "shop_tracking_events", "shop_refunds")
            }
    finally:
        engine.dispose()


def test_seed_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'shop.db'}"  # the directory is created
    assert seed(url, now=FROZEN_NOW) == {"inserted": 13, "skipped": 0}
    first = count_rows(url)
    assert seed(url, now=FROZEN_NOW) == {"inserted": 0, "skipped": 13}
    assert (
        count_rows(url)
        == first
        == {"shop_orders": 13, "shop_order_items": 14, "shop_tracking_events": 19, "shop_refunds": 5}
    )


def test_reset_replaces_only_the_demo_orders(tmp_path):
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    seed(url, now=FROZEN_NOW)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(orders_table).where(orders_table.c.order_id == "2024112000023402").values(status="cancelled")
        )
        conn.execute(sa.insert(orders_table).values(order_id="1234567890123456", status="paid", total_cents=100))
    engine.dispose()
    assert seed(url, reset=True, now=FROZEN_NOW + timedelta(days=1)) == {"inserted": 13, "skipped": 0}
    adapter = SqlShopAdapter(url)
    assert adapter.get_order("2024112000023402").status == "paid"
    assert adapter.get_order("2024112000023402").paid_at == FROZEN_NOW + timedelta(days=1) - timedelta(hours=6)
    assert adapter.get_order("1234567890123456").status == "paid"
    adapter.close()
    assert count_rows(url)["shop_orders"] == 14


def test_relative_times_are_taken_from_the_seeding_moment(tmp_path):
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    seed(url, now=FROZEN_NOW)
    adapter = SqlShopAdapter(url)
    case = adapter.get_order("2024111500034503")
    assert case.paid_at == FROZEN_NOW - timedelta(days=5)
    assert case.created_at == FROZEN_NOW - timedelta(days=5, minutes=1)
    refund = adapter.get_refund("2024111500034503")
    assert refund.updated_at == FROZEN_NOW - timedelta(days=1, hours=23, minutes=59)
    adapter.close()


@pytest.mark.parametrize(
    "value,expected",
    [
        ("now", FROZEN_NOW),
        ("-5d", FROZEN_NOW - timedelta(days=5)),
        ("-1d23h59m", FROZEN_NOW - timedelta(days=1, hours=23, minutes=59)),
        ("+2h", FROZEN_NOW + timedelta(hours=2)),
        ("-30s", FROZEN_NOW - timedelta(seconds=30)),
        ("2024-11-15 10:00", datetime(2024, 11, 15, 2, 0, tzinfo=timezone.utc)),
        ("2024-11-15T10:00:00+08:00", datetime(2024, 11, 15, 2, 0, tzinfo=timezone.utc)),
        ("2024-11-15T02:00:00Z", datetime(2024, 11, 15, 2, 0, tzinfo=timezone.utc)),
        (None, None),
        ("", None),
    ],
)
def test_parse_time(value, expected):
    assert timeutil.parse_time(value, now=FROZEN_NOW) == expected


@pytest.mark.parametrize("value", ["-", "-5x", "yesterday", "2024-13-45"])
def test_parse_time_rejects_nonsense(value):
    with pytest.raises(ValueError):
        timeutil.parse_time(value, now=FROZEN_NOW)


def test_fmt_time_and_duration():
    assert timeutil.fmt_time(datetime(2024, 11, 15, 2, 0, tzinfo=timezone.utc), FROZEN_NOW) == "11月15日 10:00"
    assert timeutil.fmt_time(datetime(2023, 12, 30, 20, 0, tzinfo=timezone.utc), FROZEN_NOW) == "2023年12月31日 04:00"
    assert timeutil.fmt_time(None) == ""
    assert timeutil.fmt_duration(timedelta(days=3, hours=5)) == "3 天"
    assert timeutil.fmt_duration(timedelta(hours=5)) == "5 小时"
    assert timeutil.fmt_duration(timedelta(seconds=10)) == "1 分钟"


def test_cli(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    assert main(["--db", url]) == 0
    assert "13 orders loaded, 0 already there" in capsys.readouterr().out
    assert main(["--db", url, "--reset"]) == 0
    assert "13 orders loaded" in capsys.readouterr().out


def test_cli_reports_bad_data(tmp_path, capsys):
    bad = tmp_path / "orders.yml"
    bad.write_text("orders:\n  - {order_id: '2024010100000001', status: lost, items: []}\n", encoding="utf-8")
    assert main(["--db", f"sqlite:///{tmp_path / 'seeded.db'}", "--file", str(bad)]) == 1
    assert "unknown status 'lost'" in capsys.readouterr().err


def test_cli_as_a_module(tmp_path):
    """The command the Makefile runs, in a fresh interpreter, with a minimal environment."""
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "actions.shop.seed", "--db", url, "--reset"],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "13 orders loaded" in result.stdout
    assert count_rows(url)["shop_orders"] == 13


def test_default_file_is_the_demo_orders():
    assert seed_module.DEFAULT_FILE == ROOT / "shop" / "demo_orders.yml"
