#!/usr/bin/env python3
"""The fault scenarios of `make faults`: Simpa under the failures a city's servers meet.

1. PostgreSQL stopped for a few seconds while a load of reads and submissions runs: calls fail
   fast with 503 problem+json (none hangs, none is a 500), the server recovers by itself when
   the database returns, and nothing is half-written.
2. `simpa serve` killed (SIGKILL) during a burst of submissions and uploads, on SQLite and on
   PostgreSQL: after a restart, no partial or orphan row, request numbers still gap-free, and
   every pending e-mail goes out, once.
3. SIGTERM: the server stops accepting, finishes the call in flight, gives back the outbox
   messages its worker had taken, and exits.
4. Slow clients: headers sent a byte at a time and uploads that stall are cut by the server's
   timeouts, uploads beyond the configured number at once are refused, and other callers are
   served meanwhile.

After each scenario, the consistency of the database: every request's history replays to its
state (GET /history/verify), request numbers are gap-free, no grant is paid beyond what was
granted, every outbox row is sent or pending, every document row has its file.

Usage: scripts/faults.py path/to/simpa path/to/simpa-limits [scenarios, e.g. 1,3]
"""

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import SmtpSink, free_port, pdf_around, pdf_of_size  # noqa: E402

FAILURES = []


def say(line=""):
    print(line, flush=True)


