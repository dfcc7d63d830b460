"""`manage.py bench web`: the percentile and ratio arithmetic on hand-made latencies (no database, every pass),
and the whole machinery — gunicorn, sessions, clients, response checks — on a tiny branch (PostgreSQL). Nothing
here times anything: the figures are the benchmark's, not the tests'."""
import io
import os
from datetime import date

import pytest
from django.db import connection

from crm.benchmarks import web
from crm.benchmarks.web import TRIVIAL, format_table, percentile, ratio, rounds_of, summarise


def test_percentile_is_the_nearest_rank():
    one_to_twenty = list(range(20, 0, -1))  # unsorted on purpose
    assert percentile(one_to_twenty, 95) == 19  # ceil(0.95 × 20) = 19th smallest
    assert percentile(one_to_twenty, 50) == 10  # ceil(0.50 × 20) = 10th
    assert percentile(one_to_twenty, 100) == 20
    assert percentile(one_to_twenty, 0) == 1
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile(list(range(1, 11)), 95) == 10  # ceil(9.5) = 10th: the maximum of ten
    assert percentile([5, 1, 3, 2, 4], 50) == 3  # ceil(2.5) = 3rd
    assert percentile([10, 20, 30, 40], 50) == 20  # ceil(2.0) = 2nd
    assert percentile([7.5], 95) == 7.5
    # one slow outlier among 100 does not move the p95, six do
    assert percentile([0.01] * 99 + [9.0], 95) == 0.01
    assert percentile([0.01] * 94 + [9.0] * 6, 95) == 9.0


@pytest.mark.parametrize("values, p", [([], 95), ([1, 2], 101), ([1, 2], -1)])
def test_percentile_refuses_nonsense(values, p):
    with pytest.raises(ValueError):
        percentile(values, p)


def test_ratio():
    assert ratio(30, 10) == 3
    assert ratio(0.5, 0.25) == 2
    assert ratio(1, 0) is None


def test_summary_divides_each_p95_by_the_trivial_pages_p95():
    # eighths of a second are exact in binary floating point, so the ratios are exact
    trivial = [i / 8 for i in range(1, 21)]  # p50 10/8 s, p95 19/8 s
    latencies = {
        TRIVIAL: trivial,
        "list": [3 * t for t in trivial],  # p95 exactly 3 × the trivial p95: the target is met (≤)
        "report": [6 * t for t in trivial],  # 6 ×: over its 5 ×
        "page": [t + 1 for t in trivial],  # p95 27/8 s
    }
    rows = summarise(latencies, {"list": 3, "report": 5, "page": 3}, elapsed={TRIVIAL: 2, "list": 4})
    by_page = {row["page"]: row for row in rows}
    assert [row["page"] for row in rows] == [TRIVIAL, "list", "report", "page"]
    assert by_page[TRIVIAL]["p95_ms"] == 2375 and by_page[TRIVIAL]["p50_ms"] == 1250
    assert by_page[TRIVIAL]["ratio"] is None and by_page[TRIVIAL]["met"] is None
    assert by_page[TRIVIAL]["per_s"] == 10 and by_page["list"]["per_s"] == 5 and by_page["report"]["per_s"] is None
    assert by_page["list"]["p95_ms"] == 7125 and by_page["list"]["ratio"] == 3 and by_page["list"]["met"] is True
    assert by_page["report"]["ratio"] == 6 and by_page["report"]["met"] is False
    assert by_page["page"]["ratio"] == pytest.approx(27 / 19) and by_page["page"]["met"] is True
    assert all(row["requests"] == 20 for row in rows)

    table = "\n".join(format_table(rows))
    assert "NOT met" in table.splitlines()[3] and table.splitlines()[2].endswith("  met")
    assert "3.00" in table and "6.00" in table and "≤ 5" in table


def test_rounds_share_the_requests():
    assert rounds_of(10, 3) == [4, 3, 3]
    assert rounds_of(300, 3) == [100, 100, 100]
    assert sum(rounds_of(7, 7)) == 7


def test_refuses_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is SQLite's")
    with pytest.raises(SystemExit, match="PostgreSQL"):
        web.run(io.StringIO())


@pytest.mark.postgres
@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_benchmark_runs_end_to_end_on_a_tiny_branch(reference_data):
    """gunicorn on the production settings against the test database, a few clients, a few requests per page:
    every response checked, a table printed, gunicorn stopped and the bench sessions removed."""
    if connection.vendor != "postgresql":
        pytest.skip("gunicorn shares the database through a server: runs in the PostgreSQL pass")
    from django.contrib.sessions.models import Session
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        call_command("generate_branch", customers=300, seed=5, as_of=date(2026, 11, 26), stdout=quiet)
        call_command("reclassify", date=date(2026, 11, 26), stdout=quiet)
    sessions_before = Session.objects.count()
    out = io.StringIO()
    result = web.run(out, requests=8, clients=4, workers=2, rounds=2, mode="both")
    text = out.getvalue()
    assert "gunicorn 2 workers" in text and "4 concurrent clients" in text, text
    pages = [row["page"] for row in result["isolated"]]
    assert pages[0] == TRIVIAL and len(pages) == 8
    assert any("tier report" in p for p in pages) and any("dashboard" in p for p in pages)
    for row in result["isolated"] + result["mixed"]:
        assert row["requests"] == 8 and row["p95_ms"] >= row["p50_ms"] > 0
        assert (row["ratio"] is None) == (row["page"] == TRIVIAL)
    assert Session.objects.count() == sessions_before  # the bench's sessions are gone
    # gunicorn's workers and the local PostgreSQL worked: CPU was measured on both sides (in 10 ms ticks, so a
    # page of 8 light requests may show no database tick of its own, but the pages together do)
    assert set(result["cpu"]) == set(pages) and "where the CPU goes" in text
    assert sum(used["app"] for used in result["cpu"].values()) > 0
    if any(name == "postgres" for _pid, _ppid, name in web.local_processes()):  # a server this test can see
        assert sum(used["db"] for used in result["cpu"].values()) > 0


def test_cpu_of_processes_read_from_proc():
    if not os.path.isdir("/proc"):
        pytest.skip("/proc is Linux's")
    import time

    me = os.getpid()
    assert (me, os.getppid()) in {(pid, ppid) for pid, ppid, _name in web.local_processes()}
    before, clock = web.process_cpu([me]), time.process_time()
    spent = 0
    while time.process_time() - clock < 0.3:  # burn 0.3 s of CPU, measured by the standard library
        spent += sum(range(10_000))
    used = web.process_cpu([me, 999_999_999]) - before  # a pid that is gone counts nothing
    assert abs(used - (time.process_time() - clock)) < 0.05  # /proc agrees within its 10 ms ticks


def test_cpu_per_request_lines():
    cpu = {TRIVIAL: {"app": 0.4, "db": 0.04, "client": 0.04}, "list": {"app": 1.2, "db": None, "client": 0.05}}
    lines = web.format_cpu(cpu, {TRIVIAL: 100, "list": 100})
    # 0.4 s over 100 requests = 4.00 ms; a database on another machine is not measured
    assert lines[1].split()[-3:] == ["4.00", "0.40", "0.40"]
    assert lines[2].split()[-3:] == ["12.00", "—", "0.50"]
