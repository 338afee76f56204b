#!/usr/bin/env python3
"""Keeps the measured runs' summaries in one JSON store and renders benchmarks/results/real-host-run.md from it.

usage: report.py --store STORE.json --out RESULTS.md [--observations LABEL TEXT] [RUN-DIR...]

Each run folder's summary.json replaces the stored run with the same label, suite and name, so that a configuration
measured again replaces its old figures while other labels (for example a baseline) stay. --observations stores a
paragraph printed under that label's tables (what the figures show), kept across re-renders.
"""
import argparse
import json
import os
import statistics
import sys

HEADER = """# Measured runs under the real Functions host

Produced by `benchmarks/real-host/run.sh` (see [its README](../real-host/README.md)): the relay published with
`dotnet publish -c Release`, run by the real Azure Functions host (4.1037, built from public source; one host per port,
7071 and 7072, as two instances of one app), one Azurite behind a counting proxy that both the host and the worker use,
and the Braze sandbox (`src/BrazeFunctions.Sandbox`) as its own process with Braze's fixed windows scaled down. Webhooks go
to the shipped `attribute-from-event` route with the function key in `x-functions-key`, each naming a user of its own.
The figures are computed by `analyze.py` from the sandbox's JSONL record, the feeder's record of 202s, the host logs,
`/proc` and the proxy's counts; `real-host-run.json` holds them all. The proxy itself used about 3 % of one core at these
rates (`ps`, during a run); Azurite, the hosts and the workers share the same two cores.

How each figure is measured:
- **accepted of offered**: webhooks answered 202, of those posted (the rest got 503 `storage_unavailable`); the offered
  rate counts the steady phase only, and falls short of 1.3x capacity when the ingress cannot take more.
- **objects per call**: objects in the answered (2xx) Braze requests, divided by those requests.
  In brackets, the same over the answered `/users/track` requests of the steady windows (the goodput's windows);
  – for runs whose raw records were gone when this figure was added.
- **steady goodput**: objects applied in the users-track windows wholly inside the feed (after a 15-s warm-up), as a
  share of limit x 75 per window.
- **429 share**: requests answered 429, of all requests the sandbox received.
- **deferrals per delivered**: the relay's "Deferred ... by N s (reason)" log lines (event 3008), per delivered webhook.
- **failed runs**: `Executed 'Functions.OutboxDispatch' (Failed` lines in the host logs.
- **latency**: from the 202 the feeder received to the sandbox's receipt of the first request applying that webhook.
- **CPU ms per webhook**: user + system CPU of each host's session (the host and its worker) from `/proc`, from the start
  of the feed to the end of the drain, per delivered webhook.
- **storage per delivered**: requests through the counting proxy from the start of the feed to the end of the drain
  (the host's own leases and polling included), per delivered webhook.
- **lost**: accepted with 202 but neither delivered, dead-lettered nor still on the outbox when the hosts stopped.
- **applied twice**: webhooks whose object the sandbox applied more than once.
- **Azurite's longest answer** and **seconds stalled**: `emulator_probe.py` asks Azurite's queue port directly (not
  through the proxy) every half second; the longest wait for an answer from the start of the feed to the end of the
  drain, and the seconds spent in waits longer than 5 s. A stall there is the emulator's own, whatever the relay does.
- **Azurite**: `disk` (its default mode, data in the run folder) or `memory` (`--inMemoryPersistence`, what the host
  rig starts). In memory, Azurite's queue garbage collection stalls the emulator for 20-30 s about every 90 s at these
  rates (see the runs' README); runs before the section "Azurite on disk" used memory.
"""


def fmt(value, kind="n"):
    if value is None:
        return "–"
    if kind == "%":
        return f"{value * 100:.1f} %"
    if kind == "s":
        return f"{value:.2f} s"
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 10 or kind == "1" else f"{value:.2f}"
    return f"{value:,}"


