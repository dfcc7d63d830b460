"""The hidden process behind the branch's churn (issue 19; docs/generator.md).

Churn is not painted from the warning rules' thresholds: every retail customer carries a hidden dissatisfaction
that drifts week by week (an AR(1) around a personal level, with service incidents that push it up and advisor
contacts that pull it down). It raises a weekly churn hazard; a customer who decides to leave drains the account
over days to weeks and then closes it (most with an application), or leaves it dormant. Before deciding, and only
with a delay and a personal sensitivity, dissatisfaction shows: trading fades, parts of the money move elsewhere,
survey answers turn (history.py reads `dis`). Some leave with no sign (a "silent" hazard: moves, life events);
some who stay look bad: a market drawdown, seasonal trading, money taken out and brought back.

Everything is drawn per block from the block's stream, as whole arrays over a calendar-day grid (`day0` …
as_of); the only Python loop is over weeks (a few dozen steps on vectors of a block).
"""
import numpy as np

# weekly dissatisfaction: AR(1) with stationary sd 1 around a personal level
RHO = 0.96
LEVEL_CHANGE_P = 1 / 104  # weekly chance the personal level is drawn again (keeps the unhappy pool filled)
INCIDENT_P, INCIDENT_JUMP = 0.004, (1.0, 2.5)  # a service incident per customer-week, and its push
CONTACT_RELIEF = 0.3  # an advisor's contact lowers dissatisfaction by this much
CONTACT_P = (0.015, 0.06, 0.12)  # weekly contact chance for < 200k, 200k-1M, ≥ 1M CNY of assets
# weekly hazard = BASE_HAZARD · exp(HAZARD_SLOPE · dissatisfaction) · tenure factor + SILENT_HAZARD
BASE_HAZARD, HAZARD_SLOPE, SILENT_HAZARD = 0.00027, 1.4, 0.00045
CONSIDER_WEEKS = (3, 16)  # weeks between starting to look elsewhere and deciding (silent leavers: none)
# while looking elsewhere: weekly chance CONSIDER_OUTFLOW_P · sensitivity of moving 10-40 % out, trading
# × (1 - CONSIDER_TRADING · sensitivity), products redeemed (core._holdings)
CONSIDER_OUTFLOW_P, CONSIDER_TRADING = 0.12, 0.5
EXIT_MODES = {"application": 0.6, "closed": 0.15, "dormant": 0.25}
TRADE_DAMPING = 1.0  # trading multiplier exp(-TRADE_DAMPING · sensitivity · max(lagged dissatisfaction, 0))
# money moved elsewhere before deciding: weekly chance OUTFLOW_P · sensitivity · max(lagged dissatisfaction - 0.8, 0)
OUTFLOW_P = 0.05
# confounders
SEASON = {1: 0.85, 2: 0.55, 7: 0.8, 8: 0.8, 10: 0.75}  # calendar-month trading factors (holidays, summer)
SEASONAL_TRADERS, OFF_SEASON = 0.1, 0.15  # customers who trade little for a quarter a year, and how little
TEMPORARY_OUT_P = 0.0015  # weekly: money taken out (a house, a loan) and brought back weeks later


