#!/usr/bin/env python3
"""Figures of one measured run under the real Functions host, from what the run left in its folder.

usage:
  analyze.py cpu <host-pid>...                     CPU ms (user + system) of each host's session (host + worker)
  analyze.py wait-drain <run-dir> --timeout S --idle S
                                                   wait until every accepted webhook reached the sandbox, or nothing
                                                   new arrived for --idle seconds, or --timeout passed
  analyze.py summarize <run-dir>                   write <run-dir>/summary.json from the run's records
  analyze.py coldstart <run-dir>                   write <run-dir>/summary.json from host-relay-N.log and host-sample-N.log
The run folder holds config.json, sandbox.jsonl, accepted.jsonl(.marks), storage-counts.jsonl, cpu-*.json,
host-<port>.log and leftovers.json, as run.sh leaves them.
"""
import glob
import json
import math
import os
import re
import sys
import time
from collections import Counter, defaultdict

FAILED_RUN = "Executed 'Functions.OutboxDispatch' (Failed"
DEFERRED = re.compile(r"Deferred \S+ for route \S+ by ([0-9.]+) s \(([^)]*)\)")
HOST_STARTED = re.compile(r"Host started \((\d+)ms\)")


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


def read_json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def session_cpu_ms(leader):
    """CPU of every process in the session the host leads (run-host.sh starts each host with setsid)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = open(stat).read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state(0) ppid(1) pgrp(2) session(3) ... utime(11) stime(12)
        if int(fields[3]) == leader:
            total += (int(fields[11]) + int(fields[12])) * 1000.0 / ticks
    return total


def percentile(values, share):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def applied_times(sandbox):
    """user -> arrival (Unix seconds) of the first request that applied one of its objects, and how often it was applied."""
    first, times = {}, Counter()
    for record in sandbox:
        if not record.get("applied"):
            continue
        for user in record.get("ids") or []:
            times[user] += 1
            first.setdefault(user, record["ts"])
            first[user] = min(first[user], record["ts"])
    return first, times


def wait_drain(run_dir, timeout, idle):
    accepted = {r["user"] for r in read_jsonl(os.path.join(run_dir, "accepted.jsonl")) if r["status"] == 202}
    started, last_count, last_change = time.time(), -1, time.time()
    while True:
        delivered, _ = applied_times(read_jsonl(os.path.join(run_dir, "sandbox.jsonl")))
        missing = len(accepted - delivered.keys())
        if missing == 0:
            return f"drained: all {len(accepted)} accepted webhooks reached the sandbox"
        if missing != last_count:
            last_count, last_change = missing, time.time()
        if time.time() - last_change > idle:
            return f"drain stopped: {missing} of {len(accepted)} not delivered, nothing new for {idle:g} s"
        if time.time() - started > timeout:
            return f"drain stopped: {missing} of {len(accepted)} not delivered after {timeout:g} s"
        time.sleep(2)


def steady_goodput(config, sandbox, marks):
    """Objects applied per users-track window, over the windows wholly inside the steady part of the feed, as a share of
    limit x cap; and the objects per answered users-track request in those windows."""
    window, limit, cap = config["window"], config["limit"], config["cap"]
    start = marks["feed_start"] + config.get("warmup", 15)
    end = marks["feed_end"]
    first, last = math.ceil(start / window), math.floor(end / window) - 1
    if last < first:
        return None, 0, None
    objects, calls = Counter(), Counter()
    for record in sandbox:
        if record["path"] == "/users/track" and record.get("applied"):
            objects[math.floor(record["ts"] / window)] += record.get("objects", 0)
            calls[math.floor(record["ts"] / window)] += 200 <= record["status"] < 300
    windows = range(first, last + 1)
    steady_objects, steady_calls = sum(objects[k] for k in windows), sum(calls[k] for k in windows)
    return steady_objects / (len(windows) * limit * cap), len(windows), steady_objects / steady_calls if steady_calls else None


def storage_delta(run_dir):
    """Requests counted between the start of the feed and the end of the drain, and when that end was."""
    snapshots = read_jsonl(os.path.join(run_dir, "storage-counts.jsonl"))
    start = next((s for s in snapshots if s["label"] == "feed-start"), None)
    end = next((s for s in snapshots if s["label"] == "end" and not s.get("final")), None)
    if not start or not end:
        return {}, None
    keys = set(start["counts"]) | set(end["counts"])
    return {k: end["counts"].get(k, 0) - start["counts"].get(k, 0) for k in keys if end["counts"].get(k, 0) != start["counts"].get(k, 0)}, end["t"]


def emulator_stall(run_dir, marks, until):
    """The longest time Azurite took to answer the probe between the start of the feed and the end of the drain (seconds),
    and how many seconds of that stretch went in probes that waited more than 5 s: the emulator's own stalls."""
    probes = read_jsonl(os.path.join(run_dir, "emulator-probe.jsonl"))
    start = marks.get("feed_start")
    probes = [p for p in probes if start is not None and p["t"] >= start and (until is None or p["t"] <= until)]
    if not probes:
        return None, None
    return max(p["seconds"] for p in probes), sum(p["seconds"] for p in probes if p["seconds"] > 5)


