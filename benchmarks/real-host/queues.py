#!/usr/bin/env python3
"""What is left on the relay's queues after a run, read straight from Azurite (not through the counting proxy).

usage: queues.py --port 10001 --out leftovers.json [--queue braze-outbox]

Writes {"outbox": {"count": n, "users": [...]}, "poison": {"count": n, "users": [...]}}: the approximate message count
(which includes invisible messages, such as deferred ones) and the users named by the messages that could be received.
Received messages are hidden for an hour, never deleted; run it after the hosts have stopped.
"""
import argparse
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree

ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, the same on every machine).
KEY = base64.b64decode("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
USER = re.compile(r'\\?"user_id\\?"\s*:\s*\\?"([^"\\]+)')


def request(method, url):
    """One signed request; retried, since a busy emulator can take a while to answer after a run."""
    for attempt in range(3):
        try:
            return request_once(method, url)
        except (TimeoutError, urllib.error.URLError, ConnectionError) as problem:
            if attempt == 2:
                raise
            sys.stderr.write(f"queues: {method} {url}: {problem}; trying again\n")


def request_once(method, url):
    parsed = urllib.parse.urlsplit(url)
    headers = {"x-ms-date": datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT"), "x-ms-version": "2021-08-06"}
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
    resource = f"/{ACCOUNT}{parsed.path}"
    for name, values in sorted(urllib.parse.parse_qs(parsed.query).items()):
        resource += f"\n{name.lower()}:{','.join(sorted(values))}"
    to_sign = f"{method}\n\n\n\n\n\n\n\n\n\n\n\n{canonical_headers}{resource}"
    signature = base64.b64encode(hmac.new(KEY, to_sign.encode(), hashlib.sha256).digest()).decode()
    headers["Authorization"] = f"SharedKey {ACCOUNT}:{signature}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers), timeout=60) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as problem:
        return problem.code, dict(problem.headers), problem.read()


def users_of(text):
    try:
        text = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    return USER.findall(text)


def leftovers(base, queue):
    status, headers, _ = request("GET", f"{base}/{queue}?comp=metadata")
    if status == 404:
        return {"count": 0, "users": []}
    count = int({k.lower(): v for k, v in headers.items()}.get("x-ms-approximate-messages-count", "0"))
    users = []
    for _ in range(count // 32 + 2):
        status, _, body = request("GET", f"{base}/{queue}/messages?numofmessages=32&visibilitytimeout=3600")
        messages = list(ElementTree.fromstring(body).iter("QueueMessage")) if status == 200 and body else []
        if not messages:
            break
        for message in messages:
            users += users_of(message.findtext("MessageText") or "")
    return {"count": count, "users": users}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=10001)
    parser.add_argument("--queue", default="braze-outbox")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}/{ACCOUNT}"
    try:
        result = {"outbox": leftovers(base, args.queue), "poison": leftovers(base, args.queue + "-poison")}
    except (TimeoutError, urllib.error.URLError, ConnectionError) as problem:
        # The run's other figures stand; lost and dead-lettered are then unknown rather than wrong.
        result = {"error": f"Azurite did not answer: {problem}"}
        print(f"queues: {result['error']}", flush=True)
        with open(args.out, "w") as out:
            json.dump(result, out)
        return 0
    with open(args.out, "w") as out:
        json.dump(result, out)
    print(f"queues: outbox {result['outbox']['count']} left, poison {result['poison']['count']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
