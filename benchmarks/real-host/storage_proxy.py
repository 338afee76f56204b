#!/usr/bin/env python3
"""A counting reverse proxy in front of Azurite: every storage request the Functions host and the relay's worker make
passes through it (their connection string names its ports), and it counts them by service and operation.

usage: storage_proxy.py --listen BLOB,QUEUE,TABLE --to BLOB,QUEUE,TABLE --counts FILE

On SIGUSR1 it appends {"t": <unix seconds>, "label": <text of FILE.label, if any>, "counts": {...}} to FILE; on SIGTERM
it appends a last snapshot and exits. Requests are parsed at the HTTP/1.1 level (head, then Content-Length or chunked
body), so a keep-alive connection's requests are each counted once; answers are copied through untouched.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter

SERVICES = ("blob", "queue", "table")
COUNTS = Counter()


def operation(service, method, target):
    """A coarse name for what one request does, enough to tell where the transactions go."""
    path, _, query = target.partition("?")
    parts = [p for p in path.split("/") if p]  # devstoreaccount1, then resources
    resource = parts[1:] if parts and parts[0] == "devstoreaccount1" else parts
    if service == "queue":
        if "comp=metadata" in query:
            return "metadata"
        if len(resource) >= 2 and resource[1] == "messages":
            if method == "GET":
                return "peek" if "peekonly=true" in query else "receive"
            if method == "POST":
                return "put"
            if method == "DELETE":
                return "delete" if len(resource) > 2 else "clear"
            if method == "PUT":
                return "update"
        return "queue-" + method.lower()
    if service == "table":
        name = resource[0] if resource else ""
        if name == "$batch":
            return "batch"
        if name.startswith("Tables"):
            return "tables-" + method.lower()
        return {"GET": "query", "POST": "insert", "PUT": "upsert", "MERGE": "merge", "PATCH": "merge", "DELETE": "delete"}.get(method, method.lower())
    if "comp=lease" in query:
        return "lease"
    return "blob-" + method.lower()


async def copy_answers(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def copy_body(reader, writer, headers):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await reader.readuntil(b"\r\n")
            writer.write(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            writer.write(await reader.readexactly(size + 2))
            if size == 0:
                return
    length = int(headers.get("content-length", "0") or 0)
    while length > 0:
        chunk = await reader.read(min(length, 65536))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", length)
        writer.write(chunk)
        length -= len(chunk)


async def copy_requests(service, reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            headers = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            writer.write(head)
            await copy_body(reader, writer, headers)
            await writer.drain()
            COUNTS[f"{service} {method} {operation(service, method, target)}"] += 1
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        writer.close()


def serve(service, upstream_port):
    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(copy_requests(service, client_reader, upstream_writer), copy_answers(upstream_reader, client_writer))
    return handle


def snapshot(path, final=False):
    label_file = path + ".label"
    label = open(label_file).read().strip() if os.path.exists(label_file) else ""
    with open(path, "a") as out:
        out.write(json.dumps({"t": time.time(), "label": label, "final": final, "counts": dict(COUNTS)}) + "\n")


async def main(args):
    listen = [int(p) for p in args.listen.split(",")]
    upstream = [int(p) for p in args.to.split(",")]
    servers = [await asyncio.start_server(serve(s, u), "127.0.0.1", p, limit=1 << 20) for s, p, u in zip(SERVICES, listen, upstream)]
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, snapshot, args.counts)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print(f"storage proxy: {', '.join(f'{s} {p}->{u}' for s, p, u in zip(SERVICES, listen, upstream))}", flush=True)
    await stop.wait()
    snapshot(args.counts, final=True)
    for server in servers:
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True)
    parser.add_argument("--to", default="10000,10001,10002")
    parser.add_argument("--counts", required=True)
    try:
        asyncio.run(main(parser.parse_args()))
    except OSError as problem:
        sys.exit(f"storage proxy: {problem}")
