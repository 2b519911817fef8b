"""One phase of the load test against a running set-up: the swarm (swarm.py) in a process of its
own for a fixed time, every program's CPU and memory sampled meanwhile (procs.py), and programs
killed with kill -9 on schedule (Topology.kill; supervisord restarts them, and the time until each
answers its health check again is noted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import script
from .procs import Sampler

ROOT = Path(__file__).resolve().parents[2]  # bench/load/phases.py
SWARM_PY = ROOT / ".venv" / "bin" / "python"


@dataclass
class Kill:
    after: float  # seconds after the last user was spawned
    program: str  # rasa-1, actions-1, bridge-1 …
    at: float | None = None  # epoch of the kill
    pid: int = 0
    restarted_at: float | None = None  # epoch when supervisord ran it again (a new pid)
    back_at: float | None = None  # epoch when it answered its health check again
    error: str = ""


@dataclass
class Phase:
    name: str
    customers: int
    seconds: float  # of load after the last user was spawned
    mix: dict[str, int]  # journey → weight: faq, order, handover
    think: tuple[float, float] = (1.0, 3.0)
    spawn_rate: float = 10.0
    warmup: float = 5.0  # seconds after the spawn not counted in the window
    idle: float = 8.0  # seconds of no load before it: every program's CPU when nobody talks
    agents: list[tuple[str, str]] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)


@dataclass
class Result:
    phase: Phase
    swarm: dict  # what swarm.py wrote: turns, sent, handovers, drops, …
    window: tuple[float, float]  # epoch: the measured part (after warm-up, until the stop)
    cpu: dict[str, float]  # program → CPU seconds in the window
    busy: float  # the machine's busy CPU seconds in the window (all processes, ours and others)
    rss_end: dict[str, int]
    rss_peak: dict[str, int]
    topology: str  # e.g. "scaled: 2 bridges, 2 Rasa nodes, 2 action servers, HAProxy"
    idle: dict[str, float] = field(default_factory=dict)  # program → cores busy with no load

    @property
    def seconds(self) -> float:
        return max(self.window[1] - self.window[0], 1e-9)

    def bot_turns(self, inside: bool = True) -> list[dict]:
        """Turns that went to the bot (not relayed to an agent), finished inside the window."""
        start, end = self.window
        return [
            t
            for t in self.swarm["turns"]
            if t["kind"] != "relay" and (not inside or start <= t["at"] + t["seconds"] <= end)
        ]


def warm_up(url: str, conversations: int = 4) -> float:
    """A few conversations through the front before anything is measured (a fresh Rasa is slow
    on its first turns of each kind); every node gets some with a few conversations. Returns the
    seconds it took."""
    started = time.monotonic()
    texts = (*script.FAQ[:4], script.ORDER_ASK, script.ORDERS[0][0], f"尾号{script.ORDERS[0][1]}")
    for _ in range(conversations):
        created = _post(f"{url}/api/conversations", {"metadata": {}})
        for text in texts:
            _post(
                f"{url}/api/conversations/{created['conversation_id']}/messages",
                {"text": text, "client_msg_id": uuid.uuid4().hex},
                created["token"],
            )
    return time.monotonic() - started


def _post(url: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def run(topology, phase: Phase, sampler: Sampler, extra_pids: dict[str, int], work: Path, label: str) -> Result:
    """Run `phase` against `topology` (scripts/topology.py's Topology)."""
    quiet_from = time.time()
    time.sleep(phase.idle)  # what the programs cost with nobody talking: health checks, sweeps
    idle_seconds, idle_cpu, _ = sampler.window(quiet_from, sampler.read().at)
    spawn_seconds = (phase.customers + len(phase.agents)) / phase.spawn_rate
    began = time.time()
    stop_at = began + spawn_seconds + 2.0 + phase.seconds
    config = {
        "plan": {
            "url": topology.url,
            "origin": topology.url,
            "stop_at": stop_at,
            "think": list(phase.think),
            "agents": [list(a) for a in phase.agents],
            "seed": zlib.crc32(phase.name.encode()) % 1000,
        },
        "mix": phase.mix,
        "customers": phase.customers,
        "spawn_rate": phase.spawn_rate,
    }
    plan_path, out_path = work / f"{phase.name}.plan.json", work / f"{phase.name}.out.json"
    plan_path.write_text(json.dumps(config, ensure_ascii=False))
    swarm = subprocess.Popen(
        [str(SWARM_PY), "-m", "bench.load.swarm", str(plan_path), str(out_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,  # a process group of its own: its CPU is measured apart
    )
    extra_pids["locust"] = swarm.pid
    waiters: list[threading.Thread] = []
    try:
        kills = sorted(phase.kills, key=lambda k: k.after)
        loaded_at = began + spawn_seconds + 2.0
        for kill in kills:
            while swarm.poll() is None and time.time() < loaded_at + kill.after:
                time.sleep(0.1)
            if swarm.poll() is not None:
                kill.error = "the swarm had ended"
                continue
            try:
                kill.pid = topology.kill(kill.program)
                kill.at = time.time()
                say(f"kill -9 {kill.program} (pid {kill.pid}) under load")
            except Exception as error:  # noqa: BLE001 - reported, the run goes on
                kill.error = f"{type(error).__name__}: {error}"
                say(f"could not kill {kill.program}: {kill.error}")
                continue
            waiter = threading.Thread(target=_wait_back, args=(topology, kill), daemon=True)
            waiter.start()
            waiters.append(waiter)
        swarm.wait(timeout=max(60.0, stop_at - time.time() + 120))
    except BaseException:
        if swarm.poll() is None:
            os.killpg(swarm.pid, 9)
            swarm.wait()
        raise
    finally:
        for waiter in waiters:
            waiter.join(timeout=240)
        sampler.read()
        extra_pids.pop("locust", None)
    if swarm.returncode != 0 or not out_path.exists():
        raise RuntimeError(f"the swarm failed (exit status {swarm.returncode}); see its output above")
    data = json.loads(out_path.read_text())
    window = ((data["spawned_at"] or began) + phase.warmup, data["stopped_at"])
    seconds, cpu, busy = sampler.window(*window)
    last = sampler.readings[-1]
    idle = {name: seconds / idle_seconds for name, seconds in idle_cpu.items()}
    return Result(phase, data, window, cpu, busy, dict(last.rss), dict(sampler.peak_rss), label, idle)


def _wait_back(topology, kill: Kill, limit: float = 240.0) -> None:
    """When supervisord ran the program again (a new pid), and when its health URL answered 200
    (asked with a 10 s time limit: a bridge's /healthz waits for the Rasa nodes, which are slow
    under this load, and the point is whether it serves, not how fast Rasa answers /status)."""
    deadline = time.monotonic() + limit
    try:
        while topology.pid(kill.program) in (0, kill.pid):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no new process in {limit:.0f} s")
            time.sleep(0.1)
        kill.restarted_at = time.time()
        url = topology.program(kill.program).health_url
        while not _answers(url):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer 200 within {limit:.0f} s")
            time.sleep(0.2)
        kill.back_at = time.time()
        say(
            f"{kill.program}: running again after {kill.restarted_at - kill.at:.1f} s, "
            f"healthy after {kill.back_at - kill.at:.1f} s"
        )
    except Exception as error:  # noqa: BLE001 - reported
        kill.error = f"not back: {type(error).__name__}: {error}"
        print(kill.error, file=sys.stderr, flush=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False
