"""CPU and memory of every program of a set-up while the load runs, read from /proc.

A program is its whole process group (supervisord makes each one a group leader; Rasa's and the
action server's helpers count with them), or — for PostgreSQL, whose server is shared — the
backend processes serving our databases (their process title names the database). A sampler
thread reads them once a second. Every process ever seen keeps its last CPU reading, so a
program's CPU survives its restart and a window's CPU is the difference of two readings. The
machine's own busy time (/proc/stat) shows what else ran on the cores meanwhile.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Proc:
    pid: int
    pgrp: int
    comm: str
    cpu: float  # seconds
    rss: int  # bytes


def scan() -> list[Proc]:
    procs = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            head, tail = Path(entry.path, "stat").read_text().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = tail.split()
        procs.append(
            Proc(
                int(entry.name),
                int(fields[2]),
                head.split("(", 1)[-1],
                (int(fields[11]) + int(fields[12])) / TICK,
                int(fields[21]) * PAGE,
            )
        )
    return procs


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pss(pid: int) -> int:
    """Proportional set size (bytes): shared pages divided among the processes sharing them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def machine_busy() -> float:
    """Seconds of CPU the whole machine spent busy since boot (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICK


@dataclass
class Reading:
    at: float
    cpu: dict[str, float]  # program → CPU seconds so far (every process it ever had)
    rss: dict[str, int]  # program → RSS bytes now
    busy: float  # the machine's busy CPU seconds so far


@dataclass
class Sampler:
    """Reads `groups()` (program name → process group id, 0 when not running) and the PostgreSQL
    backends whose title contains one of `databases` (as program "postgres") every `every` s."""

    groups: Callable[[], dict[str, int]]
    databases: tuple[str, ...] = ()
    every: float = 1.0
    readings: list[Reading] = field(default_factory=list)
    peak_rss: dict[str, int] = field(default_factory=dict)
    _seen: dict[str, dict[int, float]] = field(default_factory=dict)  # program → pid → last CPU
    _groups: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self) -> Reading:
        with self._lock:
            try:
                self._groups = self.groups()
            except Exception:  # noqa: BLE001 - supervisord busy restarting: keep the last view
                pass
            by_group: dict[int, list[Proc]] = {}
            backends: list[Proc] = []
            for proc in scan():
                by_group.setdefault(proc.pgrp, []).append(proc)
                if self.databases and proc.comm == "postgres" and any(db in cmdline(proc.pid) for db in self.databases):
                    backends.append(proc)
            members = {name: by_group.get(pgid, []) if pgid else [] for name, pgid in self._groups.items()}
            if self.databases:
                members["postgres"] = backends
            rss = {}
            for name, procs in members.items():
                seen = self._seen.setdefault(name, {})
                for proc in procs:
                    seen[proc.pid] = max(seen.get(proc.pid, 0.0), proc.cpu)
                # PostgreSQL backends share the server's buffers: their PSS, not RSS, adds up
                rss[name] = sum(pss(p.pid) for p in procs) if name == "postgres" else sum(p.rss for p in procs)
                self.peak_rss[name] = max(self.peak_rss.get(name, 0), rss[name])
            cpu = {name: sum(seen.values()) for name, seen in self._seen.items()}
            reading = Reading(time.time(), cpu, rss, machine_busy())
            self.readings.append(reading)
            return reading

    def start(self) -> Sampler:
        self.read()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.read()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.read()

    def at(self, when: float) -> Reading:
        """The reading closest to `when`."""
        return min(self.readings, key=lambda r: abs(r.at - when))

    def window(self, start: float, end: float) -> tuple[float, dict[str, float], float]:
        """(seconds, CPU seconds per program, the machine's busy CPU seconds) between two moments."""
        a, b = self.at(start), self.at(end)
        seconds = max(b.at - a.at, 1e-9)
        return seconds, {name: b.cpu.get(name, 0.0) - a.cpu.get(name, 0.0) for name in b.cpu}, b.busy - a.busy