def host_log_figures(run_dir):
    failed, deferred, reasons, started = 0, 0, Counter(), []
    for log in sorted(glob.glob(os.path.join(run_dir, "host-*.log"))):
        with open(log, errors="replace") as lines:
            for line in lines:
                if FAILED_RUN in line:
                    failed += 1
                if match := DEFERRED.search(line):
                    deferred += 1
                    reasons[match.group(2)] += 1
                if match := HOST_STARTED.search(line):
                    started.append(int(match.group(1)))
    return failed, deferred, reasons, started


def cpu_figure(run_dir):
    start, end = read_json(os.path.join(run_dir, "cpu-feed-start.json"), {}), read_json(os.path.join(run_dir, "cpu-end.json"), {})
    return sum(end.get(pid, 0) - start.get(pid, 0) for pid in end) if start and end else None


def per_bucket(sandbox):
    buckets = defaultdict(Counter)
    for record in sandbox:
        buckets[record["bucket"]]["requests"] += 1
        buckets[record["bucket"]]["429"] += record["status"] == 429
    return {b: {"requests": c["requests"], "rate_limited": c["429"], "share_429": c["429"] / c["requests"]} for b, c in buckets.items()}


def per_route(accepted, delivered, dead):
    routes = defaultdict(Counter)
    for user, record in accepted.items():
        routes[record["route"]]["accepted"] += 1
        routes[record["route"]]["delivered"] += user in delivered
        routes[record["route"]]["dead_lettered"] += user in dead
    return {r: dict(c) for r, c in routes.items()}


