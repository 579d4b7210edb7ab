"""Run a command and measure it from outside: wall time, peak memory of its process tree, machine load.

Memory is the proportional set size (PSS, `/proc/PID/smaps_rollup`) summed
over the process and all its descendants, sampled every `interval` seconds:
what the tree really holds. Plain RSS summed over a tree counts the pages a
forked worker shares with its parent once per process (the site's renderers
are forked from a process holding gigabytes of DuckDB buffers), which made
a 5 GB build look like a 10 GB one. Where `smaps_rollup` is missing, RSS is
used. The peak is also checked against `getrusage(RUSAGE_CHILDREN).ru_maxrss`
(the largest single child, RSS): the larger of the two is kept.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


@dataclass
class Measured:
    exit_code: int
    seconds: float
    peak_rss_bytes: int
    load_before: float
    load_after: float
    load_max: float
    output: str = ""
    samples: list[tuple[float, int]] = field(default_factory=list, repr=False)  # (seconds, RSS bytes)
    lines: list[tuple[float, str]] = field(default_factory=list, repr=False)  # (seconds, line) as logged
    timed_out: bool = False
    over_memory: bool = False
    peak_parts: dict[str, int] = field(default_factory=dict)  # at the peak sample: bytes per kind of process


def load_average() -> float:
    """One-minute load average of the machine."""
    return float((PROC / "loadavg").read_text().split()[0])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(stat.parent.name))
    return tree


def _memory(pid: int) -> int:
    """PSS of one process in bytes, else its RSS; 0 once it is gone."""
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        return int((PROC / str(pid) / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _kind(pid: int, root: int) -> str:
    """What a process of the tree is, for the peak's breakdown: `run` (the measured process itself) or
    a short name from its command line (`pagefind`, `site renderer`, `validation worker`…)."""
    if pid == root:
        return "run"
    try:
        args = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return "other"
    text = b" ".join(args).decode(errors="replace")
    if "pagefind" in text:
        return "pagefind"
    if "multiprocessing" in text or "forkserver" in text:
        return "site renderer"
    if "pipeline.publish.validation" in text:
        return "validation worker"
    return Path(args[0].decode(errors="replace")).name or "other"


def tree_memory(pid: int) -> dict[str, int]:
    """Memory (PSS, see the module's docstring) held by a process and its descendants, per kind of process."""
    tree, parts, todo = _children(), {}, [pid]
    while todo:
        current = todo.pop()
        kind = _kind(current, pid)
        parts[kind] = parts.get(kind, 0) + _memory(current)
        todo.extend(tree.get(current, []))
    return parts


def tree_rss(pid: int) -> int:
    """Memory held by a process and its descendants (PSS; 0 once gone)."""
    return sum(tree_memory(pid).values())


def run(command: list[str], env: dict[str, str] | None = None, interval: float = 0.25,
        log: Path | None = None, timeout: float | None = None, max_rss: int | None = None) -> Measured:
    """Run `command`, its output to `log` (or kept), sampling memory, load and the log's new lines until it
    ends; it is killed (with its children) after `timeout` seconds, or when its tree holds more than
    `max_rss` bytes (the machine is shared: better a stopped benchmark than a machine out of memory)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    load_before = load_average()
    handle = log.open("w") if log else subprocess.PIPE
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    load_max, samples, lines, read, over = load_before, [], [], 0, threading.Event()
    done, peak_parts = threading.Event(), {}

    def sample() -> None:
        nonlocal load_max, read, peak_parts
        while not done.wait(interval):
            now = round(time.perf_counter() - started, 2)
            parts = tree_memory(process.pid)
            samples.append((now, sum(parts.values())))
            if samples[-1][1] >= max(rss for _, rss in samples):
                peak_parts = parts
            load_max = max(load_max, load_average())
            if max_rss and samples[-1][1] > max_rss and not over.is_set():
                over.set()
                os.killpg(process.pid, signal.SIGKILL)
            if log and log.stat().st_size > read:
                with log.open("rb") as tail:
                    tail.seek(read)
                    chunk = tail.read()
                complete = chunk[:chunk.rfind(b"\n") + 1]
                read += len(complete)
                lines.extend((now, line) for line in complete.decode(errors="replace").splitlines())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timed_out = False
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        timed_out = True
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if log:
        handle.close()
        output = log.read_text(errors="replace")
    peak = max((rss for _, rss in samples), default=0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if after > before:  # ru_maxrss is in KiB on Linux, and only grows
        peak = max(peak, after * 1024)
    return Measured(process.returncode, seconds, peak, load_before, load_average(), load_max, output or "", samples,
                    lines, timed_out, over.is_set(), peak_parts)
