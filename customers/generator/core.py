"""The synthetic branch: a realistic, deterministic stand-in for the back office (spec README).

Everything is drawn with numpy Generators from the seed, in a fixed order, as whole
arrays (no per-customer Python loop): the customer-level draws and the staff for the
whole branch, then the rows of each block of BLOCK customers from the block's own
stream, which write.py COPYs (executemany on SQLite) block by block.
"""
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..models import Grade, Role
from ..permissions import BIT

BLOCK = 10_000  # customers per random stream and per write

# Study figures for the whole branch (220,000 customers).
SEGMENT_SHARES = {  # ~202k ordinary, ~2k advisory, ~5k margin, ~2k restricted stock, ~250 institutions
    "advisory": 2000 / 220_000,
    "margin": 5000 / 220_000,
    "restricted": 2000 / 220_000,
    "institutional": 250 / 220_000,
}
OFFICE_WEIGHTS = {"ZS": 0.22, "CS": 0.20, "XS": 0.12, "HY": 0.14, "XT": 0.10, "YY": 0.12, "ZZ": 0.10}
# (median assets CNY, log-sd) per segment: heavy-tailed, as in a real brokerage book.
ASSET_PARAMS = {
    "ordinary": (40_000, 1.9),
    "advisory": (600_000, 1.0),
    "margin": (500_000, 1.0),
    "restricted": (3_000_000, 1.2),
    "institutional": (30_000_000, 1.5),
}
# Lifecycle profiles of retail customers (shares); the rest are steady active customers.
PROFILE_SHARES = {"prospect": 0.02, "budding": 0.03, "churned": 0.04, "dormant": 0.02, "declining": 0.08}
RISK_LEVELS = np.array(["C1", "C2", "C3", "C4", "C5"])
RISK_P = [0.08, 0.22, 0.35, 0.25, 0.10]
STAFF_FILL = 0.85  # advisors are staffed so that books sit at ~85 % of the cap
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力晨宇浩然思雨欣怡梓涵子轩博文佳琪嘉")
INSTITUTION_WORDS = ["湘江", "岳麓", "洞庭", "芙蓉", "星城", "衡山", "潇湘", "麓谷", "橘洲", "天心"]
INSTITUTION_KINDS = ["投资有限公司", "实业股份有限公司", "资产管理有限公司", "科技股份有限公司", "私募基金管理有限公司"]


@dataclass
class Branch:
    """The generated frames, in DB column form, ready for bulk writing (all blocks concatenated)."""

    staff: pd.DataFrame
    customers: pd.DataFrame
    snapshots: pd.DataFrame
    activity: pd.DataFrame
    ipo_quotas: pd.DataFrame
    applications: pd.DataFrame
    events: pd.DataFrame
    interactions: pd.DataFrame
    as_of: date
    # six months of history before the first night (history.py); empty without history
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)
    alert_transitions: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_responses: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_answers: pd.DataFrame = field(default_factory=pd.DataFrame)


def month_ends(as_of, months):
    """The as-of date and the previous (months - 1) month-ends, oldest first."""
    ends, d = [as_of], as_of.replace(day=1) - timedelta(days=1)
    while len(ends) < months:
        ends.append(d)
        d = d.replace(day=1) - timedelta(days=1)
    return sorted(ends)


def snapshot_dates(as_of, months):
    """month_ends plus the day before the data date (the previous night the generator runs the tiering for)."""
    return sorted(set(month_ends(as_of, months)) | {as_of - timedelta(days=1)})


def _names(rng, n):
    s = rng.choice(SURNAMES, n)
    g1 = rng.choice(GIVEN, n)
    g2 = np.where(rng.random(n) < 0.6, rng.choice(GIVEN, n), "")
    return np.char.add(np.char.add(s, g1), g2)


def _days(dates):
    return pd.to_datetime(pd.Series(dates)).values.astype("datetime64[D]")


def _iso(day_array):
    out = pd.Series(np.datetime_as_string(day_array, unit="D"))
    return out.where(~pd.isna(day_array), None)


