"""The long-conversation curve: does a bot turn cost more as the conversation gets longer?

    .venv/bin/python bench/long_conversation.py                 # or: make bench-long (a few minutes)
    .venv/bin/python bench/long_conversation.py --tracker-store memory --roll-after 0

Customers talk to Rasa's REST channel (no bridge: what is measured is Rasa, its tracker store, the
escalation policy and the action server) for `--turns` turns each, a fixed script of everyday
questions, an order lookup that needs the order number and the phone's last digits, and
follow-ups that use the remembered order. One message at a time, never two at once; the
conversations (3 by default) start 90 turns apart and take turns, so that turns 1–20 of the last
are measured while turns 181–200 of the first are (and 91–110 of the middle one): a busy machine
weighs on every window alike. Each turn is timed from the request to the full answer, and the
CPU time Rasa and the action server spent on it is read from /proc. It prints the bot-turn p50
and p95 over turns 1–20, 91–110 and 181–200, the mean CPU per turn, and the ratio of the last
window's p50 to the first's (the issue's target: at most 1.25).

Rasa and the action server are started here (scripts/supervise.py) with the real model on free
ports on 127.0.0.1, and a tracker store of `--tracker-store`: `sqlite` (default: a file in a
temporary folder, as `make demo`), `memory` (Rasa's default, for comparison) or a PostgreSQL URL;
`--roll-after` sets how many customer messages a Rasa session holds (jieli_dialogue/tracker_store.py;
0: one session for the whole conversation, as before).

Importable, for the load test: `play(rasa_url, ...)` plays the conversations against a Rasa that
is already running and returns a `Curve`; `run(...)` starts Rasa and the action server, plays,
stops them and returns the `Curve`. Standard library only (runs in either environment).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))  # bench.bridge.common, also when this file is loaded by path
from bench.bridge.common import pct  # noqa: E402
from ports import free_port  # noqa: E402
from supervise import RASA_BIN, rasa_services, start_all, stop_all  # noqa: E402

MODEL = ROOT / "models" / "jieli.tar.gz"
WINDOWS = ((1, 20), (91, 110), (181, 200))
TARGET_RATIO = 1.25

# One round of the script: everyday questions the bot answers without handing over (checked:
# `handovers` in the result must stay 0), an order lookup that needs the order number and the
# phone's last four digits (slots order_topic, order_verify, verified_orders, order_id), and
# follow-ups that use the remembered order. No two messages of a round ask the same thing, so
# the repeated-question signal never fires however long the conversation runs.
SCRIPT = (
    "你好",
    "我的快递到哪了",
    "2024111800045604",
    "尾号4444",
    "退货运费谁出",
    "怎么开增值税专用发票",
    "这个订单什么时候能到",
    "买完就降价了能补差价吗",
    "支持哪些付款方式",
    "这个小夜灯三个按钮分别是干嘛的",
    "七天无理由退货吗",
    "优惠券怎么用",
    "发票抬头写错了怎么办",
    "可以用花呗吗",
    "好的谢谢",
    "人工费怎么算",
    "退款多久到账",
    "我想改一下收货地址",
    "人工智能客服挺好用",
    "拜拜",
)


@dataclass
class Curve:
    """Per-turn latencies (seconds) of every conversation played, and what went wrong."""

    turns: int
    latencies: list[list[float]] = field(default_factory=list)  # [conversation][turn - 1]
    # CPU seconds Rasa and the action server spent on each turn (when their pids are known): unlike
    # the latency, hardly affected by what else the machine runs; /proc counts in 10 ms ticks, so
    # only a window's mean means something
    cpu: list[list[float]] = field(default_factory=list)
    no_reply: int = 0  # turns the bot answered with nothing
    handovers: int = 0  # escalation actions seen in the trackers (must be 0: a paused bot is fast)
    sessions: list[int] = field(default_factory=list)  # Rasa sessions per conversation (rolls + 1)
    label: str = ""

    def window(self, first: int, last: int) -> list[float]:
        return [lat for conv in self.latencies for lat in conv[first - 1 : last]]

    def p(self, first: int, last: int, q: float) -> float:
        return pct(self.window(first, last), q)

    def cpu_ms(self, first: int, last: int) -> float:
        """Mean CPU milliseconds per turn over these turns (nan when not measured)."""
        values = [c for conv in self.cpu for c in conv[first - 1 : last]]
        return sum(values) / len(values) * 1000 if values else float("nan")

    def ratio(self, windows=WINDOWS) -> float:
        """p50 of the last window over p50 of the first."""
        first, last = windows[0], windows[-1]
        return self.p(*last, 50) / self.p(*first, 50)

    def as_dict(self, windows=WINDOWS) -> dict:
        return {
            "label": self.label,
            "turns": self.turns,
            "conversations": len(self.latencies),
            "windows": [
                {
                    "turns": f"{a}-{b}",
                    "p50_ms": round(self.p(a, b, 50) * 1000, 1),
                    "p95_ms": round(self.p(a, b, 95) * 1000, 1),
                    "cpu_ms_per_turn": None if not self.cpu else round(self.cpu_ms(a, b), 1),
                }
                for a, b in windows
                if b <= self.turns
            ],
            "ratio_p50_last_first": round(self.ratio(windows), 3) if windows[-1][1] <= self.turns else None,
            "ratio_cpu_last_first": round(self.cpu_ms(*windows[-1]) / self.cpu_ms(*windows[0]), 3)
            if self.cpu and windows[-1][1] <= self.turns
            else None,
            "no_reply": self.no_reply,
            "handovers": self.handovers,
            "sessions": self.sessions,
        }


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes, from /proc/<pid>/stat (0 for one that is gone)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


class RasaClient:
    """One keep-alive HTTP connection to a Rasa node (a customer's own connection)."""

    def __init__(self, url: str, token: str = "", timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = token
        self.timeout = timeout
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _request(self, method: str, path: str, body: dict | None = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()  # a dropped keep-alive connection: once more on a new one
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{method} {path.split('?')[0]}: HTTP {response.status}: {payload[:200]!r}")
        return json.loads(payload)

    def say(self, sender: str, text: str) -> list[dict]:
        return self._request("POST", "/webhooks/rest/webhook", {"sender": sender, "message": text})

    def events(self, sender: str) -> list[dict]:
        """Every event of the conversation, all sessions (GET /conversations/{id}/tracker)."""
        query = urllib.parse.urlencode({"token": self.token, "include_events": "ALL"})
        return self._request("GET", f"/conversations/{sender}/tracker?{query}").get("events") or []

    def close(self) -> None:
        self.connection.close()


ESCALATION_ACTIONS = {"action_handover", "action_ask_handover_problem", "action_offer_handover"}


def default_stagger(turns: int, conversations: int) -> int:
    """Turns between the starts of the conversations: the first's last 20 turns then run at the
    same time as the last one's first 20 (and, with three, the middle one's 91–110)."""
    return (turns - 20) // (conversations - 1) if conversations > 1 and turns > 20 else 0


def play(
    rasa_url: str,
    token: str = "",
    turns: int = 200,
    conversations: int = 1,
    script: tuple[str, ...] = SCRIPT,
    progress: bool = False,
    pids: list[int] | None = None,
    stagger: int | None = None,
) -> Curve:
    """Play `conversations` conversations of `turns` turns against a running Rasa and time every
    turn. One message at a time (never two at once), round-robin over the conversations, each
    starting `stagger` turns after the one before (default: `default_stagger`), so that the early
    turns of one are measured while the late turns of another are: whatever else the machine does
    meanwhile weighs on both alike. `token`: Rasa's --auth-token (to read the trackers afterwards);
    `pids`: the processes whose CPU time each turn costs (Rasa, the action server), if they run here."""
    stagger = default_stagger(turns, conversations) if stagger is None else stagger
    curve = Curve(turns)
    senders = [f"long-{uuid.uuid4().hex[:12]}" for _ in range(conversations)]
    curve.latencies = [[] for _ in senders]
    curve.cpu = [[] for _ in senders] if pids else []
    client = RasaClient(rasa_url, token)
    try:
        for step in range(turns + stagger * (conversations - 1)):
            for number, sender in enumerate(senders):
                turn = step - number * stagger
                if not 0 <= turn < turns:
                    continue
                cpu_before = cpu_seconds(pids) if pids else 0.0
                started = time.perf_counter()
                replies = client.say(sender, script[turn % len(script)])
                curve.latencies[number].append(time.perf_counter() - started)
                if pids:
                    curve.cpu[number].append(cpu_seconds(pids) - cpu_before)
                if not replies:
                    curve.no_reply += 1
            if progress and (step + 1) % 50 == 0:
                recent = [lat for conv in curve.latencies for lat in conv[-10:]]
                print(
                    f"  step {step + 1}: p50 of the latest turns {pct(recent, 50) * 1000:.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )
        if token:
            for sender in senders:
                events = client.events(sender)
                curve.handovers += sum(
                    1 for e in events if e.get("event") == "action" and e.get("name") in ESCALATION_ACTIONS
                )
                curve.sessions.append(sum(1 for e in events if e.get("event") == "session_started"))
    finally:
        client.close()
    return curve


def seed_shop(db_url: str) -> None:
    subprocess.run(
        [str(RASA_BIN / "python"), "-m", "actions.shop.seed", "--db", db_url, "--reset"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )


def run(
    turns: int = 200,
    conversations: int = 3,
    tracker_store: str = "sqlite",
    model: Path = MODEL,
    progress: bool = False,
    env: dict[str, str] | None = None,
    roll_after: int | None = None,
) -> Curve:
    """Start Rasa and the action server (the real model, `tracker_store`: "sqlite", "memory" or a
    PostgreSQL URL; `roll_after`: customer messages per Rasa session, None for the default, 0 for
    never — jieli_dialogue/tracker_store.py), play the conversations straight to Rasa's REST
    channel, stop them."""
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}: run make train first")
    with tempfile.TemporaryDirectory(prefix="jieli-long-") as tmp_name:
        tmp = Path(tmp_name)
        private_model = tmp / "jieli.tar.gz"  # a `make train` meanwhile must not swap it under Rasa
        shutil.copyfile(model, private_model)
        shop_db = f"sqlite:///{tmp / 'shop.db'}"
        seed_shop(shop_db)
        store = f"sqlite:///{tmp / 'rasa' / 'trackers.db'}" if tracker_store == "sqlite" else tracker_store
        rasa_port, action_port = free_port(), free_port()
        extra = {} if roll_after is None else {"roll_after": roll_after}
        services = rasa_services(rasa_port, action_port, private_model, tmp / "log", tracker_store=store, **extra)
        for service in services:
            service.env.update(
                {
                    "JIELI_SHOP_DB_URL": shop_db,
                    "JIELI_SHOP_ADAPTER": "sql",
                    "JIELI_BRIDGE_URL": "",
                    # one OpenMP thread, as Rasa runs in production: the sentence encoder's spinning
                    # OpenMP threads otherwise cost several times a turn's own CPU on a busy machine
                    "OMP_NUM_THREADS": "1",
                    **(env or {}),
                }
            )
        start_all(services)
        try:
            client = RasaClient(f"http://127.0.0.1:{rasa_port}")
            try:  # warm up: the first turns of a fresh Rasa load code and fill caches
                for text in SCRIPT:
                    client.say(f"warm-{uuid.uuid4().hex[:8]}", text)
            finally:
                client.close()
            curve = play(
                f"http://127.0.0.1:{rasa_port}",
                services[1].token,
                turns=turns,
                conversations=conversations,
                progress=progress,
                pids=[service.process.pid for service in services],
            )
        finally:
            stop_all(services)
    curve.label = "memory" if tracker_store == "memory" else urllib.parse.urlsplit(store).scheme
    if tracker_store != "memory" and roll_after is not None:
        curve.label += f", roll_after {roll_after}"
    return curve


def report(curve: Curve, windows=WINDOWS) -> str:
    lines = [
        f"long conversation ({curve.label or 'tracker store ?'}): {len(curve.latencies)} conversation(s) of "
        f"{curve.turns} turns, straight to Rasa's REST channel",
        f"  {'turns':>9}  {'p50 ms':>8}  {'p95 ms':>8}"
        + (f"  {'CPU ms/turn':>11}  (Rasa + action server, mean)" if curve.cpu else ""),
    ]
    for first, last in windows:
        if last <= curve.turns:
            lines.append(
                f"  {first:>4}-{last:<4}  {curve.p(first, last, 50) * 1000:8.1f}  {curve.p(first, last, 95) * 1000:8.1f}"
                + (f"  {curve.cpu_ms(first, last):11.1f}" if curve.cpu else "")
            )
    if windows[-1][1] <= curve.turns:
        if curve.cpu:
            cpu_ratio = curve.cpu_ms(*windows[-1]) / curve.cpu_ms(*windows[0])
            lines.append(
                f"  CPU per turn, turns {windows[-1][0]}-{windows[-1][1]} / {windows[0][0]}-{windows[0][1]} = {cpu_ratio:.2f}"
            )
        ratio = curve.ratio(windows)
        verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
        lines.append(
            f"  p50({windows[-1][0]}-{windows[-1][1]}) / p50({windows[0][0]}-{windows[0][1]}) = {ratio:.2f}"
            f"  (target ≤ {TARGET_RATIO}: {verdict})"
        )
    lines.append(
        f"  turns without a reply: {curve.no_reply}; escalations: {curve.handovers} (both should be 0); "
        f"Rasa sessions per conversation: {curve.sessions or 'n/a'}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument(
        "--conversations", type=int, default=3, help="staggered, one message at a time (default 3, see play())"
    )
    parser.add_argument(
        "--tracker-store",
        default="sqlite",
        help="sqlite (default), memory, or postgresql://user@host:port/db (a database of its own: it is left behind)",
    )
    parser.add_argument(
        "--roll-after",
        type=int,
        default=None,
        help="customer messages per Rasa session (SQL stores; default: the store's, 20; 0: never roll)",
    )
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the ratio misses the target")
    args = parser.parse_args(argv)
    curve = run(
        args.turns, args.conversations, args.tracker_store, args.model, progress=True, roll_after=args.roll_after
    )
    print(report(curve))
    if args.json:
        print(json.dumps(curve.as_dict(), ensure_ascii=False))
    if curve.handovers or curve.no_reply:
        print("error: the conversation escalated or went silent; the figures do not measure bot turns", file=sys.stderr)
        return 1
    if args.strict and args.turns >= WINDOWS[-1][1] and curve.ratio() > TARGET_RATIO:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
