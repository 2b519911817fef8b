"""CPU and memory of every program of a set-up while the load runs, read from /proc.

A program is its whole process group (supervisord makes each one a group leader; Rasa's and the
action server's helpers count with them). A sampler thread reads every group once a second; CPU
time is kept across restarts (a killed program's last reading is added to its total before its
new process is counted), so a window's CPU is the difference of two readings. The machine's own
busy time (/proc/stat) shows what else ran on the cores meanwhile.
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


def groups() -> dict[int, tuple[float, int]]:
    """Process group id → (CPU seconds, RSS bytes) summed over its live processes."""
    result: dict[int, tuple[float, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pgrp = int(fields[2])
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        rss = int(fields[21]) * PAGE
        old = result.get(pgrp, (0.0, 0))
        result[pgrp] = (old[0] + cpu, old[1] + rss)
    return result


def process_cpu(pid: int) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0, 0
    return (int(fields[11]) + int(fields[12])) / TICK, int(fields[21]) * PAGE


def machine_busy() -> float:
    """Seconds of CPU the whole machine spent busy since boot (all cores)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / TICK


@dataclass
class Reading:
    at: float
    cpu: dict[str, float]  # program → CPU seconds so far (across restarts)
    rss: dict[str, int]  # program → RSS bytes now
    busy: float  # the machine's busy CPU seconds so far


@dataclass
class Sampler:
    """Reads `pids()` (program name → process group id, 0 when not running) every `every` s."""

    pids: Callable[[], dict[str, int]]
    every: float = 1.0
    readings: list[Reading] = field(default_factory=list)
    peak_rss: dict[str, int] = field(default_factory=dict)
    _dead: dict[str, float] = field(default_factory=dict)  # CPU of earlier processes of a program
    _last: dict[str, tuple[int, float]] = field(default_factory=dict)  # program → (pid, its CPU)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def read(self) -> Reading:
        try:
            pids = self.pids()
        except Exception:  # noqa: BLE001 - supervisord busy restarting: keep the last view
            pids = {name: pid for name, (pid, _) in self._last.items()}
        table = groups()
        cpu, rss = {}, {}
        for name, pid in pids.items():
            last_pid, last_cpu = self._last.get(name, (0, 0.0))
            if pid != last_pid and last_pid:
                self._dead[name] = self._dead.get(name, 0.0) + last_cpu
            now_cpu, now_rss = table.get(pid, (0.0, 0)) if pid else (0.0, 0)
            if pid == last_pid:
                now_cpu = max(now_cpu, last_cpu)  # a child that exited takes its time with it
            self._last[name] = (pid, now_cpu)
            cpu[name] = self._dead.get(name, 0.0) + now_cpu
            rss[name] = now_rss
            self.peak_rss[name] = max(self.peak_rss.get(name, 0), now_rss)
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
