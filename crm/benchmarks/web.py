"""Web pages under load (quality.md): gunicorn with 2 workers on the production settings, 20 concurrent
clients, p95 latency of the customer list (filtered, sorted, paginated), the customer page, the advisor
dashboard, the advisor's today list (page and API) and the manager tier report, each as a ratio to the p95 of a trivial authenticated page (`/ping/`)
measured in the same run under the same load (targets: ≤ 3 ×, tier report ≤ 5 ×).

Design. Each page is measured in its own phase: all the clients request that page only, so its latency is
its own queueing and service time at 20 clients, never the time spent waiting behind another page; the
trivial page gets the same treatment, so the ratio compares like with like. The phases run in rounds
(trivial, list, …, tier report; again; …) so that drift in the machine's other load touches every page
alike. `BENCH_WEB_MODE=both` adds a mixed phase (every client cycles through every page) for information:
there the trivial page waits behind the heavy ones, which flatters the ratios.

Clients: threads with their own `http.client` connection (the standard library), one database session per
client and role (created directly in the session table, signed with the server's secret; deleted at the
end). Every response must be a 200 that contains what the page must show (a customer code of that list
page, the customer's code, the dashboard's totals, the report's chart), so a login redirect or an error page
is never measured as a fast page; any failure stops the benchmark.

Environment: BENCH_WEB_REQUESTS (per page, default 300), BENCH_WEB_CLIENTS (20), BENCH_WEB_WORKERS (2),
BENCH_WEB_ROUNDS (3), BENCH_WEB_MODE (isolated | both)."""
import http.client
import math
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
TRIVIAL = "trivial page (/ping/)"


def _env_int(name, default):
    return int(os.environ.get(name, "") or default)


