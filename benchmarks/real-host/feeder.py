#!/usr/bin/env python3
"""Posts webhooks to the relay's ingress as Braze would: a backlog first, as fast as the threads go, then a steady rate.

usage: feeder.py --ports 7071,7072 --out accepted.jsonl [--backlog N] [--rate R --duration S] [--mix ROUTE=WEIGHT,...]

Each webhook names a user of its own (<prefix>-<n>), so the sandbox's record tells which webhook each Braze object came
from. Requests go round-robin over the ports (one host per port, like a load balancer in front of instances), with the
function key in x-functions-key. One JSON line per webhook: user, route, port, sent and answered (Unix seconds), status
and the message id of the 202.
"""
import argparse
import http.client
import itertools
import json
import queue
import sys
import threading
import time

FUNCTION_KEY = "local-function-key-0123456789abcdef01"


def payload(route, user, dispatch_id):
    body = {"user_id": user}
    if dispatch_id:
        body["dispatch_id"] = "d-" + user
    if route.startswith("attribute-from-event"):
        body["event_properties"] = {"plan": "gold"}
    elif route == "identify-user":
        body.update(alias_name="alias-" + user, alias_label="bench")
    elif route == "trigger-canvas":
        body["canvas_id"] = "canvas-bench"
    elif route == "trigger-campaign":
        body["campaign_id"] = "campaign-bench"
    elif route == "subscription-status":
        body.update(subscription_group_id="group-bench", subscription_state="subscribed")
    return json.dumps(body).encode()


class Poster(threading.Thread):
    """One keep-alive connection per port; posts what the queue hands it and records the answer."""

    def __init__(self, jobs, records, ports, dispatch_id):
        super().__init__(daemon=True)
        self.jobs, self.records, self.dispatch_id = jobs, records, dispatch_id
        self.connections = {p: None for p in ports}

    def post(self, port, route, user):
        body = payload(route, user, self.dispatch_id)
        headers = {"Content-Type": "application/json", "x-functions-key": FUNCTION_KEY}
        for attempt in range(2):
            connection = self.connections[port] or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            self.connections[port] = connection
            try:
                connection.request("POST", f"/api/hooks/{route}", body, headers)
                answer = connection.getresponse()
                text = answer.read()
                return answer.status, text
            except (OSError, http.client.HTTPException) as problem:
                connection.close()
                self.connections[port] = None
                if attempt == 1:
                    return 0, str(problem).encode()
        return 0, b""

    def run(self):
        while True:
            job = self.jobs.get()
            if job is None:
                return
            port, route, user = job
            sent = time.time()
            status, text = self.post(port, route, user)
            answered = time.time()
            message_id = None
            if status == 202:
                try:
                    message_id = json.loads(text).get("id")
                except ValueError:
                    pass
            self.records.put({"user": user, "route": route, "port": port, "sent": sent, "answered": answered, "status": status, "id": message_id,
                              "error": None if status == 202 else text[:300].decode("utf-8", "replace")})


def offer(jobs, job, deadline):
    """Hands a webhook to the posting threads unless the phase's deadline passes first."""
    while time.time() < deadline:
        try:
            jobs.put(job, timeout=min(1.0, max(0.01, deadline - time.time())))
            return True
        except queue.Full:
            pass
    return False


def routes_cycle(mix):
    """A repeating sequence of routes in proportion to their weights (e.g. a=2,b=1 -> a, a, b, a, a, b, ...)."""
    weighted = []
    for part in mix.split(","):
        route, _, weight = part.partition("=")
        weighted += [route.strip()] * int(weight or 1)
    return itertools.cycle(weighted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", default="7071")
    parser.add_argument("--out", required=True)
    parser.add_argument("--prefix", default="w")
    parser.add_argument("--mix", default="attribute-from-event")
    parser.add_argument("--backlog", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0, help="webhooks per second after the backlog")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds of steady feeding")
    parser.add_argument("--backlog-time", type=float, default=120.0, help="longest time spent posting the backlog")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--dispatch-id", action="store_true", help="give each webhook a dispatch_id (the shipped templates key on it)")
    args = parser.parse_args()

    ports = [int(p) for p in args.ports.split(",")]
    jobs, records = queue.Queue(maxsize=args.threads * 4), queue.Queue()
    posters = [Poster(jobs, records, ports, args.dispatch_id) for _ in range(args.threads)]
    for poster in posters:
        poster.start()
    routes, port_cycle, n = routes_cycle(args.mix), itertools.cycle(ports), itertools.count()
    next_job = lambda: (next(port_cycle), next(routes), f"{args.prefix}-{next(n)}")
    marks = {"backlog_start": time.time()}
    # Both phases end on time whatever the ingress accepts: what it could not take by then is not offered, so a slow host
    # shows as a smaller backlog or a lower offered rate, not as a longer run.
    backlog_deadline = marks["backlog_start"] + args.backlog_time
    late = False
    for _ in range(args.backlog):
        if not offer(jobs, next_job(), backlog_deadline):
            late = True
            break
    marks["feed_start"] = time.time()
    deadline = marks["feed_start"] + args.duration
    for i in range(int(args.rate * args.duration)):
        due = marks["feed_start"] + i / args.rate
        if due > time.time():
            time.sleep(due - time.time())
        if not offer(jobs, next_job(), deadline):
            late = True
            break
    marks["feed_end"] = time.time()
    while late:
        try:
            jobs.get_nowait()  # handed over but never posted: not offered
        except queue.Empty:
            break
    for _ in posters:
        jobs.put(None)
    for poster in posters:
        poster.join()
    marks["answered_end"] = time.time()

    accepted = 0
    with open(args.out, "w") as out:
        while not records.empty():
            record = records.get()
            accepted += record["status"] == 202
            out.write(json.dumps(record) + "\n")
    with open(args.out + ".marks", "w") as out:
        json.dump(marks, out)
    posted = sum(1 for line in open(args.out))
    print(f"feeder: posted {posted}, accepted {accepted} (202); backlog {args.backlog}, then {args.rate:g}/s asked for {args.duration:g} s;"
          f" backlog and feed took {marks['feed_end'] - marks['backlog_start']:.1f} s", flush=True)
    return 0 if accepted else 1


if __name__ == "__main__":
    sys.exit(main())