class Generator:
    """Customer-level draws and the staff for the whole branch first (one numpy Generator from the seed: a few
    arrays of n values), then every row-level fact block by block of BLOCK customers, each block from its own
    random stream (seed, block number) — so memory is bounded by a block and the branch does not depend on how
    the writer groups blocks."""

    def __init__(self, customers, seed, as_of, months=13, days=120, office_ids=None, history=True):
        self.n = int(customers)
        self.seed = int(seed)
        self.rng = np.random.default_rng(abs(self.seed))
        self.as_of = as_of
        self.months = months
        self.days = days
        self.history = history
        self.office_codes = list(OFFICE_WEIGHTS)
        self.office_ids = office_ids or {code: i + 1 for i, code in enumerate(self.office_codes)}
        self.c = None
        self.staff = None
        self.next_ids = {}  # explicit primary keys of rows other rows point to (interactions, alerts, responses)

    def take_ids(self, name, k):
        start = self.next_ids.get(name, 1)
        self.next_ids[name] = start + k
        return np.arange(start, start + k, dtype=np.int64)

    def prepare(self):
        """The customer-level draws and the staff (idempotent); returns the staff frame."""
        if self.c is None:
            self.c = self._customers()
            self.staff = self._staff_and_assignment(self.c)
        return self.staff

    def blocks(self):
        """The branch's row-level frames, one dict of frames per block of BLOCK customers, in id order."""
        self.prepare()
        self.next_ids = {}
        for b, lo in enumerate(range(0, self.n, BLOCK)):
            yield self._block(b, lo, min(lo + BLOCK, self.n))

    def build(self):
        """The whole branch in memory (tests, small branches); write_branch streams blocks() instead."""
        staff = self.prepare()
        parts = list(self.blocks())
        frames = {key: pd.concat([p[key] for p in parts], ignore_index=True) for key in parts[0]}
        return Branch(staff=staff, as_of=self.as_of, **frames)

    def _block(self, b, lo, hi):
        rng = np.random.default_rng([abs(self.seed), b + 1])
        c = {k: (v[lo:hi] if isinstance(v, np.ndarray) and len(v) == self.n else v) for k, v in self.c.items()}
        c["n"] = hi - lo
        c["style"] = rng.choice(["trader", "allocator", "mixed"], c["n"], p=[0.6, 0.15, 0.25])
        snapshots, mix = self._snapshots(c, rng)
        frames = {
            "snapshots": snapshots,
            "activity": self._activity(c, mix, rng),
            "ipo_quotas": self._ipo_quotas(c, rng),
            "applications": self._applications(c, rng),
            "events": self._events(c, rng),
        }
        frames["interactions"] = self._interactions(c, rng)
        if self.history:
            from . import history

            frames.update(history.build(self, c, frames, rng))
        frames["customers"] = self._customer_frame(c, rng, frames["interactions"])
        return frames

    def _customers(self):
        rng, n = self.rng, self.n
        seg = np.full(n, "ordinary", dtype=object)
        order = rng.permutation(n)
        start = 0
        for name, share in SEGMENT_SHARES.items():
            k = max(1, round(n * share)) if n >= 200 else round(n * share)
            seg[order[start : start + k]] = name
            start += k
        retail = seg != "institutional"
        profile = np.full(n, "active", dtype=object)
        u = rng.random(n)
        edge = 0.0
        for name, share in PROFILE_SHARES.items():
            eligible = (seg == "ordinary") if name in ("prospect", "budding") else retail  # no prospect holds restricted stock
            profile[eligible & (u >= edge) & (u < edge + share)] = name
            edge += share
        median = np.array([ASSET_PARAMS[s][0] for s in seg], dtype=float)
        sigma = np.array([ASSET_PARAMS[s][1] for s in seg], dtype=float)
        assets = median * np.exp(sigma * rng.standard_normal(n))
        office = rng.choice(self.office_codes, n, p=list(OFFICE_WEIGHTS.values()))
        office[seg == "institutional"] = "ZS"  # the institutional desk sits at the direct office
        as_of = np.datetime64(self.as_of, "D")
        age_days = (rng.pareto(1.2, n) * 900 + 200).clip(200, 365 * 20).astype(int)
        opened = as_of - age_days
        recent = rng.integers(5, 170, n)
        opened = np.where(profile == "budding", as_of - recent, opened)
        # The study: only ~20 % of new accounts fund and trade within 180 days; the rest stay budding.
        young = (as_of - opened).astype(int) < 365
        stalled = young & (profile == "active") & (seg == "ordinary") & (rng.random(n) < 0.85)
        profile[stalled] = "budding"
        funded = opened + rng.integers(0, 30, n)
        has_opened = profile != "prospect"
        has_funded = has_opened & ((profile != "budding") | (rng.random(n) < 0.4))
        closed = np.where(profile == "churned", as_of - rng.integers(1, 330, n), np.datetime64("NaT"))
        closed = np.where(closed < funded, funded + 1, closed)
        assets = np.where(np.isin(profile, ["prospect", "budding"]), assets * 0.05, assets)
        assets = np.where(profile == "dormant", rng.uniform(0, 99, n), assets)
        birth = as_of - rng.integers(20 * 365, 80 * 365, n)
        id_exp = as_of + rng.integers(-20, 3650, n)
        c = {
            "n": n,
            "id": np.arange(1, n + 1),
            "code": np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 8)),
            "segment": seg,
            "profile": profile,
            "kind": np.where(retail, "retail", "institutional"),
            "assets": assets,
            "office": office,
            "opened": np.where(has_opened, opened, np.datetime64("NaT")),
            "funded": np.where(has_funded, funded, np.datetime64("NaT")),
            "closed": closed,
            "birth": np.where(retail, birth, np.datetime64("NaT")),
            "id_expires": id_exp,
            "risk": rng.choice(RISK_LEVELS, n, p=RISK_P),
            "risk_assessed": as_of - rng.integers(0, 1100, n),
            "experience": rng.choice(["yes", "no", "unknown"], n, p=[0.4, 0.35, 0.25]),
            "commission": np.where(
                seg == "advisory",
                rng.uniform(1.0, 3.0, n),
                np.where(retail, 0.2 + 1.8 * rng.beta(1.3, 3.0, n), rng.uniform(0.2, 1.0, n)),
            ).round(4),
        }
        c["flags"] = self._permissions(c)
        return c

    def _permissions(self, c):
        rng, n = self.rng, c["n"]
        rich = c["assets"] >= 500_000
        flags = np.zeros(n, dtype=np.int64)
        flags |= np.where((c["segment"] == "margin") | (rich & (rng.random(n) < 0.15)), BIT["margin"], 0)
        flags |= np.where(rich & (rng.random(n) < 0.35), BIT["star_market"], 0)
        flags |= np.where(rich & (rng.random(n) < 0.12), BIT["hk_connect"], 0)
        flags |= np.where(rng.random(n) < 0.03, BIT["neeq"], 0)
        flags |= np.where(rich & (rng.random(n) < 0.05), BIT["options"], 0)
        flags |= np.where(c["segment"] == "restricted", BIT["share_transfer"], 0)
        flags |= np.where(rng.random(n) < 0.02, BIT["pledged_repo"], 0)
        flags |= np.where(c["kind"] == "institutional", BIT["block_trade"], 0)
        return np.where(c["profile"] == "prospect", 0, flags)

    def _customer_frame(self, c, rng, interactions):
        n = c["n"]
        names = _names(rng, n)
        inst = c["kind"] == "institutional"
        inst_names = np.char.add(
            np.char.add("湖南", rng.choice(INSTITUTION_WORDS, n)), rng.choice(INSTITUTION_KINDS, n)
        )
        phone = np.char.add(rng.choice(["138", "139", "150", "186", "189", "137"], n),
                            np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))
        birth_txt = pd.Series(np.datetime_as_string(np.where(inst, np.datetime64("1980-01-01"), c["birth"]), "D"))
        id_number = np.char.add(
            np.char.add(rng.choice(["430102", "430104", "430121", "430403", "430602", "430302", "430203"], n),
                        birth_txt.str.replace("-", "").to_numpy().astype(str)),
            np.char.zfill(rng.integers(0, 10**4, n).astype(str), 4),
        )
        next_contact, cycle = self._contact_plan(c, rng, interactions)
        return pd.DataFrame(
            {
                "id": c["id"],
                "customer_code": c["code"],
                "name": np.where(inst, inst_names, names),
                "kind": c["kind"],
                "office_id": [self.office_ids[o] for o in c["office"]],
                "advisor_id": pd.array(c["advisor_id"], dtype="Int64"),
                "investment_advisor_id": pd.array(c["ia_id"], dtype="Int64"),
                "risk_level": c["risk"],
                "risk_assessed_on": _iso(c["risk_assessed"]),
                "id_number": np.where(inst, "", id_number),
                "id_expires_on": _iso(np.where(inst, np.datetime64("NaT"), c["id_expires"])),
                "phone": phone,
                "birth_date": _iso(c["birth"]),
                "opened_on": _iso(c["opened"]),
                "first_funded_on": _iso(c["funded"]),
                "closed_on": _iso(c["closed"]),
                "prior_experience": c["experience"],
                "permission_flags": c["flags"],
                "permission_dates": self._permission_dates(c, rng),
                "commission_rate": c["commission"],
                "next_contact_on": _iso(next_contact),
                "contact_cycle_months": pd.array(np.where(cycle > 0, cycle, None), dtype="Int64"),
                "updated_at": pd.Timestamp(self.as_of).tz_localize("Asia/Shanghai").isoformat(),
            }
        )

    def _permission_dates(self, c, rng):
        """{code: "YYYY-MM-DD"} per customer as JSON text: every granted permission is dated after the account
        opened (+30 days: products.md asks assets > 500,000 CNY, which a new account first has to bring in) and
        before the data date; a margin account that carries debt in the first snapshot opened it before that."""
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        opened = np.where(np.isnat(c["opened"]), as_of - 1, c["opened"])
        earliest = np.minimum(opened + 30, as_of - 1)
        latest = np.full(n, as_of - 1)
        first_debt = c.get("first_debt")
        if first_debt is not None:
            latest = np.where(np.isnat(first_debt), latest, np.maximum(np.minimum(latest, first_debt), earliest))
        span = (latest - earliest).astype(int)
        text = pd.Series("", index=range(n), dtype=object)
        for code, bit in BIT.items():
            held = (c["flags"] & bit) > 0
            day = earliest + np.floor(rng.random(n) * (span + 1)).astype(int)
            part = pd.Series(np.char.add(np.char.add(f'"{code}": "', np.datetime_as_string(day, "D")), '"'))
            part = part.where(held, "")
            text = text.where(part == "", text.where(text == "", text + ", ") + part)
        return ("{" + text + "}").to_numpy()

    def _contact_plan(self, c, rng, interactions):
        """The contact plan the branch ran before the first night (alerts.schedule keeps it): customers rich enough
        for 3★ and up were planned every 1 or 2 months from their last contact (or a start spread over the cycle);
        advisors who fell behind leave some past due, which the first scan reports."""
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        live = self._live(c) & (c["kind"] == "retail")
        cycle = np.where(live & (c["last_total"] >= 1_000_000), 1, np.where(live & (c["last_total"] >= 200_000), 2, 0))
        last = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        if len(interactions):
            local = pd.to_datetime(interactions["at"]).dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
            days = local.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
            latest = pd.Series(days).groupby(interactions["customer_id"].to_numpy()).max()
            last[latest.index.to_numpy() - c["id"][0]] = latest.to_numpy().astype("datetime64[D]")
        start = as_of - np.floor(rng.random(n) * 30 * np.maximum(cycle, 1)).astype(int)
        base = np.where(np.isnat(last), start, last)
        nxt = base + np.round(30.4 * cycle).astype(int)
        return np.where(cycle > 0, nxt, np.datetime64("NaT")), cycle

    # -- staff and books ----------------------------------------------------
    def _staff_and_assignment(self, c, caps=(800, 400, 40)):
        wa_cap, ia_cap, inst_cap = caps
        rng, n = self.rng, c["n"]
        rows = []
        advisor_id = np.full(n, -1, dtype=np.int64)
        ia_id = np.full(n, -1, dtype=np.int64)
        needs_ia = (c["kind"] == "retail") & ((c["assets"] >= 500_000) | (c["segment"] == "advisory"))
        needs_ia &= c["profile"] != "prospect"

        def add(office, role, grade=""):
            pk = len(rows) + 1
            code = f"S{pk:05d}"
            rows.append((pk, code, _names(rng, 1)[0], self.office_ids[office], role, grade, code.lower()))
            return pk

        def spread(members, advisors):
            """Deal customers to advisors in turn: every book ends within one customer of the others."""
            members = rng.permutation(members)
            return np.asarray(advisors)[np.arange(len(members)) % len(advisors)], members

        for office in self.office_codes:
            add(office, Role.OFFICE_MANAGER)
            for _ in range(3):
                add(office, Role.OPERATIONS)
            in_office = np.flatnonzero((c["office"] == office) & (c["kind"] == "retail"))
            n_wa = max(2, math.ceil(len(in_office) / (wa_cap * STAFF_FILL)))
            was = [add(office, Role.WEALTH_ADVISOR) for _ in range(n_wa)]
            owners, members = spread(in_office, was)
            advisor_id[members] = owners
            ia_members = np.flatnonzero((c["office"] == office) & needs_ia)
            n_ia = max(1, math.ceil(len(ia_members) / (ia_cap * STAFF_FILL)))
            grades = rng.choice(Grade.values, n_ia, p=[0.3, 0.3, 0.2, 0.12, 0.08])
            ias = [add(office, Role.INVESTMENT_ADVISOR, g) for g in grades]
            owners, members = spread(ia_members, ias)
            ia_id[members] = owners
        inst = np.flatnonzero(c["kind"] == "institutional")
        if len(inst):
            n_inst = max(1, math.ceil(len(inst) / (inst_cap * STAFF_FILL)))
            desk = [add("ZS", Role.INSTITUTIONAL_ADVISOR) for _ in range(n_inst)]
            owners, members = spread(inst, desk)
            advisor_id[members] = owners
        add("ZS", Role.BRANCH_MANAGER)
        add("ZS", Role.COMPLIANCE)
        c["advisor_id"] = np.where(advisor_id > 0, advisor_id, None)
        c["ia_id"] = np.where(ia_id > 0, ia_id, None)
        frame = pd.DataFrame(rows, columns=["id", "staff_code", "name", "office_id", "role", "grade", "username"])
        frame["is_active"] = True
        return frame

    # -- positions ----------------------------------------------------------
    def _snapshots(self, c, rng):
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        ends = np.array(month_ends(self.as_of, self.months), dtype="datetime64[D]")
        t = len(ends)
        # Monthly log-returns walked backwards from today's assets; decliners lost ~40 % lately.
        steps = 0.005 + 0.06 * rng.standard_normal((n, t - 1))
        declining = c["profile"] == "declining"
        steps[declining, -3:] -= 0.17
        log_path = np.concatenate([np.zeros((n, 1)), np.cumsum(steps[:, ::-1], axis=1)], axis=1)[:, ::-1]
        total = c["assets"][:, None] * np.exp(-log_path + log_path[:, -1:])
        # The day before the data date (the previous night): today's assets within ±1 %, except the customers who
        # move a large part of their money out today (they had it yesterday).
        retail_live = self._live(c) & (c["kind"] == "retail") & (c["profile"] == "active")
        leaving = retail_live & (c["assets"] >= 50_000) & (rng.random(n) < 0.006)
        share_out = np.where(leaving, rng.uniform(0.45, 0.8, n), 0.0)
        eve = total[:, -1] * (1 + rng.normal(0, 0.004, n)) / (1 - share_out)
        total[:, :-1] /= (1 - share_out)[:, None]
        c["leaving"], c["share_out"], c["eve_total"] = leaving, share_out, eve
        if ends[-2] == as_of - 1:  # the data date is the 1st: yesterday is already a month-end
            total[:, -2] = eve
            dates = ends
        else:
            total = np.concatenate([total[:, :-1], eve[:, None], total[:, -1:]], axis=1)
            dates = np.concatenate([ends[:-1], [as_of - 1], ends[-1:]])
        t = len(dates)
        dormant = c["profile"] == "dormant"
        total[dormant] = rng.uniform(0, 99, (dormant.sum(), t))
        # Holdings mix per customer: traders hold securities, allocators products of one main class.
        style = c["style"]
        alpha = np.where(
            (style == "trader")[:, None], [[14, 0.6, 0.6, 0.3, 0.2, 1.5]],
            np.where((style == "allocator")[:, None], [[1.5, 3, 3, 3, 0.5, 1]], [[4, 1.5, 1.5, 0.6, 0.3, 1.2]]),
        )
        main = rng.integers(1, 4, n)  # allocators lean to one product class
        alpha[np.arange(n), main] += np.where(style == "allocator", 10, 0)
        mix = rng.gamma(alpha)
        mix /= mix.sum(axis=1, keepdims=True)  # securities, equity fund, fixed income, reits, other, cash
        exists = np.ones((n, t), dtype=bool)
        funded = c["funded"]
        exists &= ~np.isnat(funded)[:, None]
        exists &= np.where(np.isnat(funded)[:, None], False, funded[:, None] <= dates[None, :])
        closed = c["closed"]
        exists &= np.where(np.isnat(closed)[:, None], True, dates[None, :] < closed[:, None])
        rows, cols = np.nonzero(exists)
        tot = np.round(total[rows, cols], 2)
        parts = np.round(tot[:, None] * mix[rows], 2)
        parts[:, 5] = np.round(tot - parts[:, :5].sum(axis=1), 2)  # cash takes the rounding
        waiting = c["profile"][rows] == "budding"  # funded but never invested: all cash
        parts[waiting, 5] = tot[waiting]
        parts[waiting, :5] = 0
        neg = parts[:, 5] < 0
        parts[neg, 0] += parts[neg, 5]
        parts[neg, 5] = 0
        # Margin debt: most users borrow lightly (maintenance ratio ≥ ~180 %); a few securities-heavy users are
        # leveraged to 60-80 % of their assets, a ratio of 125-167 % (alerts.md: warning < 150 %, red < 130 %).
        has_margin = (c["flags"] & BIT["margin"]) > 0
        leveraged = has_margin & (style == "trader") & (rng.random(n) < 0.12)
        lever = rng.uniform(0.6, 0.8, n)
        light = np.round(parts[:, 0] * rng.uniform(0.0, 0.55, len(rows)), 2)
        heavy = np.round(tot * lever[rows], 2)
        debt = np.where(has_margin[rows], np.where(leveraged[rows], heavy, light), 0.0)
        debt = np.where(debt >= 1_000, debt, 0.0)  # no meaningful ratio on a few yuan of debt
        ratio = np.where(debt > 0, np.round(np.minimum(tot / np.maximum(debt, 1.0) * 100, 99_999), 2), np.nan)
        first = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        with_debt = debt > 0
        if with_debt.any():
            earliest = pd.Series(dates[cols[with_debt]]).groupby(rows[with_debt]).min()
            first[earliest.index.to_numpy()] = earliest.to_numpy().astype("datetime64[D]")
        c["first_debt"] = first
        frame = pd.DataFrame(
            {
                "customer_id": c["id"][rows],
                "date": np.datetime_as_string(dates[cols], "D"),
                "total_assets": tot,
                "securities_value": parts[:, 0],
                "equity_fund_value": parts[:, 1],
                "fixed_income_value": parts[:, 2],
                "reits_trust_value": parts[:, 3],
                "other_product_value": parts[:, 4],
                "cash": parts[:, 5],
                "margin_debt": debt,
                "maintenance_ratio": ratio,
            }
        )
        c["last_securities"] = np.zeros(n)
        last = cols == t - 1
        c["last_securities"][rows[last]] = parts[last, 0]
        c["last_total"] = np.zeros(n)
        c["last_total"][rows[last]] = tot[last]
        return frame, mix

    def _activity(self, c, mix, rng):
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        # `days` of activity up to the previous night, and the data date: both nights see the same window length
        # (the tiering's trading baseline needs 30 days of data before its 90-day window)
        days = np.arange(as_of - self.days, as_of + 1)
        days = days[np.is_busday(days)]
        d = len(days)
        p = rng.beta(1.2, 3.0, n)
        alive = (~np.isnat(c["funded"])) & (c["profile"] != "dormant") & (c["profile"] != "budding")
        # Value investors (STP I): securities-heavy books of 200k+ that trade a few times a year, a small part of
        # the book each time (holding period 365 × 2 × securities / yearly turnover well over 3 years).
        holder = alive & (c["style"] == "trader") & (c["assets"] >= 200_000) & (rng.random(n) < 0.35)
        p = np.where(holder, rng.uniform(0.004, 0.02, n), p)
        p = np.where(alive, p, 0.0)
        active = rng.random((n, d)) < p[:, None]
        active &= np.where(np.isnat(c["funded"])[:, None], False, days[None, :] >= c["funded"][:, None])
        active &= np.where(np.isnat(c["closed"])[:, None], True, days[None, :] < c["closed"][:, None])
        declining = c["profile"] == "declining"
        fading = days >= as_of - 75  # trading falls away over the last ~2.5 months
        active[np.ix_(declining, fading)] &= rng.random((declining.sum(), fading.sum())) < 0.2
        today = days[-1] == as_of
        if today:
            active[c["leaving"], -1] = True
        rows, cols = np.nonzero(active)
        m = len(rows)
        base = np.maximum(c["assets"][rows] * mix[rows, 0], 1000.0)
        trades = 1 + rng.poisson(1.5, m)
        turnover = np.where(holder[rows], rng.uniform(0.005, 0.03, m), rng.uniform(0.03, 0.25, m))
        traded = np.round(trades * base * turnover, 2)
        commission = np.round(traded * c["commission"][rows] / 1000, 2)
        product_value = c["assets"][rows] * mix[rows, 1:5].sum(axis=1)
        product_income = np.round(np.where(rng.random(m) < 0.1, product_value * 0.002, 0.0), 2)
        t_in = np.round(np.where(rng.random(m) < 0.06, c["assets"][rows] * rng.uniform(0.01, 0.2, m), 0.0), 2)
        big_out = (declining[rows] | (c["profile"][rows] == "churned")) & (rng.random(m) < 0.08)
        t_out = np.where(rng.random(m) < 0.05, c["assets"][rows] * rng.uniform(0.01, 0.2, m), 0.0)
        t_out = np.round(np.where(big_out, c["assets"][rows] * rng.uniform(0.3, 0.9, m), t_out), 2)
        if today:  # the leavers' transfer-out today: what they had yesterday less what is left
            going = c["leaving"][rows] & (cols == d - 1)
            t_out = np.where(going, np.round(c["eve_total"][rows] * c["share_out"][rows], 2), t_out)
            t_in = np.where(going, 0.0, t_in)
        pnl = np.round(base * rng.normal(0.0003, 0.018, m), 2)
        c["holder"] = holder
        return pd.DataFrame(
            {
                "customer_id": c["id"][rows],
                "date": np.datetime_as_string(days[cols], "D"),
                "trade_count": trades,
                "traded_amount": traded,
                "commission_income": commission,
                "product_income": product_income,
                "transfer_in": t_in,
                "transfer_out": t_out,
                "pnl": pnl,
            }
        )

    # -- events around the accounts -----------------------------------------
    def _live(self, c):
        return (~np.isnat(c["funded"])) & np.isnat(c["closed"]) & (c["profile"] != "dormant")

    def _ipo_quotas(self, c, rng):
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        subscribers = np.flatnonzero(self._live(c) & (c["last_securities"] >= 10_000) & (rng.random(n) < 0.15))
        elsewhere = rng.random(len(subscribers)) < 0.2  # money held at another broker shows in the quota
        extra = np.where(elsewhere, rng.uniform(200_000, 3_000_000, len(subscribers)), 0.0)
        value = c["last_securities"][subscribers] + extra
        share_sh = rng.uniform(0.3, 0.7, len(subscribers))
        frames = []
        for k, lag in enumerate((2, 9, 23)):  # three recent subscription days
            frames.append(
                pd.DataFrame(
                    {
                        "customer_id": c["id"][subscribers],
                        "date": str(np.busday_offset(as_of, -lag, roll="backward")),
                        "sh_units": np.floor(value * share_sh / 10_000).astype(int),
                        "sz_units": np.floor(value * (1 - share_sh) / 5_000).astype(int),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def _applications(self, c, rng):
        n = c["n"]
        churned = np.flatnonzero((c["profile"] == "churned") & (rng.random(n) < 0.6))
        filed = c["closed"][churned] - rng.integers(1, 10, len(churned))
        live = np.flatnonzero(self._live(c) & (rng.random(n) < 0.003))
        as_of = np.datetime64(self.as_of, "D")
        frame = pd.DataFrame(
            {
                "customer_id": np.concatenate([c["id"][churned], c["id"][live]]),
                "filed_on": np.datetime_as_string(
                    np.concatenate([filed, as_of - rng.integers(0, 30, len(live))]), "D"
                ),
                "kind": np.concatenate(
                    [rng.choice(["close", "transfer_out"], len(churned)), rng.choice(["close", "transfer_out"], len(live))]
                ),
                "status": np.concatenate(
                    [np.full(len(churned), "accepted"), rng.choice(["filed", "withdrawn"], len(live), p=[0.8, 0.2])]
                ),
            }
        )
        return frame

    def _events(self, c, rng):
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        live = self._live(c)
        parts = []
        for kind, share, amount_share in (("ipo_win", 0.01, None), ("rights_issue", 0.005, 0.05)):
            who = np.flatnonzero(live & (rng.random(n) < share))
            amount = (rng.integers(1, 6, len(who)) * 500 * rng.uniform(8, 40, len(who)) if amount_share is None
                      else c["last_total"][who] * amount_share)
            day = as_of - rng.integers(0, 5, len(who))
            parts.append(pd.DataFrame({"customer_id": c["id"][who], "date": np.datetime_as_string(day, "D"),
                                       "kind": kind, "amount": np.round(amount, 2),
                                       "due_on": np.datetime_as_string(day + rng.integers(1, 4, len(who)), "D")}))
        margin = np.flatnonzero(live & (c["segment"] == "margin") & (rng.random(n) < 0.3))
        day = as_of - rng.integers(150, 180, len(margin))
        parts.append(pd.DataFrame({"customer_id": c["id"][margin], "date": np.datetime_as_string(day, "D"),
                                   "kind": "margin_debt_due",
                                   "amount": np.round(c["last_total"][margin] * rng.uniform(0.1, 0.4, len(margin)), 2),
                                   "due_on": np.datetime_as_string(day + 182, "D")}))
        return pd.concat(parts, ignore_index=True)

    def _interactions(self, c, rng):
        n = c["n"]
        who = np.flatnonzero(self._live(c) & (rng.random(n) < 0.3))
        counts = rng.integers(1, 5, len(who))
        rows = np.repeat(who, counts)
        as_of = pd.Timestamp(self.as_of).tz_localize("Asia/Shanghai")
        at = as_of - pd.to_timedelta(rng.integers(0, 180 * 24 * 60, len(rows)), unit="min")
        advisor = c["advisor_id"][rows]
        summaries = np.array(["定期回访", "市场观点沟通", "产品介绍", "账户诊断", "资产配置建议"])
        return pd.DataFrame(
            {
                "id": self.take_ids("interaction", len(rows)),
                "customer_id": c["id"][rows],
                "staff_id": pd.array(advisor, dtype="Int64"),
                "at": at.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S"),  # as Django stores it on SQLite too
                "channel": rng.choice(["phone", "wechat", "video", "sms", "visit"], len(rows), p=[.45, .3, .05, .1, .1]),
                "summary": rng.choice(summaries, len(rows)),
                "note": "",
            }
        )
