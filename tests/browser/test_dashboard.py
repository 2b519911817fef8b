"""The lead's dashboard (console/dashboard.html) in a real browser, on a bridge seeded with the demo
week (`python -m handover_bridge seed-demo-week`): the figures on the page are the API's, the
periods switch, bad custom periods are explained, the 演示数据 badge shows, agents without the
lead role are told so, and the page logs no errors. The screenshot is docs/screenshots/dashboard.png."""

from __future__ import annotations

import re
import subprocess
import sys

from playwright.sync_api import Page, expect

from .conftest import DESKTOP, PASSWORD, ROOT, PageWatch, shot


def seed(bridge) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "handover_bridge", "seed-demo-week"],
        cwd=ROOT,
        env=bridge.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def login(page: Page, bridge, username: str) -> None:
    page.goto(f"{bridge.url}/console/dashboard.html")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#app")).to_be_visible()


def number(value: int) -> str:
    return f"{value:,}"


def test_dashboard_shows_the_figures_of_the_demo_week(bridge, contexts):
    assert "review candidates" in seed(bridge)
    token = bridge.agent_token("agent1")
    week = bridge.agent_call(token, "GET", "/analytics", params={"days": 7})
    assert week["demo"]["present"] and week["conversations"]["total"] > 100

    page = contexts(DESKTOP).new_page()
    watch = PageWatch(page, "dashboard")
    login(page, bridge, "agent1")
    expect(page.locator(".period.active")).to_have_text("近7天")
    expect(page.locator("#review-link")).to_be_visible()  # agent1 is a designer too
    expect(page.locator("#demo-badge")).to_be_visible()
    expect(page.locator("#demo-badge")).to_have_text("演示数据")
    expect(page.locator("#demo-note")).to_contain_text(
        f"{week['demo']['conversations']} 个会话是 make demo 生成的演示会话"
    )
    expect(page.locator("#period-label")).to_have_text(f"{week['period']['from']} 至 {week['period']['to']}（共 7 天）")

    # the key figures are the API's
    c = week["conversations"]
    expect(page.locator("#k-conversations")).to_have_text(number(c["total"]))
    expect(page.locator("#k-containment")).to_have_text(f"{c['containment_rate'] * 100:.1f}%")
    expect(page.locator("#k-handovers")).to_have_text(number(week["handovers"]["total"]))
    expect(page.locator("#k-tickets")).to_have_text(f"{week['tickets']['opened']} 新增")
    expect(page.locator("#k-rating")).to_have_text(f"{week['ratings']['average']:.2f} 分")
    expect(page.locator("#k-abuse")).to_have_text(number(week["abuse"]["messages"]))
    expect(page.locator("#k-wait")).to_have_text(re.compile(r"^中位 \d+(分\d{2})?秒$"))

    # the charts: a bar per segment and day, a row per reason, a slice per category, the agents
    segments = sum((d["contained"] > 0) + (d["conversations"] > d["contained"]) for d in week["daily"])
    expect(page.locator("#chart-daily rect")).to_have_count(segments)
    expect(page.locator("#chart-daily .rate-dot")).to_have_count(
        sum(d["containment_rate"] is not None for d in week["daily"])
    )
    expect(page.locator("#chart-reasons .bar-row")).to_have_count(len(week["handovers"]["by_reason"]))
    expect(page.locator("#chart-reasons")).to_contain_text("顾客要求人工")
    expect(page.locator("#chart-categories path")).to_have_count(
        sum(r["count"] > 0 for r in week["handovers"]["by_category"])
    )
    expect(page.locator("#chart-categories .donut-total")).to_have_text(str(week["handovers"]["total"]))
    expect(page.locator("#chart-ratings .bar-row")).to_have_count(5)
    expect(page.locator("#agents tr")).to_have_count(len(week["agents"]))
    expect(page.locator("#agents")).to_contain_text("小一")

    # today, 30 days, a custom period (a wrong one is explained, not sent)
    today = bridge.agent_call(token, "GET", "/analytics", params={"days": 1})
    page.locator(".period", has_text="今天").click()
    expect(page).to_have_url(re.compile(r"#days=1$"))
    expect(page.locator("#period-label")).to_have_text(f"{today['period']['from']}（1 天）")
    expect(page.locator("#k-conversations")).to_have_text(number(today["conversations"]["total"]))
    page.locator(".period", has_text="近30天").click()
    expect(page.locator("#period-label")).to_contain_text("共 30 天")
    page.locator(".period", has_text="自定义").click()
    page.locator("#from").fill(week["period"]["to"])
    page.locator("#to").fill(week["period"]["from"])
    page.locator("#apply").click()
    expect(page.locator("#notice")).to_have_text("开始日期不能晚于结束日期。")
    page.locator("#from").fill(week["period"]["from"])
    page.locator("#to").fill(week["period"]["to"])
    page.locator("#apply").click()
    expect(page.locator("#notice")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"#from=.+&to=.+$"))
    expect(page.locator("#k-conversations")).to_have_text(number(c["total"]))

    # the screenshot for the README: the last 7 days
    page.locator(".period", has_text="近7天").click()
    expect(page.locator("#period-label")).to_contain_text("共 7 天")
    expect(page.locator("#content")).to_have_attribute("aria-busy", "false")
    page.mouse.move(2, 2)
    shot(page, "dashboard", full_page=True)

    page.reload()  # the period and the login survive
    expect(page.locator(".period.active")).to_have_text("近7天")
    expect(page.locator("#k-conversations")).to_have_text(number(c["total"]))
    watch.assert_clean()


def test_the_console_login_opens_the_dashboard_and_agents_need_the_lead_role(bridge, contexts):
    page = contexts(DESKTOP).new_page()
    watch = PageWatch(page, "dashboard")
    # logged in on the console: the dashboard in the same tab needs no second login
    page.goto(f"{bridge.url}/console/")
    page.locator("#login-username").fill("agent1")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#app")).to_be_visible()
    page.goto(f"{bridge.url}/console/dashboard.html")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()
    expect(page.locator("#me-name")).to_contain_text("agent1")
    expect(page.locator("#demo-badge")).to_be_hidden()  # nothing seeded here
    expect(page.locator("#k-conversations")).to_have_text("0")
    expect(page.locator("#chart-daily")).to_contain_text("本时段没有数据")
    page.locator("#logout").click()
    expect(page.locator("#login")).to_be_visible()

    # agent2 is an agent, not a lead
    page.locator("#login-username").fill("agent2")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#notice")).to_have_text("数据看板需要组长（lead）权限，请联系管理员开通。")
    expect(page.locator("#content")).to_be_hidden()
    expect(page.locator("#review-link")).to_be_hidden()
    watch.assert_clean()
