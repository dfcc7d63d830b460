"""Six months of history behind the first night (quality.md: "6 months of alerts and survey responses for
realism"), drawn block by block with the rest of the branch, so the measures pages and trend charts have data on
day one:

- **alerts** with their whole workflow (opened → acknowledged → contacted → resolved with an outcome, or
  dismissed with a reason; escalated when acknowledged after the SLA) and every transition: churn warnings before
  most closings (lost, some funds returned), on declining customers (mostly retained or funds returned) and false
  alarms on steady customers (not a real risk, dismissed); birthday reminders handled by a call;
- **interactions**: the contact that worked each warning and reminder (the transition points at it);
- **survey responses**: monthly callbacks of the S2020 questionnaire to ~3 % of the live retail book, with the
  study's answer mix (table 3-1) and the attempts that failed: hung up, no answer, refused (surveys.md keeps them
  in the denominator).

All history lies before the data date and every alert is closed, so the first nightly scan starts from a clean
inbox (a closed warning's cool-down still applies, as it would have). Survey rows carry question and option codes;
write.py turns them into the ids of the active questionnaire version.
"""
import numpy as np
import pandas as pd

from ..models import Role

TZ = "Asia/Shanghai"
# S2020 answer shares of the study's 2020 campaign (surveys/data/s2020_campaign.json, n = 65)
S2020_MIX = {
    "Q1": {"A": 55, "B": 9, "C": 1, "D": 0},
    "Q2": {"A": 39, "B": 17, "C": 3, "D": 5, "E": 1},
    "Q3": {"A": 0, "B": 47, "C": 15, "D": 3},
    "Q4": {"A": 0, "B": 65},
    "Q5": {"A": 46, "B": 4, "C": 15},
    "Q6": {"A": 54, "B": 3, "C": 7, "D": 1},
    "Q7": {"A": 3, "B": 2, "C": 1, "D": 1, "E": 5, "F": 53},
}
ATTEMPT_OUTCOMES = {"completed": 0.68, "hung_up": 0.14, "no_answer": 0.13, "refused": 0.05}
# answers that follow the hidden dissatisfaction: (options best → worst, score thresholds, noise sd); the
# thresholds give about the study's mix over the book (satisfaction: 83 % satisfied, referral: 71 % willing)
LATENT_CUTS = {
    "Q6": (["A", "B", "C", "D"], [-1.2, -1.5, -2.6], 0.8),
    "Q5": (["A", "C", "B"], [-0.7, -1.9], 1.0),
    "Q2": (["A", "B", "E", "C", "D"], [-0.5, -1.6, -1.75, -2.1], 1.2),
}
MONTHLY_SAMPLE = 0.03  # per IA 20 and per WA 10 customers a month (surveys.md) is ~3 % of the book
SUMMARY = {"large_outflow": "大额转出预警回访", "falling_trading": "交易下降预警回访", "pnl_threshold": "盈亏预警回访",
           "assets_elsewhere": "他处资产预警回访", "closing_application": "转销户挽留沟通", "birthday": "生日关怀"}
ALERT_COLUMNS = ["id", "customer_id", "rule", "level", "status", "evidence", "fire_key", "owner_id", "manager_id",
                 "opened_at", "due_at", "first_fired_on", "last_fired_on", "fire_count", "acknowledged_at",
                 "contacted_at", "closed_at", "escalated_at", "outcome", "funds_returned", "reason", "dismiss_reason"]


def _staff_maps(gen):
    if getattr(gen, "_history_staff", None) is None:
        staff = gen.staff
        managers = staff[staff["role"] == Role.OFFICE_MANAGER].groupby("office_id")["id"].min()
        operations = {office: rows["id"].to_numpy() for office, rows in
                      staff[staff["role"] == Role.OPERATIONS].groupby("office_id")}
        gen._history_staff = (managers, operations)
    return gen._history_staff