def summarize(run_dir):
    config = read_json(os.path.join(run_dir, "config.json"))
    sandbox = read_jsonl(os.path.join(run_dir, "sandbox.jsonl"))
    feed = read_jsonl(os.path.join(run_dir, "accepted.jsonl"))
    marks = read_json(os.path.join(run_dir, "accepted.jsonl.marks"), {})
    leftovers = read_json(os.path.join(run_dir, "leftovers.json"), {})
    known = "outbox" in leftovers  # the queues could not be read when Azurite did not answer after the run
    leftovers = leftovers if known else {"outbox": {"count": None, "users": []}, "poison": {"count": None, "users": []}}
    accepted = {r["user"]: r for r in feed if r["status"] == 202}
    first, times = applied_times(sandbox)
    delivered = {u: t for u, t in first.items() if u in accepted}
    dead = set(leftovers["poison"]["users"]) & accepted.keys()
    calls = [r for r in sandbox if r.get("applied") and 200 <= r["status"] < 300]
    latencies = [delivered[u] - accepted[u]["answered"] for u in delivered]
    goodput, windows, steady_per_call = steady_goodput(config, sandbox, marks) if config.get("limit") and marks else (None, 0, None)
    failed, deferred, reasons, started = host_log_figures(run_dir)
    cpu = cpu_figure(run_dir)
    storage, measured_until = storage_delta(run_dir)
    storage_total = sum(storage.values())
    # CPU and storage were measured until the end of the drain; deliveries while the hosts stopped are not in them.
    measured = sum(1 for t in delivered.values() if measured_until is None or t <= measured_until)
    longest_stall, stalled_seconds = emulator_stall(run_dir, marks, measured_until)
    feed_seconds = max(1e-9, marks.get("feed_end", 0) - marks.get("feed_start", 0))
    figures = {
        "offered": len(feed),
        "accepted": len(accepted),
        "refused": Counter(str(r["status"]) for r in feed if r["status"] != 202),
        "offered_rate": sum(1 for r in feed if r["sent"] >= marks.get("feed_start", 0)) / feed_seconds if marks else None,
        "delivered": len(delivered),
        "dead_lettered": len(dead) if known else None,
        "still_queued": leftovers["outbox"]["count"],
        "lost": max(0, len(accepted) - len(delivered) - len(dead) - leftovers["outbox"]["count"]) if known else None,
        "applied_twice": sum(1 for u in accepted if times[u] > 1),
        "requests": len(sandbox),
        "share_429": sum(r["status"] == 429 for r in sandbox) / len(sandbox) if sandbox else None,
        "objects_per_call": sum(r.get("objects", 0) for r in calls) / len(calls) if calls else None,
        "steady_objects_per_call": steady_per_call,
        "steady_goodput": goodput,
        "steady_windows": windows,
        "deferrals": deferred,
        "deferral_reasons": dict(reasons),
        "deferrals_per_delivered": deferred / len(delivered) if delivered else None,  # the logs run until the hosts stopped
        "failed_runs": failed,
        "latency_p50": percentile(latencies, 0.5),
        "latency_p99": percentile(latencies, 0.99),
        "cpu_ms": cpu,
        "delivered_by_drain_end": measured,
        "cpu_ms_per_webhook": cpu / measured if cpu is not None and measured else None,
        "storage_transactions": storage_total,
        "storage_per_delivered": storage_total / measured if measured and storage else None,
        "storage_breakdown": dict(sorted(storage.items(), key=lambda kv: -kv[1])[:12]),
        "buckets": per_bucket(sandbox),
        "routes": per_route(accepted, delivered, dead),
        "deliver_all_seconds": max(delivered.values()) - min(r["sent"] for r in accepted.values()) if delivered and len(delivered) == len(accepted) else None,
        "host_started_ms": started,
        "emulator_longest_answer": longest_stall,
        "emulator_stalled_seconds": stalled_seconds,
    }
    summary = {"config": config, "figures": figures}
    with open(os.path.join(run_dir, "summary.json"), "w") as out:
        json.dump(summary, out, indent=2)
    return summary


def summarize_coldstart(run_dir):
    figures = {}
    for app in ("relay", "sample"):
        logs = sorted(glob.glob(os.path.join(run_dir, f"host-{app}-*.log")), key=lambda p: int(re.findall(r"(\d+)\.log$", p)[0]))
        figures[app] = [int(m.group(1)) for log in logs for m in [HOST_STARTED.search(open(log, errors="replace").read())] if m]
    summary = {"config": read_json(os.path.join(run_dir, "config.json")), "figures": figures}
    with open(os.path.join(run_dir, "summary.json"), "w") as out:
        json.dump(summary, out, indent=2)
    return figures


def main(argv):
    if len(argv) >= 2 and argv[0] == "cpu":
        print(json.dumps({pid: session_cpu_ms(int(pid)) for pid in argv[1:]}))
    elif len(argv) >= 2 and argv[0] == "wait-drain":
        args = dict(zip(argv[2::2], argv[3::2]))
        print(wait_drain(argv[1], float(args.get("--timeout", 120)), float(args.get("--idle", 30))), flush=True)
    elif len(argv) == 2 and argv[0] == "summarize":
        f = summarize(argv[1])["figures"]
        print(f"summary: accepted {f['accepted']}, delivered {f['delivered']}, dead-lettered {f['dead_lettered']}, queued {f['still_queued']},"
              f" lost {f['lost']}, applied twice {f['applied_twice']}, failed runs {f['failed_runs']}", flush=True)
    elif len(argv) == 2 and argv[0] == "coldstart":
        print(f"cold start (ms): {summarize_coldstart(argv[1])}", flush=True)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
