#!/usr/bin/env python3
"""Where a Masthead process spends its CPU, from `perf script` output.

Each sample is charged to the innermost Masthead function on its stack
(`masthead_web::site::personalize`, `masthead_web::router::fill_chrome`, ...),
so a function's share includes the library code it calls (memcpy, UTF-8
checks, hashing) but not the Masthead functions it calls. Samples with no
Masthead frame are grouped by what they are doing: SQLite, the sqlx driver,
socket reads and writes, hyper, the scheduler.

    perf record -e cpu-clock -F 499 -g --call-graph dwarf,8192 -p PID -- sleep 5
    perf script | python3 bench/perf_summary.py
"""

import collections
import re
import sys

MASTHEAD = re.compile(r"masthead_(?:web|db|core|render|mail|billing|media)::[a-z_0-9]+(?:::[A-Za-z_0-9]+)*")


def samples(lines):
    cur = None
    comm = None
    for line in lines:
        if not line.strip():
            if cur is not None:
                yield comm, cur
            cur = None
            continue
        if not line.startswith((" ", "\t")):
            comm = line.split()[0] if line.split() else "?"
            cur = []
            continue
        if cur is not None:
            parts = line.strip().split(" ", 1)
            cur.append(parts[1] if len(parts) > 1 else parts[0])
    if cur:
        yield comm, cur


def bucket(comm, stack):
    for frame in stack:  # innermost first
        for m in MASTHEAD.finditer(frame):
            name = m.group(0)
            # Generic code instantiated with AppState is axum's, not ours.
            if frame[m.end():m.end() + 1] in (">", ",") or name.endswith("::AppState"):
                continue
            return name
    joined = " ".join(stack)
    if "sqlite3" in joined:
        return "(SQLite library)"
    if "sqlx" in joined or "flume" in joined or "futures_channel" in joined:
        return "(sqlx driver: channels, statements, rows)"
    if re.search(r"tcp_sendmsg|writev|sys_write", joined):
        return "(socket write: kernel)"
    if re.search(r"tcp_recvmsg|recvfrom|sys_read|sock_read", joined):
        return "(socket read: kernel)"
    if "hyper" in joined:
        return "(hyper: HTTP parsing and encoding)"
    if re.search(r"epoll|futex|park|schedule|finish_task_switch", joined):
        return "(scheduler: epoll, futex, task switches)"
    if "axum" in joined or "tower" in joined:
        return "(axum/tower routing and extractors)"
    return f"(other, thread {comm})"


def summarize(lines, top=18):
    counts = collections.Counter()
    n = 0
    for comm, stack in samples(lines):
        counts[bucket(comm, stack)] += 1
        n += 1
    rows = [(name, 100.0 * c / n) for name, c in counts.most_common(top)] if n else []
    return n, rows


def main():
    n, rows = summarize(sys.stdin)
    print(f"{n} samples")
    for name, pct in rows:
        print(f"{pct:6.1f}%  {name}")


if __name__ == "__main__":
    main()