def _stamp(day, hours):
    """`hours` after local midnight of `day` (datetime64[D] arrays) as UTC text, the form Django stores on SQLite
    and PostgreSQL reads in its UTC sessions."""
    local = pd.to_datetime(day).tz_localize(TZ) + pd.to_timedelta(hours, unit="h")
    return pd.Series(local.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S"))


def build(gen, c, frames, rng):
    out = _alerts(gen, c, frames, rng)
    out.update(_surveys(gen, c, rng))
    return out


def _firing_days(gen, c, rng):
    """(index in block, rule, fired day) of the warnings the rules would have raised on the generated data over
    the history (alerts.md, default parameters), first firing per customer and cool-down window:
    large outflow on the hidden process's transfers, falling trading on the trading days, closing applications
    as filed. The loss/gain and assets-elsewhere rules, which read data the branch keeps only for recent days,
    appear as a few false alarms on steady customers."""
    n = c["n"]
    as_of = np.datetime64(gen.as_of, "D")
    start, last_fire = as_of - gen.history_days, as_of - 12
    parts = []
    # large outflow: one day's transfer-out ≥ 100,000 or ≥ 30 % of the previous day's assets (≥ 10,000)
    lo, hi = (start - c["day0"]).astype(int), (last_fire - c["day0"]).astype(int)
    rows, day, out = c["flows_out"]
    inside = (day >= max(lo, 1)) & (day <= hi)
    rows, day, out = rows[inside], day[inside], out[inside]
    prev = c["value"][rows, day - 1]
    fired = (prev >= 10_000) & ((out >= 100_000) | (out >= 0.3 * prev))
    rows, day = rows[fired], np.busday_offset(c["day0"] + day[fired], 0, roll="backward")
    parts.append(_first_per_window(rows, day, start, 30, "large_outflow"))
    # falling trading: trades in the last 30 days < 50 % of the monthly average of the 90 days before, baseline
    # ≥ 4 trades a month; checked every fifth working day, raised on entering
    tdays, trades = c["trade_days"], c["trades"]
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(trades, axis=1)], axis=1)
    checks = np.flatnonzero((tdays >= start) & (tdays <= last_fire))[::5]
    if len(checks):
        at = tdays[checks]
        k30 = np.searchsorted(tdays, at - 29)
        k120 = np.searchsorted(tdays, at - 119)
        recent = cum[:, checks + 1] - cum[:, k30]
        base = (cum[:, k30] - cum[:, k120]) / 3
        low = (base >= 4) & (recent < 0.5 * base)
        entering = low & ~np.concatenate([np.zeros((n, 1), bool), low[:, :-1]], axis=1)
        rows, cols = np.nonzero(entering)
        parts.append(_first_per_window(rows, at[cols], start, 60, "falling_trading"))
    # false alarms of the rules the history cannot replay
    live = gen._live(c) & (c["kind"] == "retail")
    idx = np.flatnonzero(live & (rng.random(n) < 0.012 * gen.history_days / 182))
    rule = rng.choice(["pnl_threshold", "assets_elsewhere"], len(idx), p=[0.5, 0.5])
    parts.append((idx, rule, start + rng.integers(0, max(gen.history_days - 12, 1), len(idx))))
    return parts