def market(seed, day0, days):
    """Daily log-returns of the market, the same for every block: noise, plus one drawdown of ~20 % over two
    months placed somewhere in the grid (a loss every securities holder shares, churning or not)."""
    rng = np.random.default_rng([abs(int(seed)), 0])
    ret = rng.normal(0.0004, 0.011, days)
    start = int(rng.integers(days // 5, max(days // 5 + 1, days - 70)))
    ret[start:start + 60] -= 0.0037
    return ret


def simulate(gen, c, rng):
    """Fill c with the hidden process and what it makes visible: daily total assets (`value`, n × days), the
    transfers (`flows_out`, `flows_in`: sparse row, day index, amount), the weekly trading multiplier
    (`trade_mult`), weekly dissatisfaction (`dis`), as it shows (`shown`, late) and contacts (`contacts`), all
    n × weeks, the products redeemed into cash (`redeemed`, a function of the day), and the exits
    (`decided`, `closed`, `exit_mode`, `filed`, `drained`, `end_i`: the day index the account was emptied)."""
    n, days = c["n"], gen.span_days
    weeks = days // 7
    day0 = np.datetime64(gen.as_of, "D") - (days - 1)
    grid = day0 + np.arange(days)
    funded = c["funded"]
    funded_i = np.where(np.isnat(funded), days, np.clip((funded - day0).astype("timedelta64[D]").astype(float), 0,
                                                        days)).astype(int)
    retail = c["kind"] == "retail"
    in_play = retail & ~np.isnat(funded) & ~np.isin(c["profile"], ["prospect", "budding", "dormant"])

    # -- hidden traits and weekly dissatisfaction ----------------------------------------------------
    comm = c["commission"]
    price_sensitive = (comm - comm.mean()) / max(comm.std(), 1e-9)
    trait = rng.standard_normal(n)
    level = 0.5 * trait + 0.3 * price_sensitive
    sensitivity = np.where(rng.random(n) < 0.25, rng.uniform(0.0, 0.15, n), rng.uniform(0.4, 1.0, n))
    lag = rng.integers(1, 5, n)
    band = np.digitize(c["assets"], [200_000, 1_000_000])
    contact_p = np.asarray(CONTACT_P)[band]
    sigma = np.sqrt(1 - RHO ** 2)
    dis = np.empty((n, weeks), dtype=np.float32)
    contacts = np.zeros((n, weeks), dtype=bool)
    cur = level + rng.standard_normal(n)
    for w in range(weeks):
        changed = rng.random(n) < LEVEL_CHANGE_P  # a new job, a move, a new advisor elsewhere: a new level
        level = np.where(changed, 0.5 * rng.standard_normal(n) + 0.3 * price_sensitive, level)
        contacts[:, w] = rng.random(n) < contact_p
        jump = np.where(rng.random(n) < INCIDENT_P, rng.uniform(*INCIDENT_JUMP, n), 0.0)
        cur = level + RHO * (cur - level) + sigma * rng.standard_normal(n) + jump - CONTACT_RELIEF * contacts[:, w]
        dis[:, w] = cur
    week_of_funding = funded_i // 7

    # -- the decision to leave: first week the hazard draws it ---------------------------------------
    tenure_years = np.maximum((np.arange(weeks)[None, :] - week_of_funding[:, None]) / 52.0, 0.25)
    tenure_factor = 1 + 0.5 / tenure_years
    hazard = BASE_HAZARD * np.exp(HAZARD_SLOPE * dis) * tenure_factor + SILENT_HAZARD
    eligible = in_play[:, None] & (np.arange(weeks)[None, :] >= week_of_funding[:, None] + 4)
    draw = rng.random((n, weeks)) < hazard
    draw &= eligible
    # the hazard starts the customer looking elsewhere; the decision follows weeks later (at once if silent)
    started_w = np.where(draw.any(axis=1), draw.argmax(axis=1), -1)
    started = started_w >= 0
    ws = np.maximum(started_w, 0)
    silent = started & (rng.random(n) < SILENT_HAZARD / hazard[np.arange(n), ws])
    delay = np.where(silent, 0, rng.integers(CONSIDER_WEEKS[0], CONSIDER_WEEKS[1] + 1, n))
    consider_i = np.where(started, ws * 7, days)
    decided_i = np.where(started, (ws + delay) * 7 + rng.integers(0, 7, n), days)
    leaving = decided_i < days
    decided_i = np.where(leaving, decided_i, days)
    mode = np.where(silent, np.where(rng.random(n) < 0.7, "application", "closed"),
                    rng.choice(list(EXIT_MODES), n, p=list(EXIT_MODES.values())))
    mode = np.where(leaving, mode, "")
    drain_len = np.where(silent, rng.integers(0, 3, n), rng.integers(7, 43, n))
    end_i = decided_i + drain_len
    steps = np.where(silent, 1, rng.integers(2, 6, n))

    # -- daily transfers: drains, money moved elsewhere, temporary withdrawals, ordinary in and out -----------
    # (float32 n × days grids: the block's memory is a few of these)
    f_out = np.zeros((n, days), dtype=np.float32)  # share of the day's value transferred out
    f_in = np.zeros((n, days), dtype=np.float32)  # transferred in, as a share of the value after the day's out
    alive = (np.arange(days)[None, :] >= funded_i[:, None]) & in_play[:, None]
    before = np.arange(days)[None, :] < decided_i[:, None]
    # drains: `steps` transfers between the decision and the end, the last takes everything but a residue
    for k in range(5):
        has = leaving & (k < steps)
        day = np.where(k == steps - 1, end_i, decided_i + (drain_len * k) // np.maximum(steps, 1))
        ok = np.flatnonzero(has & (day < days))
        frac = np.where(k == steps - 1, 1.0, rng.uniform(0.2, 0.5, n))
        f_out[ok, day[ok]] = np.maximum(f_out[ok, day[ok]], frac[ok])
    lagged = np.concatenate([np.repeat(dis[:, :1], 4, axis=1), dis], axis=1)
    lag_w = np.arange(weeks)[None, :] + 4 - lag[:, None]
    shown = np.take_along_axis(lagged, lag_w, axis=1)  # dissatisfaction as it shows, `lag` weeks late
    week_day = np.arange(weeks)[None, :] * 7
    considering = (week_day >= consider_i[:, None]) & (week_day < decided_i[:, None])
    move_p = sensitivity[:, None] * (OUTFLOW_P * np.maximum(shown - 0.8, 0) + CONSIDER_OUTFLOW_P * considering)
    rows, wk = np.nonzero(rng.random((n, weeks)) < move_p)
    day = np.minimum(wk * 7 + rng.integers(0, 7, len(rows)), days - 1)
    ok = before[rows, day] & alive[rows, day]
    f_out[rows[ok], day[ok]] = np.maximum(f_out[rows[ok], day[ok]], rng.uniform(0.1, 0.4, ok.sum()))
    rows, wk = np.nonzero(rng.random((n, weeks)) < TEMPORARY_OUT_P)
    day = np.minimum(wk * 7 + rng.integers(0, 7, len(rows)), days - 1)
    back = day + rng.integers(14, 70, len(rows))
    ok = alive[rows, day] & before[rows, day]
    frac = rng.uniform(0.3, 0.7, len(rows))
    f_out[rows[ok], day[ok]] = np.maximum(f_out[rows[ok], day[ok]], frac[ok])
    ok_back = ok & (back < days)
    ok_back[ok_back] = before[rows[ok_back], back[ok_back]]
    f_in[rows[ok_back], back[ok_back]] += frac[ok_back] / (1 - frac[ok_back])
    # ordinary deposits and withdrawals of a few per cent, about three a year each way
    busy = np.is_busday(grid)
    for grid_f, rate in ((f_out, 0.012), (f_in, 0.014)):
        k = rng.binomial(n * days, rate)
        rows, day = rng.integers(0, n, k), rng.integers(0, days, k)
        ok = busy[day] & alive[rows, day] & before[rows, day] & (grid_f[rows, day] == 0)
        grid_f[rows[ok], day[ok]] = rng.uniform(0.01, 0.08, ok.sum())

    # -- the daily value: market and own returns, then the transfers -----------------------------------
    w_sec = c["mix"][:, 0].astype(np.float32)
    ret = rng.standard_normal((n, days), dtype=np.float32)
    ret *= rng.uniform(0.006, 0.02, n).astype(np.float32)[:, None]
    ret += rng.uniform(0.7, 1.4, n).astype(np.float32)[:, None] * gen.market.astype(np.float32)[None, :]
    ret *= w_sec[:, None]
    ret += ((1 - w_sec) * 0.00012)[:, None]
    value = ret + np.log1p(-np.minimum(f_out, 0.999))
    value += np.log1p(f_in)
    np.cumsum(value, axis=1, out=value)
    # anchor the path to the drawn assets: today's for those who stay, the eve of the decision for leavers
    anchor = np.where(leaving, np.minimum(decided_i, days) - 1, days - 1).clip(0, days - 1)
    value -= value[np.arange(n), anchor][:, None]
    np.exp(value, out=value)
    value *= c["assets"].astype(np.float32)[:, None]
    drained = leaving & (end_i < days)
    residue = np.where(mode == "dormant", rng.uniform(0, 99, n), 0.0).astype(np.float32)
    after = (np.arange(days)[None, :] >= end_i[:, None]) & drained[:, None]
    value = np.where(after, residue[:, None], value)
    # the transfers in money, as sparse (row, day, amount): the day's opening value after its return
    flows = {}
    for name, grid_f, keep in (("out", f_out, alive & (np.arange(days)[None, :] <= end_i[:, None])),
                               ("in", f_in, alive & before)):
        rows, day = np.nonzero((grid_f > 0) & keep)
        opening = value[rows, np.maximum(day - 1, 0)].astype(float) * np.exp(ret[rows, day].astype(float))
        share = grid_f[rows, day].astype(float)
        if name == "out":
            amount = np.where(share >= 1.0, np.maximum(opening - residue[rows], 0), opening * share)
        else:
            amount = opening * (1 - np.minimum(f_out[rows, day], 0.999)) * share
        flows[name] = (rows, day, amount)
    del f_out, f_in, alive, before, after

    # -- exits: applications, closings ----------------------------------------------------------------
    filed_i = np.where(mode == "application", end_i + rng.integers(0, 6, n), days + 999)
    closed_i = np.where(mode == "application", filed_i + rng.integers(1, 11, n),
                        np.where(mode == "closed", end_i + rng.integers(0, 4, n), days + 999))
    to_day = lambda i: np.where(i < days, day0 + np.minimum(i, days - 1), np.datetime64("NaT"))  # noqa: E731
    c.update({
        "day0": day0, "grid": grid, "value": value, "dis": dis, "in_play": in_play, "sensitivity": sensitivity,
        "trade_mult": np.where(week_day >= decided_i[:, None], 0.1,
                               np.exp(-TRADE_DAMPING * sensitivity[:, None] * np.maximum(shown, 0))
                               * (1 - CONSIDER_TRADING * sensitivity[:, None] * considering)),
        "consider_i": consider_i,
        "seasonal": rng.random(n) < SEASONAL_TRADERS, "off_start": rng.integers(0, 12, n),
        "ret": ret, "flows_out": flows["out"], "flows_in": flows["in"], "shown": shown,
        "contacts": contacts & in_play[:, None] & (np.arange(weeks)[None, :] * 7 >= funded_i[:, None])
        & (np.arange(weeks)[None, :] * 7 < end_i[:, None]),
        "decided": to_day(decided_i), "decided_i": decided_i, "silent": silent, "exit_mode": mode,
        "filed": to_day(filed_i), "closed": to_day(closed_i), "drained": drained,
        "end_i": end_i,
    })
