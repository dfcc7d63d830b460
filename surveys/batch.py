"""The monthly sampling plan, set-based with pandas (surveys.md "Sampling plans").

Rules, in order:
1. every customer who closed or transferred out (application filed, not withdrawn, or closed_on) in the
   previous or current month: questionnaire W (the last callback), unless already called back for
   closing within the no-repeat window;
2. every customer with an open churn warning: questionnaire W, unless already given W within the window;
3. per investment advisor 20, per wealth advisor 10 customers of their book (investment advisors first;
   a customer is drawn once), never sampled within the last 12 months (plan months), not closed:
   first ceil(20 % × quota) from the "untraced" pool (no service record in the trace window, or hung up
   at the last attempt), then the rest stratified by star in proportion to the advisor's book (largest
   remainder), topped up at random when a stratum runs short;
4. the questionnaire of a sampled customer follows the lifecycle stage (policy map).
"""

import numpy as np
import pandas as pd
from django.db import transaction

from crm.services import audit, job_run
from customers.models import Office, Role

from . import selectors
from .models import PlanItem, Questionnaire, SamplingPlan


def allocate(book, left):
    """Largest-remainder allocation of each advisor's `left` draws over the stars of the advisor's book.

    book: DataFrame advisor, star, n (book counts); left: Series advisor -> draws. Vectorised over advisors.
    Ties in the remainder go to the lower star (the book's order)."""
    b = book.copy()
    b["left"] = b["advisor"].map(left).fillna(0).astype(int)
    b["exact"] = b["n"] / b.groupby("advisor")["n"].transform("sum") * b["left"]
    b["base"] = np.floor(b["exact"] + 1e-9).astype(int)
    b["frac"] = b["exact"] - b["base"]
    b["short"] = b["left"] - b.groupby("advisor")["base"].transform("sum")
    b = b.sort_values(["advisor", "frac"], ascending=[True, False], kind="mergesort")
    b["alloc"] = b["base"] + (b.groupby("advisor").cumcount() < b["short"]).astype(int)
    return b.loc[b["left"] > 0, ["advisor", "star", "alloc"]]


def draw(eligible, book, quotas, min_share, rng):
    """Vectorised draw for all advisors at once.

    eligible: DataFrame indexed by customer_id with advisor, star, untraced (bool).
    book: DataFrame of every (advisor, star) book count (the proportions), columns advisor, star, n.
    quotas: Series advisor -> sample size. Returns DataFrame customer_id, advisor, reason.
    """
    if eligible.empty:
        return pd.DataFrame(columns=["customer_id", "advisor", "reason"])
    e = eligible.copy()
    e["key"] = rng.random(len(e))
    available = e.groupby("advisor").size().reindex(quotas.index).fillna(0)
    size = pd.concat([quotas, available], axis=1).min(axis=1).astype(int)  # n per advisor
    # 1. untraced first: ceil(share × n)
    need_untraced = np.ceil(size * min_share - 1e-9).astype(int)
    u = e[e["untraced"]].sort_values("key")
    u_rank = u.groupby("advisor").cumcount()
    chosen_u = u[u_rank < u["advisor"].map(need_untraced).fillna(0).values].index
    chosen = pd.Series("untraced", index=chosen_u)
    # 2. the rest stratified by star in proportion to the book
    rest = e.drop(index=chosen_u)
    left = (size - pd.Series(chosen_u.map(e["advisor"])).value_counts().reindex(size.index).fillna(0)).astype(int)
    alloc = allocate(book, left)
    if len(alloc):
        rest = rest.reset_index().merge(alloc, on=["advisor", "star"], how="left").set_index("customer_id")
        rest["alloc"] = rest["alloc"].fillna(0).astype(int)
        rest = rest.sort_values("key")
        rank = rest.groupby(["advisor", "star"]).cumcount()
        strat = rest[rank < rest["alloc"]].index
        chosen = pd.concat([chosen, pd.Series("stratified", index=strat)])
        # 3. top up where a stratum ran short
        remaining = rest.drop(index=strat)
        got = pd.Series(chosen.index.map(e["advisor"])).value_counts().reindex(size.index).fillna(0).astype(int)
        short = (size - got).clip(lower=0)
        r_rank = remaining.groupby("advisor").cumcount()
        top = remaining[r_rank < remaining["advisor"].map(short).fillna(0).values].index
        chosen = pd.concat([chosen, pd.Series("stratified", index=top)])
    out = pd.DataFrame({"customer_id": chosen.index, "reason": chosen.values})
    out["advisor"] = out["customer_id"].map(e["advisor"])
    return out