def _first_per_window(rows, day, start, window, rule):
    """The first firing of each customer in each `window`-day stretch from `start` (the rules' cool-down)."""
    frame = pd.DataFrame({"i": rows, "day": day, "w": (day - start).astype(int) // window})
    frame = frame.sort_values(["i", "day"]).drop_duplicates(["i", "w"])
    return frame["i"].to_numpy(), np.full(len(frame), rule, dtype=object), frame["day"].to_numpy()


def _alerts(gen, c, frames, rng):
    n = c["n"]
    as_of = np.datetime64(gen.as_of, "D")
    start = as_of - gen.history_days
    last_fire = as_of - 12  # room to work the alert before the first night
    retail = c["kind"] == "retail"
    live = gen._live(c)
    owner_wa = np.where(pd.isna(c["advisor_id"]), c["ia_id"], c["advisor_id"])
    owner_ia = np.where(pd.isna(c["ia_id"]), c["advisor_id"], c["ia_id"])
    parts = [(*p, "rule") for p in _firing_days(gen, c, rng)]

    # closing applications filed over the history (the rule keys by filed_on:kind)
    apps = frames["applications"]
    filed = pd.Series(pd.to_datetime(apps["filed_on"]).to_numpy().astype("datetime64[D]"),
                      index=apps["customer_id"].to_numpy() - c["id"][0] if len(apps) else [])
    first = ~filed.index.duplicated()
    filed = filed[first]
    filed_kind = pd.Series(apps["kind"].to_numpy()[first] if len(apps) else [], index=filed.index, dtype=object)
    idx = filed.index.to_numpy().astype(int)
    parts.append((idx, np.full(len(idx), "closing_application", dtype=object), filed.to_numpy(), "rule"))
    app_kind = filed_kind.reindex(np.arange(n)).fillna("close").to_numpy()

    # birthday reminders over the history (three days ahead, as the rule fires)
    born = c["birth"]
    idx = np.flatnonzero(live & retail & ~np.isnat(born))
    month_day = pd.to_datetime(born[idx]).strftime("-%m-%d")
    for year in range(gen.as_of.year - 1 - gen.history_days // 365, gen.as_of.year + 1):
        # an explicit format: pandas otherwise infers one from the first value and, when that is 29 Feb of a
        # common year, warns and parses each value on its own (the same dates, NaT for 29 Feb)
        day = (pd.to_datetime(str(year) + month_day, format="%Y-%m-%d", errors="coerce").to_numpy()
               .astype("datetime64[D]") - 3)
        keep = ~np.isnat(day) & (day >= start) & (day <= last_fire) & (rng.random(len(idx)) < 0.8)
        parts.append((idx[keep], np.full(keep.sum(), "birthday"), day[keep], "birthday"))

    idx = np.concatenate([p[0] for p in parts]).astype(int)
    rule = np.concatenate([p[1] for p in parts]).astype(object)
    day = np.concatenate([p[2] for p in parts]).astype("datetime64[D]")
    case = np.concatenate([np.full(len(p[0]), p[3], dtype=object) for p in parts])
    closed = c["closed"][idx]
    ok = (day >= start) & (day <= last_fire) & ~pd.isna(owner_wa[idx]) & (np.isnat(closed) | (day < closed))
    idx, rule, day, case = idx[ok], rule[ok], day[ok], case[ok]
    m = len(idx)
    if m == 0:
        return {"alerts": pd.DataFrame(columns=ALERT_COLUMNS), "alert_transitions": pd.DataFrame()}

    red = rule == "closing_application"
    reminder = rule == "birthday"
    level = np.where(red, "red", np.where(reminder, "reminder", "yellow"))
    owner = np.where(rule == "pnl_threshold", owner_ia[idx], owner_wa[idx]).astype(np.int64)
    managers, _operations = _staff_maps(gen)
    office_id = np.array([gen.office_ids[o] for o in c["office"][idx]])
    manager = managers.reindex(office_id).to_numpy()

    # the timeline, in hours after local midnight of the firing day (the nightly scan opens at 06:30)
    opened_h = np.full(m, 6.5)
    wd = pd.to_datetime(day).day_of_week.to_numpy()
    next_work = np.where(wd == 4, 3, np.where(wd == 5, 2, 1)) * 24.0  # Friday → Monday, Saturday → Monday
    due_h = np.where(red, opened_h + 4, np.where(reminder, np.nan, opened_h + next_work))
    ack_h = opened_h + np.where(red, rng.lognormal(np.log(2.0), 0.8, m), rng.lognormal(np.log(8.0), 0.9, m))
    contact_h = ack_h + rng.uniform(0.3, 30, m)
    close_h = contact_h + rng.uniform(2, 24 * 9, m)
    # what the call found (the hidden process at the time): already decided to leave, unhappy, or fine
    close_day = day + np.floor(close_h / 24).astype(int)
    week = np.clip((day - c["day0"]).astype(int) // 7, 0, c["dis"].shape[1] - 1)
    case = np.where(reminder, "birthday", np.where(
        ~np.isnat(c["decided"][idx]) & (c["decided"][idx] <= close_day), "churned",
        np.where(c["dis"][idx, week] > 1.0, "declining", "steady")))
    dismissed = (case == "steady") & (rng.random(m) < 0.3) | reminder & (rng.random(m) < 0.15)
    close_h = np.where(dismissed, ack_h, close_h)
    escalated = ~reminder & (ack_h > due_h)

    # outcomes: churners were mostly lost; declining customers mostly kept; false alarms judged not a risk
    u = rng.random(m)
    outcome = np.select(
        [case == "churned", case == "declining", case == "steady"],
        [np.where(u < 0.8, "lost", "funds_returned"),
         np.where(u < 0.6, "retained", "funds_returned"),
         np.where(u < 0.55, "not_a_risk", "retained")], "")
    outcome = np.where(dismissed, "", outcome)
    # funds returned: part of what left in the activity window the measures read (30 days before → 90 after)
    left = _outflow_around(frames["activity"], c["id"][idx], day)
    returned = np.round(left * rng.uniform(0.3, 0.9, m), 2)
    outcome = np.where((outcome == "funds_returned") & (returned <= 0), "retained", outcome)
    dismiss_reason = np.where(dismissed, np.where(reminder, "already_handled", rng.choice(
        ["not_a_risk", "already_handled", "wrong_data", "other"], m, p=[0.5, 0.25, 0.15, 0.1])), "")
    status = np.where(dismissed, "dismissed", "resolved")

    alert_ids = gen.take_ids("alert", m)
    contacted = ~dismissed
    k = int(contacted.sum())
    interaction_ids = gen.take_ids("interaction", k)
    at_contact = _stamp(day[contacted], contact_h[contacted])
    interactions = pd.DataFrame({
        "id": interaction_ids, "customer_id": c["id"][idx[contacted]],
        "staff_id": pd.array(owner[contacted], dtype="Int64"), "at": at_contact.to_numpy(),
        "channel": rng.choice(["phone", "wechat", "visit"], k, p=[0.7, 0.2, 0.1]),
        "summary": pd.Series(rule[contacted]).map(SUMMARY).to_numpy(), "note": "",
    })
    frames["interactions"] = pd.concat([frames["interactions"], interactions], ignore_index=True)

    iso_day = np.datetime_as_string(day, "D")
    nights = np.where(np.isin(rule, ["falling_trading", "pnl_threshold", "assets_elsewhere"]),
                      1 + np.floor(ack_h / 24).astype(int), 1)
    opened_at = _stamp(day, opened_h)
    closed_at = _stamp(day, close_h)
    evidence = np.where(rule == "birthday", '{"history": true, "birthday": "' + pd.Series(
        np.datetime_as_string(day + 3, "D")).to_numpy() + '"}', '{"history": true, "fired_on": "' + iso_day + '"}')
    fire_key = np.where(np.isin(rule, ["large_outflow"]), iso_day,
                        np.where(rule == "birthday", np.datetime_as_string(day + 3, "D"),
                                 np.where(red, iso_day + ":" + app_kind[idx].astype(str), "")))
    alerts = pd.DataFrame({
        "id": alert_ids, "customer_id": c["id"][idx], "rule": rule, "level": level, "status": status,
        "evidence": evidence, "fire_key": fire_key, "owner_id": owner,
        "manager_id": pd.array(np.where(red | escalated, manager, None), dtype="Int64"),
        "opened_at": opened_at.to_numpy(),
        "due_at": _stamp(day, due_h).where(~reminder, None).to_numpy(),
        "first_fired_on": iso_day, "last_fired_on": np.datetime_as_string(day + nights - 1, "D"),
        "fire_count": nights,
        "acknowledged_at": _stamp(day, ack_h).where(~dismissed, None).to_numpy(),
        "contacted_at": _stamp(day, contact_h).where(contacted, None).to_numpy(),
        "closed_at": closed_at.to_numpy(),
        "escalated_at": _stamp(day, due_h).where(escalated, None).to_numpy(),
        "outcome": outcome,
        "funds_returned": np.where(outcome == "funds_returned", returned, np.nan),
        "reason": np.where(dismiss_reason == "other", "客户已在他处办理", ""),
        "dismiss_reason": dismiss_reason,
    })

    def step(mask, hours, action, from_status, to_status, **extra):
        rows = {"alert_id": alert_ids[mask], "at": _stamp(day[mask], hours[mask]).to_numpy(), "action": action,
                "from_status": from_status, "to_status": to_status, "note": "", "outcome": "",
                "amount": np.nan, "interaction_id": pd.array([None] * int(mask.sum()), dtype="Int64")}
        rows.update({key: value[mask] if isinstance(value, (np.ndarray, pd.api.extensions.ExtensionArray)) else value
                     for key, value in extra.items()})
        return pd.DataFrame(rows)

    every = np.ones(m, bool)
    contact_ids = np.zeros(m, dtype=np.int64)
    contact_ids[contacted] = interaction_ids
    transitions = pd.concat([
        step(every, opened_h, "opened", "", "open"),
        step(escalated, due_h, "escalated", "open", "open",
             note=pd.Series(manager).fillna("").astype(str).str.replace(r"\.0$", "", regex=True).to_numpy()),
        step(dismissed, close_h, "transition", "open", "dismissed", note=alerts["reason"].to_numpy()),
        step(contacted, ack_h, "transition", "open", "acknowledged"),
        step(contacted, contact_h, "contact", "acknowledged", "contacted",
             interaction_id=pd.array(contact_ids, dtype="Int64")),
        step(contacted, close_h, "transition", "contacted", "resolved", outcome=outcome,
             amount=np.where(outcome == "funds_returned", returned, np.nan)),
    ], ignore_index=True)
    return {"alerts": alerts, "alert_transitions": transitions}


def _outflow_around(activity, customer_ids, day):
    """Transfer-out of each (customer, warning day) from 30 days before to 90 days after, from the block's
    activity rows (what alerts.reports counts as the funds that left)."""
    if activity.empty or not len(customer_ids):
        return np.zeros(len(customer_ids))
    out = activity.loc[activity["transfer_out"] > 0, ["customer_id", "date", "transfer_out"]]
    warn = pd.DataFrame({"customer_id": customer_ids, "day": pd.to_datetime(day), "k": np.arange(len(day))})
    joined = warn.merge(out, on="customer_id", how="inner")
    dates = pd.to_datetime(joined["date"])
    inside = (dates >= joined["day"] - pd.Timedelta(days=30)) & (dates <= joined["day"] + pd.Timedelta(days=90))
    sums = joined[inside].groupby("k")["transfer_out"].sum()
    return sums.reindex(np.arange(len(day)), fill_value=0.0).to_numpy()


def _surveys(gen, c, rng):
    """Monthly S2020 callbacks over the history; one customer at most once a month. An unhappy customer hangs
    up more often; a completed call's answers follow the hidden dissatisfaction at the time (satisfaction Q6,
    referral Q5, advice Q2, with noise) and the contacts of the last eight weeks (Q1), with about the study's
    answer mix over the whole book; the other questions keep the study's mix."""
    n = c["n"]
    as_of = np.datetime64(gen.as_of, "D")
    _managers, operations = _staff_maps(gen)
    eligible = gen._live(c) & (c["kind"] == "retail") & ~pd.isna(c["advisor_id"])
    # a leaver stays callable until the account closes or is drained
    eligible |= (c["kind"] == "retail") & ~pd.isna(c["advisor_id"]) & c["in_play"]
    ends = np.where(np.isnat(c["closed"]), c["day0"] + np.minimum(c["end_i"], len(c["grid"]) - 1), c["closed"])
    rows = []
    for month in range(max(gen.history_days // 30, 1), 0, -1):
        lo, hi = as_of - 30 * month, as_of - 30 * (month - 1) - 1
        who = np.flatnonzero(eligible & (rng.random(n) < MONTHLY_SAMPLE))
        day = lo + rng.integers(0, (hi - lo).astype(int), len(who))
        day = np.busday_offset(day, 0, roll="forward")
        day = np.minimum(day, as_of - 1)
        ok = (day < ends[who]) & (np.isnat(c["funded"][who]) | (day > c["funded"][who]))
        who, day = who[ok], day[ok]
        outcome = _attempts(c, who, day, rng)
        rows.append((who, day, outcome))
        # a failed attempt is tried once more a few working days later, for 40 % of them
        again = np.flatnonzero((outcome != "completed") & (rng.random(len(who)) < 0.4))
        day2 = np.minimum(np.busday_offset(day[again], rng.integers(1, 5, len(again)), roll="forward"), as_of - 1)
        keep = (day2 > day[again]) & (day2 < ends[who[again]])
        retry = _attempts(c, who[again][keep], day2[keep], rng)
        rows.append((who[again][keep], day2[keep], retry))
    idx = np.concatenate([r[0] for r in rows]).astype(int)
    day = np.concatenate([r[1] for r in rows]).astype("datetime64[D]")
    outcome = np.concatenate([r[2] for r in rows]).astype(object)
    once = ~pd.DataFrame({"i": idx, "d": day}).duplicated().to_numpy()  # one attempt per customer and day
    idx, day, outcome = idx[once], day[once], outcome[once]
    m = len(idx)
    office_id = np.array([gen.office_ids[o] for o in c["office"][idx]], dtype=np.int64)
    interviewer = np.array([rng.choice(operations[o]) if o in operations else -1 for o in np.unique(office_id)])
    pick = dict(zip(np.unique(office_id), interviewer))
    interviewer = np.array([pick[o] for o in office_id], dtype=np.int64)  # one clerk per office and block
    ids = gen.take_ids("survey_response", m)
    channel = rng.choice(["phone", "ivr"], m, p=[0.8, 0.2])
    responses = pd.DataFrame({
        "id": ids, "questionnaire": "S2020", "customer_id": c["id"][idx], "channel": channel, "outcome": outcome,
        "interviewer_id": pd.array(np.where(interviewer > 0, interviewer, None), dtype="Int64"),
        "service_person_id": pd.array(c["advisor_id"][idx], dtype="Int64"),
        "surveyed_on": np.datetime_as_string(day, "D"), "source": "gen",
        "filed_at": _stamp(day, np.full(m, 18.0)).to_numpy(),
    })
    done = np.flatnonzero(outcome == "completed")
    mood = _dissatisfaction_at(c, idx[done], day[done])
    week = np.clip((day[done] - c["day0"]).astype(int) // 7, 0, c["contacts"].shape[1] - 1)
    window = np.cumsum(c["contacts"], axis=1)
    contacts = window[idx[done], week] - np.where(week >= 8, window[idx[done], np.maximum(week - 8, 0)], 0)
    answers = []
    for question, mix in S2020_MIX.items():
        codes, weights = list(mix), np.array(list(mix.values()), dtype=float)
        if question in LATENT_CUTS:
            option = _ordered(mood, LATENT_CUTS[question], rng)
        elif question == "Q1":
            option = np.where(contacts >= 1, rng.choice(["A", "B"], len(done), p=[0.9, 0.1]),
                              rng.choice(["A", "B", "C", "D"], len(done), p=[0.6, 0.3, 0.08, 0.02]))
        else:
            option = rng.choice(codes, len(done), p=weights / weights.sum())
        answers.append(pd.DataFrame({"response_id": ids[done], "question": question, "option": option}))
    return {"survey_responses": responses, "survey_answers": pd.concat(answers, ignore_index=True)}


def _dissatisfaction_at(c, idx, day):
    week = np.clip((day - c["day0"]).astype(int) // 7, 0, c["dis"].shape[1] - 1)
    return c["dis"][idx, week].astype(float)


def _attempts(c, idx, day, rng):
    """Attempt outcomes: the study's shares, hang-ups and refusals more likely from an unhappy customer."""
    mood = _dissatisfaction_at(c, idx, day)
    tilt = np.exp(0.5 * np.clip(mood, -2, 3))
    p = np.array(list(ATTEMPT_OUTCOMES.values()))
    weights = np.column_stack([np.full(len(idx), p[0]), p[1] * tilt, np.full(len(idx), p[2]), p[3] * tilt])
    weights /= weights.sum(axis=1, keepdims=True)
    u = rng.random(len(idx))[:, None] > np.cumsum(weights, axis=1)
    return np.array(list(ATTEMPT_OUTCOMES))[np.minimum(u.sum(axis=1), 3)]


def _ordered(mood, cuts, rng):
    """An ordered answer from the dissatisfaction plus noise: the options from best to worst, cut at
    `cuts` (score thresholds, best option above the first)."""
    codes, thresholds, noise = cuts
    score = -mood + noise * rng.standard_normal(len(mood))
    return np.array(codes)[np.searchsorted(-np.asarray(thresholds), -score)]