def check(ok, what):
    """Records one verdict; the run fails if any is false."""
    say(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        FAILURES.append(what)


def call(base, method, path, body=None, token=None, headers=None, timeout=30):
    """One HTTP call that never raises: status (None when the connection failed), content type,
    JSON body (or None), seconds taken and the error when there is one."""
    url = urllib.parse.urlsplit(base)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if token:
            sent["authorization"] = f"Bearer {token}"
        data = body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            sent["content-type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return {"status": response.status, "type": response.getheader("content-type", ""), "body": parsed,
                "seconds": time.perf_counter() - started, "error": None}
    except (OSError, http.client.HTTPException) as e:
        return {"status": None, "type": "", "body": None, "seconds": time.perf_counter() - started, "error": repr(e)}
    finally:
        connection.close()


# The tokens each server gave the script (by its base URL): none may appear in its log, nor
# the password.
SECRETS = {}


def sign_in(base, email):
    answer = call(base, "POST", "/api/v1/auth/token",
                  {"grant_type": "password", "email": email, "password": "simpa-demo-2026"})
    if answer["status"] != 200:
        sys.exit(f"cannot sign in as {email}: {answer}")
    SECRETS.setdefault(base, set()).update({answer["body"]["access_token"], answer["body"]["refresh_token"]})
    return answer["body"]["access_token"]


def no_secret_logged(server):
    """The log of a server that ran at the debug level holds none of the secrets sent."""
    server.log.flush()
    with open(server.log.name) as f:
        log = f.read()
    secrets = SECRETS.get(server.base, set()) | {"simpa-demo-2026"}
    # A token's signature alone identifies it, should a log cut it.
    fragments = secrets | {s.rsplit(".", 1)[-1] for s in secrets if s.count(".") == 2}
    leaked = [secret[:12] + "…" for secret in fragments if secret in log]
    check(not leaked, f"its log ({len(log.splitlines())} lines at the debug level) holds none of the "
                      f"{len(secrets)} passwords and tokens it received" + (f"; found: {leaked}" if leaked else ""))


class Cluster:
    """A PostgreSQL cluster of this script's own, durable (fsync on), that it can stop."""

    def __init__(self, work):
        def find(name):
            found = shutil.which(name)
            if found:
                return found
            versions = sorted(os.listdir("/usr/lib/postgresql")) if os.path.isdir("/usr/lib/postgresql") else []
            for version in reversed(versions):
                path = f"/usr/lib/postgresql/{version}/bin/{name}"
                if os.path.exists(path):
                    return path
            sys.exit(f"faults: PostgreSQL's {name} is not installed (Debian: apt install postgresql)")

        self.pg_ctl, initdb = find("pg_ctl"), find("initdb")
        self.dir = os.path.join(work, "pg")
        os.makedirs(self.dir)
        self.as_owner = []
        if os.getuid() == 0:
            shutil.chown(work, "postgres")
            shutil.chown(self.dir, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        subprocess.run(self.as_owner + [initdb, "-D", f"{self.dir}/data", "-U", "postgres", "--auth=trust",
                                        "--encoding=UTF8", "--locale=C"], check=True, capture_output=True)
        self.start()
        self.admin_url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        options = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200"
        subprocess.run(self.as_owner + [self.pg_ctl, "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w",
                                        "-o", options, "start"], check=True, capture_output=True)

    def stop(self, mode="fast"):
        subprocess.run(self.as_owner + [self.pg_ctl, "-D", f"{self.dir}/data", "-m", mode, "-w", "stop"],
                       check=True, capture_output=True)

    def database(self, name):
        subprocess.run(["psql", self.admin_url, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


class Database:
    """Reads the application's database past the application, to check what was persisted."""

    def __init__(self, url, data_dir):
        self.url, self.data_dir = url, data_dir

    def rows(self, sql):
        if self.url.startswith("postgres"):
            out = subprocess.run(["psql", self.url, "-AtF", "\t", "-c", sql], check=True, capture_output=True,
                                 text=True).stdout
            return [tuple(line.split("\t")) for line in out.splitlines() if line]
        with sqlite3.connect(os.path.join(self.data_dir, "simpa.db"), timeout=30) as conn:
            return [tuple("" if v is None else str(v) for v in row) for row in conn.execute(sql)]

    def value(self, sql):
        return int(self.rows(sql)[0][0])


class Simpa:
    """`simpa serve` as a process, on a database, with the e-mail of an SMTP sink."""

    def __init__(self, simpa, limits, work, database_url=None, **variables):
        self.simpa, self.limits = simpa, limits
        os.makedirs(work, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        data_dir = os.path.join(work, "data")
        self.env = dict(os.environ, SIMPA_DATA_DIR=data_dir, SIMPA_BIND=f"127.0.0.1:{self.port}", SIMPA_LOG="warn",
                        SIMPA_DAILY_AT="off", SIMPA_STAFF_TWO_FACTOR="off")
        self.env.update({k: str(v) for k, v in variables.items()})
        self.env.pop("DATABASE_URL", None)
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.db = Database(database_url or "sqlite", data_dir)
        self.log = open(os.path.join(work, "serve.log"), "a")
        self.process = None
        subprocess.run([simpa, "fixtures", "load", "--size", "demo"], env=self.env, check=True, capture_output=True)

    def drafts(self, count):
        """Drafts ready to submit, with their presidents' e-mails."""
        out = subprocess.run([self.limits, "drafts", str(count)], env=self.env, check=True, capture_output=True,
                             text=True).stdout
        return [tuple(line.split()) for line in out.splitlines() if line.strip()]

    def queue_mail(self, count):
        subprocess.run([self.limits, "queue-mail", str(count)], env=self.env, check=True, capture_output=True)

    def start(self):
        self.process = subprocess.Popen([self.simpa, "serve"], env=self.env, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True)
        self.process.stdout.readline()
        return self

    def signal(self, number):
        self.process.send_signal(number)

    def wait(self, timeout=60):
        return self.process.wait(timeout=timeout)


def consistency(server, bureau):
    """The invariants of the database, whatever happened to the server."""
    db = server.db
    unchained = db.value("""SELECT COUNT(*) FROM requests r
        WHERE r.state <> (SELECT e.to_state FROM request_events e WHERE e.request_id = r.id
                          ORDER BY e.seq DESC LIMIT 1)
           OR (SELECT COUNT(*) FROM request_events e WHERE e.request_id = r.id)
              <> (SELECT MAX(e.seq) FROM request_events e WHERE e.request_id = r.id)""")
    unchained += db.value("""SELECT COUNT(*) FROM request_events e
        JOIN request_events p ON p.request_id = e.request_id AND p.seq = e.seq - 1
        WHERE e.from_state IS NULL OR e.from_state <> p.to_state""")
    total = db.value("SELECT COUNT(*) FROM requests")
    check(unchained == 0, f"every request's events follow one another to its state ({total} requests, "
                          f"{unchained} not)")
    # The hash chain and the replay by the domain's state machine, for what the bureau sees.
    ids = [row[0] for row in db.rows("SELECT id FROM requests WHERE state <> 'draft' ORDER BY id")]
    broken = []
    for request in ids:
        verdict = call(server.base, "GET", f"/api/v1/requests/{request}/history/verify", token=bureau)
        body = verdict["body"] or {}
        if verdict["status"] != 200 or not (body.get("intact") and body.get("consistent")):
            broken.append((request, verdict["status"], body))
    check(not broken, f"every submitted request's history is intact and replays to its state ({len(ids)} verified"
                      + (f"; broken: {broken[:3]}" if broken else "") + ")")
    gaps = []
    for year, last in db.rows("SELECT year, last_serial FROM request_counters ORDER BY year"):
        numbers = [row[0] for row in db.rows(f"SELECT number FROM requests WHERE number LIKE '{year}\\_%' ESCAPE '\\'")]
        serials = sorted(int(n.split("_")[1]) for n in numbers)
        if serials != list(range(1, int(last) + 1)):
            gaps.append((year, len(serials), last))
    submitted = db.value("SELECT COUNT(*) FROM requests WHERE number IS NOT NULL")
    check(not gaps, f"request numbers are gap-free, one per submitted request ({submitted} numbered"
                    + (f"; gaps: {gaps}" if gaps else "") + ")")
    overpaid = db.value("""SELECT COUNT(*) FROM grants g
        WHERE (SELECT COALESCE(SUM(p.cents), 0) FROM payments p WHERE p.request_id = g.request_id) > g.cents
           OR g.paid_cents > g.cents""")
    grants = db.value("SELECT COUNT(*) FROM grants")
    check(overpaid == 0, f"no grant paid beyond what was granted ({grants} grants, {overpaid} overpaid)")
    outbox = dict(db.rows("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    check(set(outbox) <= {"pending", "sent"}, f"every outbox row is sent or pending ({outbox})")
    files = db.rows("SELECT blob_sha256 FROM document_versions WHERE blob_sha256 IS NOT NULL")
    blobs = os.path.join(db.data_dir, "blobs")
    missing = [sha for (sha,) in files if not os.path.exists(os.path.join(blobs, sha[:2], sha))]
    check(not missing, f"every document row has its file ({len(files)} rows, {len(missing)} without)")
    referenced = {sha for (sha,) in files}
    on_disk = [name for d in os.listdir(blobs) if d != "incoming" and os.path.isdir(os.path.join(blobs, d))
               for name in os.listdir(os.path.join(blobs, d))]
    unreferenced = [name for name in on_disk if name not in referenced]
    incoming = os.listdir(os.path.join(blobs, "incoming")) if os.path.isdir(os.path.join(blobs, "incoming")) else []
    say(f"       files without a row (swept by the daily job): {len(unreferenced)} blobs, {len(incoming)} incoming")


class Load:
    """Threads calling the server until stopped; each call is recorded with its start."""

    def __init__(self, base, work_items, threads):
        self.base, self.calls, self.stopping = base, [], threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(work_items[i::threads],), daemon=True)
                        for i in range(threads)]
        for thread in self.threads:
            thread.start()

    def _run(self, items):
        for method, path, body, token in items:
            if self.stopping.is_set():
                return
            started = time.monotonic()
            answer = call(self.base, method, path, body, token, timeout=30)
            answer["at"] = started
            with self.lock:
                self.calls.append(answer)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        return self.calls


def submissions(server, count, reads_every=2):
    """Work items: each draft submitted by its president, with reads of it between."""
    tokens, items = {}, []
    for request, email in server.drafts(count):
        token = tokens.setdefault(email, sign_in(server.base, email))
        items.append(("POST", f"/api/v1/requests/{request}/actions", {"action": "submit"}, token))
        for _ in range(reads_every):
            items.append(("GET", f"/api/v1/requests/{request}", None, token))
    return items


def postgres_restart(simpa, limits, cluster, work):
    say("## 1. PostgreSQL stopped for 5 s under a load of reads and submissions")
    server = Simpa(simpa, limits, os.path.join(work, "restart"), cluster.database("restart"),
                   SIMPA_DB_TIMEOUT_SECONDS=2).start()
    bureau = sign_in(server.base, "bureau@demo.simpa.fr")
    load = Load(server.base, submissions(server, 3000), threads=8)
    time.sleep(3)
    stopping = time.monotonic()
    cluster.stop("fast")
    time.sleep(5)
    cluster.start()
    up = time.monotonic()
    time.sleep(8)
    calls = load.stop()
    # A call that cannot get a connection in time gets 503; one that waits while the database
    # comes back succeeds.
    problem = [c for c in calls if c["status"] == 503 and c["type"].startswith("application/problem+json")]
    felt = [c for c in problem if stopping <= c["at"] + c["seconds"] < up]
    other = [c for c in calls if c["status"] != 200 and c not in problem]
    outage = [c for c in calls if c["at"] < up and c["at"] + c["seconds"] > stopping]
    slowest = max((c["seconds"] for c in outage), default=0)
    say(f"  {len(calls)} calls, {len(outage)} met the outage: {len(felt)} answered 503 problem+json while the "
        f"database was down; slowest {slowest:.2f} s")
    check(felt and not other, "every call succeeds or gets 503 problem+json, and 503s come while it is down "
                              f"({len(other)} other answers: {sorted({c['status'] for c in other}, key=str)})")
    # A database step waits up to the timeout for its turn among the calls using the database,
    # then up to the timeout for a connection.
    check(slowest < 4.5, f"none hangs: the slowest call that met the outage took {slowest:.2f} s "
                         "(timeout 2 s for a turn, then 2 s for a connection)")
    after = [c for c in calls if c["at"] >= up]
    recovered = min((c["at"] for c in after if c["status"] == 200), default=None)
    settled = [c for c in after if recovered is not None and c["at"] >= recovered + 1]
    check(recovered is not None and all(c["status"] == 200 for c in settled),
          f"it recovers by itself: first success {recovered - up:.2f} s after the database is back, then "
          f"{sum(c['status'] == 200 for c in settled)}/{len(settled)} succeed" if recovered else "it recovers by itself")
    consistency(server, bureau)
    server.signal(signal.SIGTERM)
    server.wait()


def uploads(server, work, count):
    """Work items: 256 kB PDFs filed by the demo's president for their association."""
    token = sign_in(server.base, "president@demo.simpa.fr")
    association = call(server.base, "GET", "/api/v1/me", token=token)["body"]["memberships"][0]["association_id"]
    items = []
    for n in range(count):
        path = os.path.join(work, f"upload-{n}.pdf")
        pdf_of_size(path, 256_000, n)
        boundary = f"faults{n}"
        with open(path, "rb") as f:
            payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nstatuts\r\n"
                       f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"statuts.pdf\"\r\n"
                       f"Content-Type: application/pdf\r\n\r\n").encode() + f.read() + f"\r\n--{boundary}--\r\n".encode()
        items.append(("POST", f"/api/v1/associations/{association}/documents", payload, token,
                      {"content-type": f"multipart/form-data; boundary={boundary}"}))
    return items


class UploadLoad(Load):
    def _run(self, items):
        for method, path, body, token, headers in items:
            if self.stopping.is_set():
                return
            started = time.monotonic()
            answer = call(self.base, method, path, body, token, headers=headers, timeout=30)
            answer["at"] = started
            with self.lock:
                self.calls.append(answer)


def killed(simpa, limits, work, name, database_url=None):
    say(f"## 2. SIGKILL during a burst of submissions and uploads ({name})")
    sink = SmtpSink()
    server = Simpa(simpa, limits, os.path.join(work, f"kill-{name}"), database_url,
                   SIMPA_SMTP_HOST="127.0.0.1", SIMPA_SMTP_PORT=sink.port, SIMPA_SMTP_TLS="none",
                   SIMPA_OUTBOX_POLL_MS=100, SIMPA_OUTBOX_LEASE_SECONDS=10, SIMPA_LOG="debug").start()
    bureau = sign_in(server.base, "bureau@demo.simpa.fr")
    submitting = Load(server.base, submissions(server, 2000, reads_every=0), threads=6)
    uploading = UploadLoad(server.base, uploads(server, work, 200), threads=2)
    time.sleep(3)
    server.signal(signal.SIGKILL)
    server.wait()
    calls = submitting.stop() + uploading.stop()
    answered = [c for c in calls if c["status"] is not None]
    say(f"  killed after {sum(c['status'] == 200 for c in answered)} submissions and "
        f"{sum(c['status'] == 201 for c in answered)} uploads answered")
    check(all(c["status"] in (200, 201) for c in answered), "every call answered before the kill succeeded")
    # The e-mails the worker had in hand: the SMTP server may have accepted some before the
    # kill, and the outbox cannot know it; they go again, under the same Message-ID.
    in_hand = {f"<{row[0]}@simpa>" for row in server.db.rows(
        "SELECT id FROM outbox WHERE status = 'pending' AND leased_until IS NOT NULL")}
    server.start()
    deadline = time.monotonic() + 120
    while server.db.value("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND channel = 'email'") and \
            time.monotonic() < deadline:
        time.sleep(0.5)
    consistency(server, bureau)
    sent = {f"<{row[0]}@simpa>" for row in server.db.rows("SELECT id FROM outbox WHERE channel = 'email'")}
    received = [i for i in sink.ids if i]
    missing = sent - set(received)
    twice = {i for i in received if received.count(i) > 1}
    check(not missing, f"every e-mail queued went out after the restart ({len(sent)} queued, {len(missing)} missing)")
    check(twice <= in_hand,
          f"each went out once, but for those the worker had in hand at the kill: {len(twice)} of its "
          f"{len(in_hand)} went twice, with the same Message-ID"
          + (f"; {len(twice - in_hand)} others twice" if twice - in_hand else ""))
    server.signal(signal.SIGTERM)
    server.wait()
    no_secret_logged(server)


def slow_upload(base, token, association, seconds, size=2_000_000):
    """An upload whose body takes `seconds` to arrive; returns its answer."""
    boundary = "slowupload"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nstatuts\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"statuts.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    pdf = pdf_around(os.urandom(size), "slow")
    body_size = len(head) + len(pdf) + len(tail)
    url = urllib.parse.urlsplit(base)
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        connection.putrequest("POST", f"/api/v1/associations/{association}/documents")
        connection.putheader("authorization", f"Bearer {token}")
        connection.putheader("content-type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("content-length", str(body_size))
        connection.endheaders()
        connection.send(head)
        chunks = 40
        step = len(pdf) // chunks
        for n in range(chunks):
            connection.send(pdf[n * step:(n + 1) * step])
            time.sleep(seconds / chunks)
        connection.send(pdf[chunks * step:] + tail)
        response = connection.getresponse()
        response.read()
        return {"status": response.status, "seconds": time.perf_counter() - started}
    except OSError as e:
        return {"status": None, "error": repr(e), "seconds": time.perf_counter() - started}


def terminated(simpa, limits, work):
    say("## 3. SIGTERM: in-flight calls finish, the outbox lease is given back")
    sink = SmtpSink(stall=True)
    server = Simpa(simpa, limits, os.path.join(work, "term"), None, SIMPA_SMTP_HOST="127.0.0.1",
                   SIMPA_SMTP_PORT=sink.port, SIMPA_SMTP_TLS="none", SIMPA_OUTBOX_POLL_MS=100,
                   SIMPA_OUTBOX_LEASE_SECONDS=3600)
    server.queue_mail(20)
    server.start()
    leased_sql = "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND leased_until IS NOT NULL"
    deadline = time.monotonic() + 30
    while server.db.value(leased_sql) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    leased = server.db.value(leased_sql)
    say(f"  the worker holds {leased} messages, stuck on an SMTP server that never answers")
    token = sign_in(server.base, "president@demo.simpa.fr")
    association = call(server.base, "GET", "/api/v1/me", token=token)["body"]["memberships"][0]["association_id"]
    result = {}
    upload = threading.Thread(target=lambda: result.update(slow_upload(server.base, token, association, 4)))
    upload.start()
    time.sleep(1)
    signalled = time.monotonic()
    server.signal(signal.SIGTERM)
    time.sleep(0.5)
    refused = call(server.base, "GET", "/healthz", timeout=2)
    upload.join()
    code = server.wait(timeout=40)
    exited = time.monotonic() - signalled
    check("ConnectionRefused" in (refused["error"] or ""),
          f"a new connection after SIGTERM is refused ({refused['error'] or refused['status']})")
    check(result.get("status") == 201, f"the upload in flight finished: {result.get('status')} after "
                                       f"{result.get('seconds', 0):.1f} s")
    check(code == 0 and exited < 30, f"the server exited with {code}, {exited:.1f} s after SIGTERM")
    still = server.db.value(leased_sql)
    untried = server.db.value("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND leased_until IS NULL "
                              "AND attempts = 0 AND last_error IS NULL")
    check(leased > 0 and still == 0 and untried >= leased,
          f"the messages it had taken are given back, untried ({leased} leased before, {still} after, "
          f"{untried} pending untried)")


def slow_clients(simpa, limits, work):
    say("## 4. Slow clients: headers a byte at a time, stalled uploads")
    server = Simpa(simpa, limits, os.path.join(work, "slow"), None, SIMPA_MAX_CONCURRENT_UPLOADS=4,
                   SIMPA_DB_TIMEOUT_SECONDS=2).start()
    sockets = []
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"GET /api/v1/districts HTTP/1.1\r\nHost: x\r\n")
        sockets.append(s)
    opened = time.monotonic()
    latencies, closed_at = [], {}
    while time.monotonic() - opened < 12 and len(closed_at) < len(sockets):
        answer = call(server.base, "GET", "/api/v1/districts", timeout=5)
        latencies.append(answer["seconds"] if answer["status"] == 200 else 99)
        for n, s in enumerate(sockets):
            if n in closed_at:
                continue
            try:
                s.setblocking(False)
                s.sendall(b"X")
                if s.recv(4096) == b"":
                    closed_at[n] = time.monotonic() - opened
            except BlockingIOError:
                pass
            except OSError:
                closed_at[n] = time.monotonic() - opened
        time.sleep(0.5)
    slowest = max(latencies, default=99)
    check(len(closed_at) == len(sockets),
          f"the server cut {len(closed_at)}/{len(sockets)} connections sending headers a byte at a time, "
          f"after {max(closed_at.values(), default=0):.1f} s at most")
    check(latencies and slowest < 0.5, f"meanwhile {len(latencies)} other calls were served, slowest {slowest:.3f} s")
    for s in sockets:
        s.close()

    token = sign_in(server.base, "president@demo.simpa.fr")
    association = call(server.base, "GET", "/api/v1/me", token=token)["body"]["memberships"][0]["association_id"]
    stalled = []
    for _ in range(6):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall((f"POST /api/v1/associations/{association}/documents HTTP/1.1\r\nHost: x\r\n"
                   f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                   f"Content-Length: 1000000\r\n\r\n--b\r\n").encode())
        s.settimeout(45)
        stalled.append(s)
    # And a JSON body that stalls after its first byte.
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall((f"POST /api/v1/associations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{").encode())
    s.settimeout(45)
    stalled.append(s)
    started = time.monotonic()
    answers = []

    def answer_of(s):
        try:
            first = s.recv(4096).split(b"\r\n", 1)[0].decode()
            answers.append((first, time.monotonic() - started))
        except OSError as e:
            answers.append((repr(e), time.monotonic() - started))

    readers = [threading.Thread(target=answer_of, args=(s,)) for s in stalled]
    for reader in readers:
        reader.start()
    during = call(server.base, "GET", "/api/v1/districts", timeout=5)
    for reader in readers:
        reader.join()
    answers.sort(key=lambda a: a[1])
    say("  six uploads and a JSON body that stall after their headers: "
        + "; ".join(f"{a} after {t:.1f} s" for a, t in answers))
    busy = [a for a in answers if " 503 " in a[0] and a[1] < 5]
    timed_out = [a for a in answers if " 408 " in a[0] and 29 < a[1] < 40]
    check(len(busy) == 2, f"beyond the 4 uploads at once, the others get 503 within the pool timeout ({len(busy)})")
    check(len(timed_out) == 5, f"a stalled upload or JSON body is cut after 30 s idle with 408 ({len(timed_out)})")
    check(during["status"] == 200 and during["seconds"] < 0.5,
          f"meanwhile other calls are served ({during['status']} in {during['seconds']:.3f} s)")
    for s in stalled:
        s.close()
    bureau = sign_in(server.base, "bureau@demo.simpa.fr")
    consistency(server, bureau)
    server.signal(signal.SIGTERM)
    server.wait()


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    simpa, limits = (os.path.abspath(p) for p in sys.argv[1:3])
    chosen = set(sys.argv[3].split(",")) if len(sys.argv) == 4 else {"1", "2", "3", "4"}
    work = tempfile.mkdtemp(prefix="simpa-faults-")
    os.chmod(work, 0o755)
    cluster = None
    try:
        cluster = Cluster(work)
        if "1" in chosen:
            postgres_restart(simpa, limits, cluster, work)
        if "2" in chosen:
            killed(simpa, limits, work, "SQLite")
            killed(simpa, limits, work, "PostgreSQL", cluster.database("killed"))
        if "3" in chosen:
            terminated(simpa, limits, work)
        if "4" in chosen:
            slow_clients(simpa, limits, work)
    finally:
        if cluster:
            try:
                cluster.stop("immediate")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(work, ignore_errors=True)
    say()
    if FAILURES:
        say(f"{len(FAILURES)} fault checks failed:")
        for failure in FAILURES:
            say(f"  - {failure}")
        sys.exit(1)
    say("Every fault check passed.")


if __name__ == "__main__":
    main()
