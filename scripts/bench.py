#!/usr/bin/env python3
"""Benchmarks of Simpa (`make bench`), against a release build.

Request read: `GET /api/v1/requests/{id}` as the association reads it (state, holder, SLA
clock, documents, timeline: a handful of queries), driven by wrk for a fixed duration, next
to the floor of the same stack measured in the same run: a bare one-row Diesel read by
primary key served by `simpa-limits` with the same pool settings (target: at least 60 % of
it). On SQLite, and on PostgreSQL when SIMPA_TEST_DATABASE_URL names a server
(`scripts/with-postgres` starts a throwaway one).

Document uploads (embedded SQLite): throughput of 10 MB uploads in MB/s, next to writing the same bytes with
`cp` on the same disk in the same run, and the server's memory during a 20 MB upload (target:
under 30 MB above idle).

Outbox (embedded SQLite): 10,000 e-mails queued (`simpa-limits queue-mail`), then delivered by
the worker of `simpa serve` to an SMTP sink on loopback (asyncio, in this script): messages/s
from the first to the last accepted, over SIMPA_SMTP_CONNECTIONS connections (default 10), and
the server's memory along the way (target: flat, under 10 MB of growth from the first tenth to
the end). Each connection carries about 22 messages/s: lettre 0.11.23 leaves Nagle's algorithm
on and writes a message's final dot apart, which waits for the server's delayed ACK (~40 ms).

An upload is durable before its row commits (its bytes are synced to disk), while a plain
`cp` returns as soon as the bytes are in the page cache: the like-for-like baseline is `cp`
followed by fsync, and the target (at least 50 %) is judged against it. The ratio to plain
`cp` is printed too.

Usage: scripts/bench.py path/to/simpa path/to/simpa-limits [--rounds N] [--seconds S]
"""

import argparse
import asyncio
import threading
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

MB = 1_000_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def pdf_of_size(path, size, seed):
    """A file recognised as a PDF, of incompressible (random) bytes, distinct per seed."""
    header = f"%PDF-1.4\n% bench {seed}\n".encode()
    with open(path, "wb") as f:
        f.write(header)
        f.write(os.urandom(size - len(header)))


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def upload(base, token, association, path):
    """Uploads with curl; returns the seconds the transfer took."""
    result = subprocess.run(
        [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
            "-H", f"authorization: Bearer {token}",
            "-F", "kind=statuts", "-F", f"file=@{path};filename=statuts.pdf",
            f"{base}/api/v1/associations/{association}/documents",
        ],
        capture_output=True, text=True, check=True,
    )
    status, seconds = result.stdout.split()
    if status != "201":
        sys.exit(f"upload answered {status}")
    return float(seconds)


