"""Products benchmark: the set-based matcher over the whole branch vs reading its inputs, and vs a
per-customer loop (`run(stdout)`, like the other benchmarks; register it as `bench products`)."""
import statistics
import time

from django.contrib.auth import get_user_model

from customers.models import Customer, Role, Staff

from . import batch, rules, selectors


def _timed(fn, repeat=3):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def _branch_user():
    manager = Staff.objects.filter(role=Role.BRANCH_MANAGER).exclude(user=None).first()
    if manager is not None:
        return manager.user
    return get_user_model()(is_superuser=True, pk=0)  # everything in scope, never saved


def run(stdout):
    n = Customer.objects.count()
    if not n:
        raise SystemExit("No customers: run generate_branch first.")
    user = _branch_user()
    ctx = selectors.match_context()
    code = "PUBLIC_FUND"
    customers = Customer.objects.all()
    floor, frame = _timed(lambda: selectors.facts_frame(customers, extra=selectors.PUSH_EXTRA))
    push, pushed = _timed(lambda: selectors.push_list(user, code, ctx))
    table_s, table = _timed(lambda: batch.reason_table(frame, ctx.catalogue, cutoff=ctx.cutoff), repeat=1)
    stdout.write(f"customers {n:,}; push list for {code}: {len(pushed):,} suitable")
    stdout.write(f"  read inputs (floor)      {floor:8.2f} s")
    stdout.write(f"  push list (read+match)   {push:8.2f} s   ratio to floor {push / floor:5.2f}")
    stdout.write(f"  all {len(ctx.catalogue)} products x all customers (match only) {table_s:6.2f} s")
    sample = list(Customer.objects.order_by("pk")[:5000])
    terms = selectors.terms_of(ctx, code)
    started = time.perf_counter()
    for customer in sample:  # the naive way: one read and one Python decision per customer
        rules.check(selectors.facts_for(customer), terms, cutoff=ctx.cutoff,
                    waived=selectors.waivers_for(customer, ctx.today).get(code, ()))
    naive = (time.perf_counter() - started) / len(sample)
    per = push / n
    stdout.write(f"  per customer: set-based {per * 1e6:8.1f} µs, naive loop {naive * 1e6:8.1f} µs,"
                 f" speed-up {naive / per:6.0f}x")
    conc, (flagged, _picks) = _timed(lambda: selectors.concentration_list(user, ctx), repeat=1)
    stdout.write(f"  concentration list       {conc:8.2f} s   ({len(flagged):,} flagged)")
    from customers.scope import scope_for

    staffing, _ = _timed(lambda: selectors.staffing_inputs(scope_for(user)), repeat=1)
    stdout.write(f"  staffing report inputs   {staffing:8.2f} s")
    one = []
    for customer in Customer.objects.select_related("tier").order_by("?")[:50]:
        started = time.perf_counter()
        selectors.recommendations_for(customer, ctx)
        one.append(time.perf_counter() - started)
    stdout.write(f"  one customer's recommendations (median of 50) {statistics.median(one) * 1000:6.1f} ms")
    agree = table.loc[pushed["id"], code].eq("").all()
    stdout.write(f"  push list ⊆ matched in the full table: {bool(agree)}")