# -- the figures ---------------------------------------------------------------------------------------------
def percentile(values, p):
    """The nearest-rank percentile: the smallest value with at least p % of the values at or below it
    (p95 of 20 values is the 19th smallest, of 100 values the 95th). p = 0 gives the minimum."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} outside 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ratio(value, floor):
    """value / floor; None when there is no floor to divide by."""
    return value / floor if floor else None


def summarise(latencies, targets, trivial=TRIVIAL, elapsed=None):
    """{page: latencies (s)} and {page: target ratio} → one row per page, in order: name, requests, p50 and
    p95 (ms), ratio of its p95 to the trivial page's p95, target, met (None for the trivial page itself), and
    requests per second when {page: seconds its phases took} is given."""
    floor = percentile(latencies[trivial], 95)
    rows = []
    for page, values in latencies.items():
        p95 = percentile(values, 95)
        target = targets.get(page)
        r = None if page == trivial else ratio(p95, floor)
        rows.append({"page": page, "requests": len(values), "p50_ms": percentile(values, 50) * 1000,
                     "p95_ms": p95 * 1000, "ratio": r, "target": target,
                     "met": None if r is None or target is None else r <= target,
                     "per_s": len(values) / elapsed[page] if elapsed and elapsed.get(page) else None})
    return rows


def format_table(rows):
    lines = [(f"  {'page':<34} {'requests':>8} {'req/s':>6} {'p50 ms':>9} {'p95 ms':>9} {'p95 / trivial':>14}"
              f" {'target':>7}")]
    for row in rows:
        rate = "" if row.get("per_s") is None else f"{row['per_s']:.0f}"
        r = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        target = "" if row["target"] is None else f"≤ {row['target']:g}"
        met = "" if row["met"] is None else ("met" if row["met"] else "NOT met")
        lines.append(f"  {row['page']:<34} {row['requests']:>8,} {rate:>6} {row['p50_ms']:>9.1f} {row['p95_ms']:>9.1f}"
                     f" {r:>14} {target:>7}  {met}")
    return lines


# -- what is requested ---------------------------------------------------------------------------------------
@dataclass
class Page:
    name: str
    target: float | None
    role: str  # "advisor" or "manager": whose session asks
    variants: list  # (path, markers): the response must contain at least one of the markers
    latencies: list = field(default_factory=list)


def _list_variants(user, queries, pages=3):
    """List URLs (filter, sort, page) with the customer codes each page must show, from the same FilterSet and
    scope the view uses."""
    from django.core.paginator import Paginator

    from customers import selectors
    from customers.filters import CustomerFilter

    variants = []
    for query in queries:
        filterset = CustomerFilter(QueryDict(query), queryset=selectors.visible_customers_by_code(user))
        paginator = Paginator(selectors.list_rows(filterset.qs), 50)
        for number in range(1, min(pages, paginator.num_pages) + 1):
            codes = [c["customer_code"] for c in paginator.page(number).object_list]
            if codes:
                variants.append((f"/customers/?{query}&page={number}", [code.encode() for code in codes]))
    if not variants:
        raise SystemExit(f"bench web: the list queries {queries} show no customer to {user}")
    return variants


def build_pages(advisor_user, advisor_staff, manager_user, seed=1):
    from customers.models import CurrentTier, Customer

    rng = random.Random(seed)
    book = Customer.objects.filter(advisor=advisor_staff)
    stars = [s for s, _n in CurrentTier.objects.filter(customer__advisor=advisor_staff).exclude(star="")
             .values_list("star").annotate(n=Count("pk")).order_by("-n")[:2]]
    advisor_queries = [f"star={s}&ordering={o}" for s, o in zip(stars * 2, ("-total_assets", "-clv", "name"))]
    branch_stars = [s for s, _n in CurrentTier.objects.exclude(star="").values_list("star")
                    .annotate(n=Count("pk")).order_by("n")[:2]]  # the rarer stars: the ones managers look at
    manager_queries = [f"star={s}&ordering=-total_assets" for s in branch_stars] + [
        "lifecycle_stage=decline&ordering=-clv"]
    codes = list(book.order_by("customer_code").values_list("customer_code", flat=True))
    sample = rng.sample(codes, min(50, len(codes)))
    return [
        Page(TRIVIAL, None, "advisor", [("/ping/", [b'id="ping"'])]),
        Page("customer list (advisor's book)", 3, "advisor", _list_variants(advisor_user, advisor_queries)),
        Page("customer list (branch manager)", 3, "manager", _list_variants(manager_user, manager_queries)),
        Page("customer page (/customers/<code>/)", 3, "advisor",
             [(f"/customers/{code}/", [code.encode()]) for code in sample]),
        Page("advisor dashboard", 3, "advisor", [("/workspace/advisor/", [b'id="book-totals"'])]),
        Page("today's list (advisor)", 3, "advisor", [("/workspace/today/", [b'id="today-cards"'])]),
        Page("today's list API (advisor)", 3, "advisor", [("/api/workspace/today/", [b'"later_count"'])]),
        Page("tier report (branch manager)", 5, "manager",
             [("/customers/tiering/report/", [b'id="chart-stars"'])]),
    ]


# -- users and sessions --------------------------------------------------------------------------------------
def bench_users():
    """The wealth advisor with the largest book and a branch manager, each with a login: their own when they
    have one, else a bench login linked to them (`bench_web_advisor`, `bench_web_manager`, no password)."""
    from django.contrib.auth import get_user_model

    from customers.models import Role, Staff

    User = get_user_model()
    advisor = (Staff.objects.filter(role=Role.WEALTH_ADVISOR, is_active=True)
               .annotate(n=Count("customers")).order_by("-n", "staff_code").first())
    manager = (Staff.objects.filter(role=Role.BRANCH_MANAGER, is_active=True, user__isnull=False)
               .order_by("staff_code").first()
               or Staff.objects.filter(role=Role.BRANCH_MANAGER, is_active=True).order_by("staff_code").first())
    if advisor is None or manager is None:
        raise SystemExit("bench web needs a generated branch (a wealth advisor and a branch manager): "
                         "run generate_branch first, or pass --customers")

    def login_of(staff, username):
        if staff.user_id and staff.user.is_active:
            return staff.user
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        Staff.objects.filter(user=user).exclude(pk=staff.pk).update(user=None)
        staff.user = user
        staff.save(update_fields=["user"])
        return user

    return advisor, login_of(advisor, "bench_web_advisor"), login_of(manager, "bench_web_manager")


def create_session(user, secret):
    """A logged-in session row, as `login()` would write it, signed with the server's secret key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    with override_settings(SECRET_KEY=secret):
        session = SessionStore()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    return session.session_key