def cp_seconds(source, target, sync):
    started = time.perf_counter()
    shutil.copyfile(source, target)
    if sync:
        fd = os.open(target, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    elapsed = time.perf_counter() - started
    os.remove(target)
    return elapsed


def start(command, env):
    """Starts a server and waits for the line announcing its address."""
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    server.stdout.readline()
    return server


def stop(server):
    server.terminate()
    server.wait(timeout=10)


def wrk(url, seconds, token=None):
    """Requests/s, p50 and p99 in ms, from wrk -t2 -c64 (the load of the stack notes)."""
    command = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        sys.exit(f"wrk saw errors on {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return rate, percentile(50), percentile(99)


def request_read(simpa, limits, database, seconds):
    """The association's read of its request, next to the one-row floor, on one database."""
    work = tempfile.mkdtemp(prefix="simpa-bench-read-")
    port = free_port()
    env = dict(os.environ, SIMPA_DATA_DIR=os.path.join(work, "data"), SIMPA_BIND=f"127.0.0.1:{port}", SIMPA_LOG="warn")
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = database
    subprocess.run([simpa, "fixtures", "load", "--size", "demo"], env=env, check=True, capture_output=True)
    base = f"http://127.0.0.1:{port}"
    server = start([simpa, "serve"], env)
    try:
        # A president whose request is in instruction, with a history of five events.
        token = call(base, "POST", "/api/v1/auth/token", {"grant_type": "password", "email": "president3@demo.simpa.fr", "password": "simpa-demo-2026"})["access_token"]
        request = call(base, "GET", "/api/v1/requests", token=token)["items"][0]["id"]
        call(base, "GET", f"/api/v1/requests/{request}", token=token)
        product = wrk(f"{base}/api/v1/requests/{request}", seconds, token)
    finally:
        stop(server)
    server = start([limits], env)
    try:
        floor = wrk(f"{base}/one-row/{request}", seconds)
    finally:
        stop(server)
    shutil.rmtree(work, ignore_errors=True)
    return product, floor


def postgres_database():
    """A fresh database on the server of SIMPA_TEST_DATABASE_URL, if one is given."""
    admin = os.environ.get("SIMPA_TEST_DATABASE_URL")
    if not admin:
        return None
    name = f"simpa_bench_{os.getpid()}"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return admin.rsplit("/", 1)[0] + "/" + name


def bench_request_reads(simpa, limits, seconds):
    print(f"Request read by the association, wrk -t2 -c64 -d{seconds}s, same run (release build, loopback):")
    print(f"  {'database':10} {'scenario':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    ok = True
    databases = [("sqlite", None)]
    postgres = postgres_database()
    if postgres:
        databases.append(("postgres", postgres))
    else:
        print("  (PostgreSQL skipped: set SIMPA_TEST_DATABASE_URL, or run through scripts/with-postgres)")
    for name, url in databases:
        product, floor = request_read(simpa, limits, url, seconds)
        ratio = product[0] / floor[0]
        ok = ok and ratio >= 0.6
        print(f"  {name:10} {'GET /api/v1/requests/{id}':34} {product[0]:9.0f} {product[1]:8.2f} {product[2]:8.2f}")
        print(f"  {name:10} {'one-row Diesel read (floor)':34} {floor[0]:9.0f} {floor[1]:8.2f} {floor[2]:8.2f}")
        print(f"  {name:10} {'ratio (target >= 60 %)':34} {ratio:9.1%}")
    return ok


class SmtpSink:
    """A minimal SMTP server on loopback that accepts everything and counts the messages."""

    def __init__(self):
        self.count = 0
        self.first = self.last = None
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._converse, "127.0.0.1", self.port))
        ready.set()
        self.loop.run_forever()

    async def _converse(self, reader, writer):
        writer.write(b"220 sink ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                while (await reader.readline()) not in (b".\r\n", b""):
                    pass
                self.count += 1
                self.last = time.perf_counter()
                self.first = self.first or self.last
                writer.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()


def bench_outbox(simpa, limits, count=10_000):
    """The outbox worker's throughput to SMTP, and the server's memory meanwhile."""
    sink = SmtpSink()
    work = tempfile.mkdtemp(prefix="simpa-bench-outbox-")
    env = dict(os.environ, SIMPA_DATA_DIR=os.path.join(work, "data"), SIMPA_BIND=f"127.0.0.1:{free_port()}", SIMPA_LOG="warn",
               SIMPA_SMTP_HOST="127.0.0.1", SIMPA_SMTP_PORT=str(sink.port), SIMPA_SMTP_TLS="none", SIMPA_OUTBOX_POLL_MS="100")
    env.pop("DATABASE_URL", None)
    subprocess.run([limits, "queue-mail", str(count)], env=env, check=True, capture_output=True)
    server = start([simpa, "serve"], env)
    samples = []  # (messages accepted, RSS KiB)
    try:
        deadline = time.monotonic() + 600
        while sink.count < count and time.monotonic() < deadline:
            samples.append((sink.count, rss_kib(server.pid, "VmRSS")))
            time.sleep(0.1)
        samples.append((sink.count, rss_kib(server.pid, "VmRSS")))
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)
    if sink.count < count:
        print(f"Outbox: only {sink.count} of {count} messages arrived")
        return False
    rate = (count - 1) / (sink.last - sink.first)
    after_tenth = next(rss for sent, rss in samples if sent >= count // 10)
    peak = max(rss for _, rss in samples)
    growth_mb = (peak - after_tenth) * 1024 / MB
    connections = os.environ.get("SIMPA_SMTP_CONNECTIONS", "10")
    print(f"Outbox: {count} queued e-mails delivered by the worker to an SMTP sink over {connections} connections"
          " (release build, SQLite, loopback):")
    print(f"  {rate:8.0f} messages/s  ({(sink.last - sink.first):.1f} s from the first to the last)")
    print(f"  RSS after {count // 10} messages {after_tenth / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB: "
          f"{growth_mb:.1f} MB of growth (target < 10 MB: flat)")
    return growth_mb < 10


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("simpa")
    parser.add_argument("limits")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    reads_ok = bench_request_reads(args.simpa, args.limits, args.seconds)
    outbox_ok = bench_outbox(args.simpa, args.limits)
    work = tempfile.mkdtemp(prefix="simpa-bench-")
    port = free_port()
    env = dict(os.environ, SIMPA_DATA_DIR=os.path.join(work, "data"), SIMPA_BIND=f"127.0.0.1:{port}", SIMPA_LOG="warn")
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([args.simpa, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        server.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        call(base, "POST", "/api/v1/accounts", {"email": "bench@exemple.org", "password": "bench password 2026", "display_name": "Bench"})
        token = call(base, "POST", "/api/v1/auth/token", {"grant_type": "password", "email": "bench@exemple.org", "password": "bench password 2026"})["access_token"]
        association = call(base, "POST", "/api/v1/associations", {
            "name": "Association du banc d'essai", "object": "Mesurer.",
            "address": {"street": "1 rue de Rivoli", "postal_code": "75004", "city": "Paris"},
        }, token)["id"]

        size = 10 * MB
        files = [os.path.join(work, f"upload-{n}.pdf") for n in range(args.rounds)]
        for n, path in enumerate(files):
            pdf_of_size(path, size, n)
        upload(base, token, association, files[0])  # warm-up, not counted

        # Interleaved, so that both see the same state of the disk and the machine.
        uploads, copies, synced = [], [], []
        for path in files[1:]:
            copies.append(cp_seconds(path, path + ".cp", sync=False))
            synced.append(cp_seconds(path, path + ".cp", sync=True))
            uploads.append(upload(base, token, association, path))
        upload_mbs = size / MB / statistics.median(uploads)
        cp_mbs = size / MB / statistics.median(copies)
        cp_sync_mbs = size / MB / statistics.median(synced)

        # Memory: reset the peak, upload 20 MB, read the peak.
        big = os.path.join(work, "big.pdf")
        pdf_of_size(big, 20 * MB, "big")
        idle = rss_kib(server.pid, "VmRSS")
        with open(f"/proc/{server.pid}/clear_refs", "w") as f:
            f.write("5")
        upload(base, token, association, big)
        peak = rss_kib(server.pid, "VmHWM")
        above_idle_mb = (peak - idle) * 1024 / MB

        print(f"Document upload, 10 MB, median of {len(uploads)} (release build, SQLite, loopback, curl):")
        print(f"  upload        {upload_mbs:8.1f} MB/s   (stream to disk + SHA-256 + type check + fsync + row)")
        print(f"  cp            {cp_mbs:8.1f} MB/s   -> upload / cp       = {upload_mbs / cp_mbs:6.1%}  (page cache only, not on disk)")
        print(f"  cp + fsync    {cp_sync_mbs:8.1f} MB/s   -> upload / cp+fsync = {upload_mbs / cp_sync_mbs:6.1%}  (target >= 50 %, same durability)")
        print("Memory during a 20 MB upload:")
        print(f"  idle RSS {idle / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB: {above_idle_mb:.1f} MB above idle (target < 30 MB)")
        ok = reads_ok and outbox_ok and upload_mbs / cp_sync_mbs >= 0.5 and above_idle_mb < 30
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