def build_plan_frame(month, params, seed=None):
    """All plan rows of the month (every office) as a DataFrame: customer_id, office_id, advisor, reason,
    questionnaire code, star, stage."""
    f = selectors.sampling_frames(month, params)
    c = f["customers"]
    rng = np.random.default_rng(seed if seed is not None else int(month.strftime("%Y%m")))
    recent = f["recent"]
    recently_sampled = set(recent["customer_id"].astype(int))
    recent_closing = set(recent.loc[recent["reason"] == "closing", "customer_id"].astype(int))
    recent_w = set(recent.loc[recent["code"] == params["warned_questionnaire"], "customer_id"].astype(int))
    rows = []
    closing = sorted((f["closing"] & set(c.index)) - recent_closing)
    rows.append(pd.DataFrame({"customer_id": closing, "reason": "closing",
                              "questionnaire": params["closing_questionnaire"]}))
    warned = sorted((f["warned"] & set(c.index)) - recent_w - set(closing))
    rows.append(pd.DataFrame({"customer_id": warned, "reason": "warned",
                              "questionnaire": params["warned_questionnaire"]}))
    taken = set(closing) | set(warned)
    staff = f["staff"]
    open_book = c[c["closed_on"].isna() & ~c.index.isin(list(f["closing"]))]
    untraced = ~open_book.index.isin(list(f["traced"])) | open_book.index.isin(list(f["hung_up"]))
    open_book = open_book.assign(untraced=untraced, star=open_book["star"].fillna(""))
    for role, column, quota_key in ((Role.INVESTMENT_ADVISOR, "investment_advisor_id", "per_investment_advisor"),
                                    (Role.WEALTH_ADVISOR, "advisor_id", "per_wealth_advisor")):
        advisors = staff.index[staff["role"] == role]
        book = open_book[open_book[column].isin(advisors)].assign(advisor=lambda d: d[column].astype(int))
        counts = book.groupby(["advisor", "star"]).size().rename("n").reset_index()
        eligible = book[~book.index.isin(list(recently_sampled | taken))]
        quotas = pd.Series(int(params[quota_key]), index=pd.Index(sorted(book["advisor"].unique()), name="advisor"))
        drawn = draw(eligible[["advisor", "star", "untraced"]], counts, quotas, float(params["min_untraced_share"]),
                     rng)
        taken |= set(drawn["customer_id"].astype(int))
        rows.append(drawn.assign(questionnaire=None))
    plan = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else \
        pd.DataFrame(columns=["customer_id", "reason", "questionnaire", "advisor"])
    plan["customer_id"] = plan["customer_id"].astype(int)
    plan["office_id"] = plan["customer_id"].map(c["office_id"]).astype(int)
    plan["star"] = plan["customer_id"].map(c["star"]).fillna("")
    plan["stage"] = plan["customer_id"].map(c["stage"]).fillna("")
    default_advisor = plan["customer_id"].map(c["advisor_id"])
    plan["advisor"] = plan["advisor"].where(plan["advisor"].notna(), default_advisor) if "advisor" in plan else \
        default_advisor
    by_stage = params["questionnaire_by_stage"]
    plan["questionnaire"] = plan["questionnaire"].where(plan["questionnaire"].notna(),
                                                        plan["stage"].map(by_stage).fillna(by_stage.get("", "E")))
    return plan


def generate_plans(*, month, actor=None, seed=None, office_ids=None):
    """Write the month's draft plans (one per office). A released plan is left alone. Idempotent per seed."""
    policy = selectors.active_policy()
    params = policy.params["sampling"]
    month = selectors.month_of(month)
    with job_run("survey_sampling", params={"month": month.isoformat(), "seed": seed},
                 user=actor if getattr(actor, "is_authenticated", False) else None) as run:
        plan = build_plan_frame(month, params, seed)
        offices = list(Office.objects.filter(pk__in=office_ids) if office_ids else Office.objects.all())
        codes = dict(Questionnaire.objects.values_list("code", "pk"))
        written = {}
        with transaction.atomic():
            for office in offices:
                existing = SamplingPlan.objects.select_for_update().filter(month=month, office=office).first()
                if existing and existing.status == SamplingPlan.State.RELEASED:
                    continue
                rows = plan[plan["office_id"] == office.pk]
                counts = {k: int(v) for k, v in rows["reason"].value_counts().items()}
                if existing:
                    existing.items.all().delete()
                    existing.counts, existing.policy_version = counts, policy.version
                    existing.save(update_fields=["counts", "policy_version", "generated_at"])
                    target = existing
                else:
                    target = SamplingPlan.objects.create(month=month, office=office, counts=counts,
                                                         policy_version=policy.version)
                PlanItem.objects.bulk_create([
                    PlanItem(plan=target, customer_id=int(r.customer_id), questionnaire_id=codes[r.questionnaire],
                             reason=r.reason, sampled_for_id=None if pd.isna(r.advisor) else int(r.advisor),
                             star=r.star or "", stage=r.stage or "")
                    for r in rows.itertuples(index=False)], batch_size=2000)
                written[office.code] = len(rows)
            if actor is not None:
                audit(actor, "survey.plan.generate", object_type="surveys.samplingplan",
                      object_id=month.isoformat(), offices=written)
        run.counts = {"month": month.isoformat(), "items": written}
    return written