def load_table(runs):
    runs = sorted(runs, key=lambda r: (r["config"]["limit"] / r["config"]["window"], r["config"]["instances"], r["config"]["coalescing"] != "on", r["config"]["idempotency"] != "on"))
    lines = [
        "| window | instances | coalescing | idempotency | accepted of offered (offered rate) | delivered | objects per call (in steady windows) | steady goodput | 429 share | deferrals per delivered | failed runs | lost | applied twice | still queued | dead-lettered |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        c, f = run["config"], run["figures"]
        lines.append(
            f"| {c['limit']} per {c['window']} s | {c['instances']} | {c['coalescing']} | {c['idempotency']} | {fmt(f['accepted'])} of {fmt(f['offered'])} ({fmt(f['offered_rate'], '1')}/s) "
            f"| {fmt(f['delivered'])} | {fmt(f['objects_per_call'], '1')} ({fmt(f.get('steady_objects_per_call'), '1')}) | {fmt(f['steady_goodput'], '%')} ({f['steady_windows']} windows) | {fmt(f['share_429'], '%')} "
            f"| {fmt(f['deferrals_per_delivered'])} | {fmt(f['failed_runs'])} | {fmt(f['lost'])} | {fmt(f['applied_twice'])} | {fmt(f['still_queued'])} | {fmt(f['dead_lettered'])} |")
    lines += ["", "| window | instances | coalescing | idempotency | latency p50 | latency p99 | CPU ms per webhook | storage per delivered | Azurite | Azurite's longest answer (seconds stalled) | top storage operations |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        c, f = run["config"], run["figures"]
        top = ", ".join(f"{k} {v:,}" for k, v in list(f["storage_breakdown"].items())[:5])
        lines.append(f"| {c['limit']} per {c['window']} s | {c['instances']} | {c['coalescing']} | {c['idempotency']} | {fmt(f['latency_p50'], 's')} | {fmt(f['latency_p99'], 's')} "
                     f"| {fmt(f['cpu_ms_per_webhook'])} | {fmt(f['storage_per_delivered'])} | {c.get('azurite', 'memory')} "
                     f"| {fmt(f.get('emulator_longest_answer'), 's')} ({fmt(f.get('emulator_stalled_seconds'), 's')}) | {top} |")
    return lines


def lowload_table(runs):
    runs = sorted(runs, key=lambda r: (r["config"]["rate"], r["config"]["coalescing"] != "on"))
    lines = ["| rate | coalescing | delivered | objects per call | latency p50 | latency p99 | CPU ms per webhook | storage per delivered |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        c, f = run["config"], run["figures"]
        lines.append(f"| {c['rate']:g}/s | {c['coalescing']} | {fmt(f['delivered'])} of {fmt(f['accepted'])} | {fmt(f['objects_per_call'], '1')} | {fmt(f['latency_p50'], 's')} "
                     f"| {fmt(f['latency_p99'], 's')} | {fmt(f['cpu_ms_per_webhook'])} | {fmt(f['storage_per_delivered'])} |")
    return lines


def coldstart_table(runs):
    lines = ["| app | \"Host started\" (ms), in start order | median |", "| --- | --- | --- |"]
    medians = {}
    for run in runs:
        for app in ("relay", "sample"):
            times = run["figures"].get(app, [])
            medians[app] = statistics.median(times) if times else None
            lines.append(f"| {app} | {', '.join(str(t) for t in times)} | {fmt(medians[app])} |")
    if medians.get("relay") and medians.get("sample"):
        lines += ["", f"Relay / sample (medians): {medians['relay'] / medians['sample']:.2f}x."]
    return lines


def mixed_table(runs):
    lines = []
    for run in runs:
        c, f = run["config"], run["figures"]
        lines += [f"**{c['name']}** ({c.get('notes', '')}; Azurite {c.get('azurite', 'memory')}): accepted {fmt(f['accepted'])}, delivered {fmt(f['delivered'])}, dead-lettered {fmt(f['dead_lettered'])},"
                  f" still queued {fmt(f['still_queued'])}, lost {fmt(f['lost'])}, applied twice {fmt(f['applied_twice'])}, failed runs {fmt(f['failed_runs'])},"
                  f" all delivered after {fmt(f['deliver_all_seconds'], 's')}.", "",
                  "| route | accepted | delivered | dead-lettered |", "| --- | --- | --- | --- |"]
        lines += [f"| {r} | {v.get('accepted', 0)} | {v.get('delivered', 0)} | {v.get('dead_lettered', 0)} |" for r, v in sorted(f["routes"].items())]
        lines += ["", "| bucket | requests | answered 429 | 429 share |", "| --- | --- | --- | --- |"]
        lines += [f"| {b} | {v['requests']} | {v['rate_limited']} | {fmt(v['share_429'], '%')} |" for b, v in sorted(f["buckets"].items())]
        lines.append("")
    return lines


RENDERERS = {"load": ("Backlog plus a feeder at 1.3x capacity", load_table), "lowload": ("Latency at low load", lowload_table),
             "coldstart": ("Cold start", coldstart_table), "mixed": ("Mixed buckets (issue 17)", mixed_table)}


def render(store, observations):
    lines = [HEADER]
    labels = []
    for run in store:
        if run["config"]["label"] not in labels:
            labels.append(run["config"]["label"])
    for label in labels:
        runs = [r for r in store if r["config"]["label"] == label]
        first = runs[0]["config"]
        commits = list(dict.fromkeys(r["config"].get("commit", "?") for r in runs))
        built = f"Commit `{commits[0]}`" if len(commits) == 1 else "Commits " + ", ".join(f"`{c}`" for c in commits) + " (each run's in real-host-run.json)"
        lines += [f"## {label}", "", f"{built}, measured {first.get('date', '?')}. {first.get('machine', '')}", ""]
        for suite, (title, table) in RENDERERS.items():
            chosen = [r for r in runs if r["config"]["suite"] == suite]
            if chosen:
                notes = sorted({r["config"].get("command", "") for r in chosen})
                lines += [f"### {title}", "", *table(chosen), "", "Run with: " + "; ".join(f"`{n}`" for n in notes if n), ""]
        if observations.get(label):
            lines += ["### What these figures show", "", observations[label], ""]
    return "\n".join(lines).rstrip() + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--observations", nargs=2, metavar=("LABEL", "TEXT"))
    parser.add_argument("runs", nargs="*")
    args = parser.parse_args()
    document = json.load(open(args.store)) if os.path.exists(args.store) else {}
    store, observations = document.get("runs", []), document.get("observations", {})
    for run_dir in args.runs:
        summary = json.load(open(os.path.join(run_dir, "summary.json")))
        key = lambda s: (s["config"]["label"], s["config"]["suite"], s["config"]["name"])
        store = [s for s in store if key(s) != key(summary)] + [summary]
    if args.observations:
        observations[args.observations[0]] = args.observations[1]
    with open(args.store, "w") as out:
        json.dump({"runs": store, "observations": observations}, out, indent=1)
    with open(args.out, "w") as out:
        out.write(render(store, observations))
    print(f"report: {len(store)} runs in {args.store}; wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
