"""The load generator of bench/api_load.py, run as its own process: N concurrent clients,
each on one keep-alive HTTP/1.1 connection to the server on loopback, asking for random
keys for a fixed time. Prints one JSON line: requests, errors, seconds, latencies (ms).

    python -m bench.api_client --port P --path-prefix /api/v1/xref/customer/crm/ --keys 1000000 \\
        --clients 32 --seconds 20 [--token T]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time


async def _client(args, deadline: float, latencies: list[float], errors: list[int], rng: random.Random) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    auth = f"Authorization: Token {args.token}\r\n" if args.token else ""
    while time.perf_counter() < deadline:
        key = f"K{rng.randrange(args.keys):07d}"
        request = (f"GET {args.path_prefix}{key} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
                   "Connection: keep-alive\r\n\r\n").encode()
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            errors.append(status)
        if any(line.lower() == "connection: close" for line in lines):
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    writer.close()


async def _run(args) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    deadline = started + args.seconds
    await asyncio.gather(*(_client(args, deadline, latencies, errors, random.Random(i)) for i in range(args.clients)))
    return {"requests": len(latencies), "errors": len(errors), "error_statuses": sorted(set(errors))[:5],
            "seconds": time.perf_counter() - started, "latencies": latencies}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path-prefix", required=True)
    parser.add_argument("--keys", type=int, required=True)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--token", default="")
    print(json.dumps(asyncio.run(_run(parser.parse_args()))))


if __name__ == "__main__":
    main()