# -- the server ----------------------------------------------------------------------------------------------
def database_url():
    s = connection.settings_dict
    auth = s["USER"] or ""
    if s.get("PASSWORD"):
        from urllib.parse import quote

        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on the production settings (DEBUG off, manifest static files collected into a temporary
    STATIC_ROOT, behind a TLS proxy: the clients send X-Forwarded-Proto), against this database."""

    def __init__(self, workers, secret):
        self.workers, self.secret = workers, secret
        self.port = free_port()
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-web-")
        self.log_path = Path(self.tmp.name) / "gunicorn.log"
        self.proc = None

    def env(self):
        tmp = self.tmp.name
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DJANGO_SETTINGS_MODULE="bench_web_settings", PYTHONPATH=os.pathsep.join([tmp, str(ROOT)]),
            DJANGO_SECRET_KEY=self.secret, DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", DATABASE_URL=database_url(),
            CELERY_TASK_ALWAYS_EAGER="false", LOG_LEVEL="WARNING",
        )
        return env

    def start(self, timeout=90):
        tmp = Path(self.tmp.name)
        (tmp / "bench_web_settings.py").write_text(
            "from crm.settings.production import *  # noqa: F401,F403\n"
            f"STATIC_ROOT = {str(tmp / 'static')!r}\n")
        collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], check=False,
                                   cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=300)
        if collected.returncode:
            raise SystemExit(f"bench web: collectstatic failed:\n{collected.stderr[-2000:]}")
        self.log = open(self.log_path, "w")  # noqa: SIM115 (gunicorn writes to it until stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "crm.wsgi:application", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level", "warning"],
            cwd=ROOT, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"bench web: gunicorn exited ({self.proc.returncode}):\n{self.output()}")
            try:
                status, _body, _t = request(self.connection(), "/health/", {})
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"bench web: gunicorn did not answer /health/ within {timeout} s:\n{self.output()}")

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def output(self):
        try:
            return self.log_path.read_text()[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        self.tmp.cleanup()


# -- the clients ---------------------------------------------------------------------------------------------
def request(conn, path, headers):
    """GET path on a kept-alive connection (reopened when the server closed it); (status, body, seconds)."""
    started = time.perf_counter()
    try:
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https", **headers})
        response = conn.getresponse()
        body = response.read()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        conn.close()  # the server closed an idle connection: once more on a new one
        started = time.perf_counter()
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https", **headers})
        response = conn.getresponse()
        body = response.read()
    return response.status, body, time.perf_counter() - started


def run_load(server, jobs, cookies):
    """Run the jobs [(page, path, markers)] over len(cookies) client threads (client i sends cookies[i][role]),
    each taking the next job as soon as its previous response is in. Latencies go to each page; the first
    wrong response (not a 200, or without any of its markers) stops the run."""
    lock = threading.Lock()
    position = iter(range(len(jobs)))
    failures = []

    def client(i):
        conn = server.connection()
        try:
            while not failures:
                with lock:
                    n = next(position, None)
                if n is None:
                    return
                page, path, markers = jobs[n]
                try:
                    status, body, seconds = request(conn, path, {"Cookie": f"sessionid={cookies[i][page.role]}"})
                except OSError as exc:
                    failures.append(f"{path}: {exc!r}")
                    return
                if status != 200 or not any(m in body for m in markers):
                    failures.append(f"{path}: HTTP {status}, {len(body)} bytes, expected {markers[0]!r}: "
                                    f"{body[:300]!r}")
                    return
                with lock:
                    page.latencies.append(seconds)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(cookies))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"bench web: a wrong response, nothing measured: {failures[0]}\n"
                         f"gunicorn's log:\n{server.output()}")
    return time.perf_counter() - started


def jobs_for(page, n, rng):
    return [(page, *page.variants[rng.randrange(len(page.variants))]) for _ in range(n)]


def rounds_of(total, rounds):
    base, extra = divmod(total, rounds)
    return [base + (1 if i < extra else 0) for i in range(rounds)]


# -- where the CPU goes (information: which side a page's cost is on) --------------------------------------
def local_processes():
    """[(pid, parent pid, command name)] of this machine's processes, from /proc (Linux; [] elsewhere)."""
    out = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    head, tail = fh.read().rsplit(")", 1)
            except OSError:
                continue  # gone meanwhile
            out.append((int(entry), int(tail.split()[1]), head.split("(", 1)[1]))
    return out


def process_cpu(pids):
    """CPU seconds (user + system) these processes have used so far; processes that are gone count 0."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by the app server (gunicorn and its workers), the database (the local postgres processes,
    when the database is on this machine) and the clients (this process), between start() and stop()."""

    def __init__(self, server_pid, database_is_local):
        self.server_pid, self.database_is_local = server_pid, database_is_local

    def read(self):
        procs = local_processes()
        app = [pid for pid, ppid, _name in procs if pid == self.server_pid or ppid == self.server_pid]
        db = [pid for pid, _ppid, name in procs if name == "postgres"] if self.database_is_local else []
        return process_cpu(app), process_cpu(db) if db else None, time.process_time()

    def start(self):
        self.before = self.read()

    def stop(self, into):
        """Add the CPU seconds used since start() to `into` {"app", "db", "client"}."""
        after = self.read()
        for key, b, a in zip(("app", "db", "client"), self.before, after, strict=True):
            # a process that ended meanwhile takes its CPU with it: never count less than nothing
            into[key] = None if a is None or b is None else into.get(key, 0.0) + max(0.0, a - b)


