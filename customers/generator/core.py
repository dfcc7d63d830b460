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
from . import latent
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
# Lifecycle profiles of retail customers at the start of the history (shares); the rest are active customers, whose
# churn, decline and closing come from the hidden process in latent.py, not from a profile.
PROFILE_SHARES = {"prospect": 0.02, "budding": 0.03, "dormant": 0.02}
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

    def __init__(self, customers, seed, as_of, months=13, days=120, office_ids=None, history=True,
                 history_days=182):
        self.n = int(customers)
        self.seed = int(seed)
        self.rng = np.random.default_rng(abs(self.seed))
        self.as_of = as_of
        self.months = months
        self.days = days
        self.history = history
        self.history_days = int(history_days)  # alerts, contacts and survey attempts before the first night
        # the hidden process runs on a calendar-day grid covering the snapshots, the activity and the history
        # (plus the 120 days the falling-trading rule looks back from the oldest history alert)
        first = min(month_ends(as_of, months)[0], as_of - timedelta(days=max(days, self.history_days + 130)))
        self.span_days = 7 * math.ceil(((as_of - first).days + 1) / 7)
        self.market = latent.market(self.seed, np.datetime64(as_of, "D") - (self.span_days - 1), self.span_days)
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
        c["mix"] = self._mix(c, rng)
        latent.simulate(self, c, rng)
        frames = {
            "snapshots": self._snapshots(c, rng),
            "activity": self._activity(c, rng),
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
        closed = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")  # latent.py closes accounts, per block
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
        # marketing consent (about 70 %) and do-not-contact (about 2 %) from a stream of their own, so that adding
        # them moved no other draw of the branch
        flags = np.random.default_rng([abs(self.seed), 2101, int(c["id"][0]) if n else 0]).random((2, n))
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
                "marketing_consent": flags[0] < 0.7,
                "do_not_contact": flags[1] < 0.02,
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
    def _mix(self, c, rng):
        """Holdings mix per customer: traders hold securities, allocators products of one main class."""
        n, style = c["n"], c["style"]
        alpha = np.where(
            (style == "trader")[:, None], [[14, 0.6, 0.6, 0.3, 0.2, 1.5]],
            np.where((style == "allocator")[:, None], [[1.5, 3, 3, 3, 0.5, 1]], [[4, 1.5, 1.5, 0.6, 0.3, 1.2]]),
        )
        main = rng.integers(1, 4, n)  # allocators lean to one product class
        alpha[np.arange(n), main] += np.where(style == "allocator", 10, 0)
        mix = rng.gamma(alpha)
        return mix / mix.sum(axis=1, keepdims=True)  # securities, equity fund, fixed income, reits, other, cash

    def _holdings(self, c, rows, day_index):
        """The holdings mix of customer rows on grid days: their own mix, with part of the products redeemed
        into cash while dissatisfaction shows (up to 60 % × sensitivity) or while looking elsewhere (50 % ×
        sensitivity), and 80 % once they decided to leave."""
        mix = c["mix"][rows].copy()
        week = np.minimum(day_index // 7, c["shown"].shape[1] - 1)
        shown = c["shown"][rows, week].astype(float)
        redeem = 0.6 * c["sensitivity"][rows] * np.clip(shown - 1.0, 0.0, 1.0)
        looking = (day_index >= c["consider_i"][rows]) & (day_index < c["decided_i"][rows])
        redeem = np.where(looking, np.maximum(redeem, 0.5 * c["sensitivity"][rows]), redeem)
        redeem = np.where(day_index >= c["decided_i"][rows], 0.8, redeem) * c["in_play"][rows]
        moved = mix[:, 1:5] * redeem[:, None]
        mix[:, 1:5] -= moved
        mix[:, 5] += moved.sum(axis=1)
        return mix

    def _day_index(self, c, days):
        return (np.asarray(days, dtype="datetime64[D]") - c["day0"]).astype(int)

    def _snapshots(self, c, rng):
        """Month-ends, the previous night and the data date, read off the hidden process's daily value."""
        n = c["n"]
        dates = np.array(snapshot_dates(self.as_of, self.months), dtype="datetime64[D]")
        t = len(dates)
        total = c["value"][:, self._day_index(c, dates)].astype(float)
        dormant = c["profile"] == "dormant"
        total[dormant] = rng.uniform(0, 99, (dormant.sum(), t))
        mix = c["mix"]
        style = c["style"]
        exists = np.ones((n, t), dtype=bool)
        funded = c["funded"]
        exists &= ~np.isnat(funded)[:, None]
        exists &= np.where(np.isnat(funded)[:, None], False, funded[:, None] <= dates[None, :])
        closed = c["closed"]
        exists &= np.where(np.isnat(closed)[:, None], True, dates[None, :] < closed[:, None])
        rows, cols = np.nonzero(exists)
        tot = np.round(total[rows, cols], 2)
        parts = np.round(tot[:, None] * self._holdings(c, rows, self._day_index(c, dates)[cols]), 2)
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
        return frame

    def _activity(self, c, rng):
        """Trading days and transfers on working days. Trading is each customer's own rate × the season × the
        hidden process's multiplier (fading with dissatisfaction, late); transfers are the hidden process's.
        Rows are written for the last `days`; the trading days behind the alert history are kept in c for
        history.py (the falling-trading rule looks back 120 days from its oldest alert)."""
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        reach = max(self.days, self.history_days + 130) if self.history else self.days
        days = np.arange(as_of - reach, as_of + 1)
        days = days[np.is_busday(days)]
        emit_from = as_of - self.days
        idx = self._day_index(c, days)
        d = len(days)
        p = rng.beta(1.2, 3.0, n)
        alive = (~np.isnat(c["funded"])) & (c["profile"] != "dormant") & (c["profile"] != "budding")
        # Value investors (STP I): securities-heavy books of 200k+ that trade a few times a year, a small part of
        # the book each time (holding period 365 × 2 × securities / yearly turnover well over 3 years).
        holder = alive & (c["style"] == "trader") & (c["assets"] >= 200_000) & (rng.random(n) < 0.35)
        p = np.where(holder, rng.uniform(0.004, 0.02, n), p)
        p = np.where(alive, p, 0.0)
        month = (days.astype("datetime64[M]").astype(int) % 12) + 1
        season = np.array([latent.SEASON.get(m, 1.0) for m in range(1, 13)])[month - 1]
        # seasonal traders sit out one quarter a year (from their own starting month)
        off = ((month[None, :] - 1 - c["off_start"][:, None]) % 12 < 3) & c["seasonal"][:, None]
        week = np.minimum(idx // 7, c["trade_mult"].shape[1] - 1)
        rate = p[:, None] * season[None, :] * np.where(off, latent.OFF_SEASON, 1.0) * c["trade_mult"][:, week]
        active = rng.random((n, d)) < rate
        active &= np.where(np.isnat(c["funded"])[:, None], False, days[None, :] >= c["funded"][:, None])
        active &= np.where(np.isnat(c["closed"])[:, None], True, days[None, :] < c["closed"][:, None])
        active &= idx[None, :] < c["end_i"][:, None]  # nothing left to trade once drained
        trades = np.where(active, 1 + rng.poisson(1.5, (n, d)), 0).astype(np.int32)
        c["trades"], c["trade_days"], c["holder"] = trades, days, holder
        # transfers of the hidden process, on a weekend moved to the Friday before
        t_out, t_in = self._working_day_flows(c, days, idx)
        show = (days >= emit_from)[None, :] & (active | (t_out > 0) | (t_in > 0))
        rows, cols = np.nonzero(show)
        m = len(rows)
        value = c["value"][rows, idx[cols]].astype(float)
        mix = c["mix"]
        base = np.maximum(value * mix[rows, 0], 1000.0)
        count = trades[rows, cols]
        turnover = np.where(holder[rows], rng.uniform(0.005, 0.03, m), rng.uniform(0.03, 0.25, m))
        traded = np.round(np.where(count > 0, count * base * turnover, 0.0), 2)
        commission = np.round(traded * c["commission"][rows] / 1000, 2)
        product_value = value * mix[rows, 1:5].sum(axis=1)
        product_income = np.round(np.where((count > 0) & (rng.random(m) < 0.1), product_value * 0.002, 0.0), 2)
        pnl = self._pnl_since_last_row(c, rows, idx[cols])
        return pd.DataFrame(
            {
                "customer_id": c["id"][rows],
                "date": np.datetime_as_string(days[cols], "D"),
                "trade_count": count,
                "traded_amount": traded,
                "commission_income": commission,
                "product_income": product_income,
                "transfer_in": np.round(t_in[rows, cols], 2),
                "transfer_out": np.round(t_out[rows, cols], 2),
                "pnl": pnl,
            }
        )

    def _pnl_since_last_row(self, c, rows, day_index):
        """The securities' P&L a row reports: everything since the customer's previous row (the back office
        books the days between on the next day with activity), from the value's own daily return less the
        products' drift. Rows come customer by customer, in date order."""
        value = c["value"]
        prev = np.concatenate([value[:, :1], value[:, :-1]], axis=1)
        daily = prev * (c["ret"] - ((1 - c["mix"][:, 0]) * 0.00012).astype(np.float32)[:, None])
        cum = np.cumsum(daily, axis=1, dtype=np.float64)
        del prev, daily
        here = cum[rows, day_index]
        start = np.maximum(int(self._day_index(c, [np.datetime64(self.as_of, "D") - self.days])[0]) - 1, 0)
        new_customer = np.r_[True, rows[1:] != rows[:-1]]
        before = np.where(new_customer, cum[rows, start], np.r_[0.0, here[:-1]])
        return np.round(here - before, 2)

    def _working_day_flows(self, c, days, idx):
        """(transfer-out, transfer-in) per customer and working day of `days`: each calendar day's transfers
        land on that working day or the nearest working day before it."""
        n = c["n"]
        t_out = np.zeros((n, len(days)))
        t_in = np.zeros((n, len(days)))
        for (rows, day, amount), target in ((c["flows_out"], t_out), (c["flows_in"], t_in)):
            keep = day >= idx[0]
            slot = np.searchsorted(idx, day[keep], side="right") - 1
            np.add.at(target, (rows[keep], slot), amount[keep])
        return t_out, t_in

    def _live(self, c):
        """Funded, not closed and not drained by the data date, not long dormant."""
        as_of = np.datetime64(self.as_of, "D")
        closed = ~np.isnat(c["closed"]) & (c["closed"] <= as_of)
        return (~np.isnat(c["funded"])) & ~closed & ~c["drained"] & (c["profile"] != "dormant")

    # -- events around the accounts -----------------------------------------
    def _ipo_quotas(self, c, rng):
        """IPO subscriptions of the habitual subscribers (15 % of customers with securities ≥ 10,000) on
        subscription days every three weeks over the activity window (and the three recent ones the first night
        reads): the quota counts money at other brokers too — what a customer moved out over the year before
        (latent.py) and, for some happy customers, an account elsewhere they always had."""
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        habitual = rng.random(n) < 0.15
        always = np.where(rng.random(n) < 0.1, rng.uniform(200_000, 3_000_000, n), 0.0)
        share_sh = rng.uniform(0.3, 0.7, n)
        lags = sorted({2, 9, 23, *range(44, self.days - 7, 21)})
        frames = []
        for lag in lags:
            day = np.busday_offset(as_of, -lag, roll="backward")
            i = int(self._day_index(c, [day])[0])
            closed = ~np.isnat(c["closed"]) & (c["closed"] <= day)
            live = ~np.isnat(c["funded"]) & (c["funded"] <= day) & ~closed & (c["profile"] != "dormant")
            live &= i < c["end_i"]
            securities = c["value"][:, i].astype(float) * self._holdings(c, np.arange(n), np.full(n, i))[:, 0]
            who = np.flatnonzero(habitual & live & (securities >= 10_000))
            value = securities[who] + self._moved_out_amount(c, i)[who] + always[who]
            frames.append(pd.DataFrame({
                "customer_id": c["id"][who], "date": str(day),
                "sh_units": np.floor(value * share_sh[who] / 10_000).astype(int),
                "sz_units": np.floor(value * (1 - share_sh[who]) / 5_000).astype(int),
            }))
        return pd.concat(frames, ignore_index=True)

    def _moved_out_amount(self, c, upto):
        """Net transfers out over the year up to grid day `upto` (what may now sit at another broker), ≥ 0."""
        net = np.zeros(c["n"])
        for (rows, day, amount), sign in ((c["flows_out"], 1.0), (c["flows_in"], -1.0)):
            inside = (day > upto - 365) & (day <= upto)
            net += sign * np.bincount(rows[inside], amount[inside], minlength=c["n"])
        return np.maximum(net, 0.0)

    def _applications(self, c, rng):
        """Closing and transfer-out applications: every leaver of the "application" kind filed one when the
        account was drained (accepted, or still filed in the last three days); some customers file and withdraw
        or are still deciding — mostly the dissatisfied ones (the latest week's dissatisfaction)."""
        n = c["n"]
        as_of = np.datetime64(self.as_of, "D")
        leavers = np.flatnonzero(~np.isnat(c["filed"]))
        filed = c["filed"][leavers]
        dis = c["dis"][:, -1]
        pending_p = 0.003 * np.exp(dis - 1.0)
        live = np.flatnonzero(self._live(c) & c["in_play"] & np.isnat(c["filed"]) & (rng.random(n) < pending_p))
        frame = pd.DataFrame(
            {
                "customer_id": np.concatenate([c["id"][leavers], c["id"][live]]),
                "filed_on": np.datetime_as_string(
                    np.concatenate([filed, as_of - rng.integers(0, 30, len(live))]), "D"
                ),
                "kind": np.concatenate(
                    [rng.choice(["close", "transfer_out"], len(leavers)), rng.choice(["close", "transfer_out"], len(live))]
                ),
                "status": np.concatenate(
                    [np.where(filed <= as_of - 3, "accepted", "filed"),
                     rng.choice(["filed", "withdrawn"], len(live), p=[0.8, 0.2])]
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
        """The advisors' contacts of the hidden process (each lowered the customer's dissatisfaction), over the
        contact history: at least 180 days, or the history's length."""
        as_of = np.datetime64(self.as_of, "D")
        rows, week = np.nonzero(c["contacts"])
        day = c["day0"] + week * 7 + rng.integers(0, 7, len(rows))
        day = np.busday_offset(day, 0, roll="backward")
        keep = (day >= as_of - max(180, self.history_days if self.history else 0)) & (day < as_of)
        keep &= ~pd.isna(c["advisor_id"][rows])
        rows, day = rows[keep], day[keep]
        order = np.lexsort((day, rows))
        rows, day = rows[order], day[order]
        local = pd.to_datetime(day).tz_localize("Asia/Shanghai") + pd.to_timedelta(
            rng.integers(9 * 60, 18 * 60, len(rows)), unit="min")
        advisor = c["advisor_id"][rows]
        summaries = np.array(["定期回访", "市场观点沟通", "产品介绍", "账户诊断", "资产配置建议"])
        return pd.DataFrame(
            {
                "id": self.take_ids("interaction", len(rows)),
                "customer_id": c["id"][rows],
                "staff_id": pd.array(advisor, dtype="Int64"),
                "at": local.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S"),  # as Django stores it on SQLite too
                "channel": rng.choice(["phone", "wechat", "video", "sms", "visit"], len(rows), p=[.45, .3, .05, .1, .1]),
                "summary": rng.choice(summaries, len(rows)),
                "note": "",
            }
        )
