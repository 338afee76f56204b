#!/usr/bin/env python3
"""Asks Azurite's queue service for its queue list every half second, straight to its port, and records how long each
answer took. A long stretch without an answer is the emulator's own stall: it shows whatever the relay does.

usage: emulator_probe.py --port 10001 --out FILE   (runs until stopped)
Each line of FILE: {"t": <unix seconds when asked>, "seconds": <until answered or given up>, "answered": true|false}
"""
import argparse
import json
import time
import urllib.error
import urllib.request


def ask(port):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/devstoreaccount1?comp=list", timeout=60).read()
        return True
    except urllib.error.HTTPError:
        return True  # an unsigned request is refused, but refused means Azurite answered
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.out, "a", encoding="utf-8") as out:
        while True:
            asked = time.time()
            answered = ask(args.port)
            out.write(json.dumps({"t": round(asked, 3), "seconds": round(time.time() - asked, 3), "answered": answered}) + "\n")
            out.flush()
            time.sleep(0.5)


if __name__ == "__main__":
    main()