def format_cpu(cpu, requests):
    """Lines of CPU milliseconds per request by side, for each page."""
    lines = [f"  {'page':<34} {'app':>7} {'database':>9} {'clients':>8}   (CPU ms per request)"]
    for page, used in cpu.items():
        cells = ["—" if used.get(k) is None else f"{used[k] / requests[page] * 1000:.2f}"
                 for k in ("app", "db", "client")]
        lines.append(f"  {page:<34} {cells[0]:>7} {cells[1]:>9} {cells[2]:>8}")
    return lines


# -- the benchmark -------------------------------------------------------------------------------------------
def run(stdout, requests=None, clients=None, workers=None, rounds=None, mode=None, seed=1):
    if connection.vendor != "postgresql":
        raise SystemExit("bench web measures gunicorn on PostgreSQL: set DATABASE_URL")
    from customers.models import Customer
    from customers.tiering.reports import run_dates

    requests = requests or _env_int("BENCH_WEB_REQUESTS", 300)
    clients = clients or _env_int("BENCH_WEB_CLIENTS", 20)
    workers = workers or _env_int("BENCH_WEB_WORKERS", 2)
    rounds = max(1, min(rounds or _env_int("BENCH_WEB_ROUNDS", 3), requests))
    mode = mode or os.environ.get("BENCH_WEB_MODE", "isolated")
    if mode not in ("isolated", "both"):
        raise SystemExit(f"BENCH_WEB_MODE={mode}: use isolated or both")
    if not run_dates():
        raise SystemExit("bench web: no tiering run yet (the tier report and the lists read its tiers): "
                         "run `manage.py reclassify` first")
    customers = Customer.objects.count()
    advisor_staff, advisor_user, manager_user = bench_users()
    pages = build_pages(advisor_user, advisor_staff, manager_user, seed)
    rng = random.Random(seed)
    secret = secrets.token_urlsafe(48)
    sessions = []
    server = Server(workers, secret)
    try:
        cookies = []
        for _ in range(clients):
            pair = {"advisor": create_session(advisor_user, secret), "manager": create_session(manager_user, secret)}
            sessions.extend(pair.values())
            cookies.append(pair)
        server.start()
        for page in pages:  # warm-up, not measured: each page under the full load
            run_load(server, jobs_for(page, 2 * clients, rng), cookies)
        for page in pages:
            page.latencies.clear()

        elapsed = {page.name: 0.0 for page in pages}
        cpu = {page.name: {} for page in pages}
        meter = CpuMeter(server.proc.pid, connection.settings_dict["HOST"] in ("", "127.0.0.1", "localhost"))
        for share in rounds_of(requests, rounds):
            for page in pages:
                meter.start()
                elapsed[page.name] += run_load(server, jobs_for(page, share, rng), cookies)
                meter.stop(cpu[page.name])
        isolated = {p.name: list(p.latencies) for p in pages}

        mixed = None
        if mode == "both":
            for page in pages:
                page.latencies.clear()
            jobs = [job for _ in range(requests) for job in rng.sample([(p, *rng.choice(p.variants)) for p in pages],
                                                                       len(pages))]
            run_load(server, jobs, cookies)
            mixed = {p.name: list(p.latencies) for p in pages}
    finally:
        server.stop()
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=sessions).delete()

    targets = {p.name: p.target for p in pages}
    rows = summarise(isolated, targets, elapsed=elapsed)
    stdout.write(f"bench web: {customers:,} customers; gunicorn {workers} workers (production settings, DEBUG off), "
                 f"{clients} concurrent clients; advisor {advisor_staff.staff_code} "
                 f"({Customer.objects.filter(advisor=advisor_staff).count():,} customers), "
                 f"branch manager {manager_user.username}")
    stdout.write(f"each page alone under the load, {requests:,} requests per page in {rounds} rounds "
                 f"(p95 / trivial p95: ratio of p95 latencies in the same run)")
    for line in format_table(rows):
        stdout.write(line)
    stdout.write("where the CPU goes (information): gunicorn and its workers, the local PostgreSQL processes, "
                 "the clients")
    for line in format_cpu(cpu, {p.name: len(isolated[p.name]) for p in pages}):
        stdout.write(line)
    result = {"customers": customers, "clients": clients, "workers": workers, "isolated": rows, "cpu": cpu}
    if mixed is not None:
        mixed_rows = summarise(mixed, targets)
        stdout.write("mixed (information only): every client cycles through all pages, so the trivial page waits "
                     "behind the heavy ones")
        for line in format_table(mixed_rows):
            stdout.write(line)
        result["mixed"] = mixed_rows
    return result

