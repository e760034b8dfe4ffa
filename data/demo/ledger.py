"""The demo's monthly ledger rows: households, labourers, site organisation and reported indicators of one month,
computed from the plan, the people and the story."""
from __future__ import annotations

import numpy as np

from data.demo.calibration import FORM_WAGE, FORMS
from data.demo.people import People
from data.demo.plan import Plan
from data.demo.story import Story
from domain.organisation import POSTS
from domain.rights import RIGHTS_CODES

HH_COLS = ["month", "household_code", "site_code", "head_name", "head_id", "family_size", "labour_count",
            "origin_county", "origin_town", "origin_village", "hukou_moved", "monitored", "income_prev",
            "income_curr", *[c.lower() for c in RIGHTS_CODES]]
LAB_COLS = ["month", "person_id", "name", "household_code", "site_code", "gender", "trained", "certified",
             "employed", "employment_form", "monthly_income"]
ORG_COLS = ["month", "site_code", "platform_party", "platform_resident", "platform_convenience",
             *[f"{p}_{k}" for p, _ in POSTS for k in ("required", "actual")]]
REP_COLS = ["month", "site_code", "carriers", "collective_income", "linkage_pct", "satisfaction_pct", "civic_pct",
             "night_school", "dispute_pct", "mass_incidents", "inspection_problems"]


def household_rows(t: int, month: str, plan: Plan, pp: People, st: Story, years: list[int], static: dict):
    """Household status arrays for month index t; returns (column lists, employed mask for labourers)."""
    hs = pp.hh_site
    mm = st.m[:, t, :]
    H = len(hs)
    ci = plan.site_county[hs]
    # ---- rights
    m_int, m_serv = mm[hs, 4], mm[hs, 2]
    hukou_moved = np.array([h is True for h in pp.hukou])
    p = np.empty((H, 15), np.float32)
    dest = 0.895 + 0.10 * m_int + st.county_dest[ci]
    orig = 0.875 + 0.125 * m_int + st.county_orig[ci]
    p[:, 0] = np.where(hukou_moved, dest, orig)
    p[:, 1] = dest + 0.01
    p[:, 2:8] = orig[:, None]
    p[:, 8] = 0.60 + 0.38 * m_int + st.county_dest[ci]          # 不动产登记 lags
    p[:, 9] = 1.0
    p[:, 10] = 0.958 + 0.045 * m_serv
    p[:, 11] = 0.95 + 0.05 * m_serv
    p[:, 12] = 0.845 + 0.135 * m_serv
    p[:, 13] = 1.0
    p[:, 14] = 1.0
    blank = (0.018 * np.clip(1 - m_int, 0, 1) + 0.003)[:, None] * np.ones((1, 15), np.float32)
    blank[:, [9]] = 0.0
    blank[:, [13, 14]] *= 0.3
    p = np.minimum(p, 1 - blank)
    u = pp.u_rights
    status = np.where(u < p, 1, np.where(u >= 1 - blank, -1, 0)).astype(np.int8)
    # R10 / R14 / R15 gaps: generic counts per site (earlier months), then planted ones (recent months);
    # the same households (lowest per-site rank) stay the problem cases from month to month
    for g, j in enumerate((9, 13, 14)):
        count = st.gap_count[:, t, g].copy()
        plant = st.p2_plant.get(t, []) if j == 9 else st.p5_plant.get(t, []) if j == 13 else []
        for s in plant:
            count[s] = max(count[s], 1 if j == 9 else 1 + int(s % 2))
        status[:, j] = np.where(pp.gap_rank[:, g] < count[hs], 0, status[:, j])
    status = np.where(pp.applicable, status, 9)
    rights = []
    for j in range(15):
        col = status[:, j]
        rights.append(np.where(col < 0, None, col.astype(object)).tolist())
    # ---- income
    y = int(month[:4])
    yi = years.index(y) + 1
    g = st.growth[hs]
    level_curr = st.income_end[hs] * (1 + g) ** (y - years[-1]) * pp.inc_factor
    level_prev = level_curr / (1 + g)
    curr = np.round(level_curr * (1 + pp.inc_noise[:, yi]), -1)
    prev = np.round(level_prev * (1 + pp.inc_noise[:, yi - 1]), -1)
    curr = np.where(pp.inc_missing_curr, np.nan, curr)
    prev = np.where(pp.inc_missing_prev, np.nan, prev)
    cols = [[month] * H, static["hh_code"], static["hh_site_code"], pp.head_name, pp.head_id,
            static["family"], static["labour"], pp.origin_county, pp.origin_town, pp.origin_village,
            pp.hukou, pp.monitored, _nan_none(prev), _nan_none(curr), *rights]
    return cols


def _nan_none(a: np.ndarray) -> list:
    out = a.astype(object)
    out[np.isnan(a)] = None
    return out.tolist()


def labour_rows(t: int, month: str, plan: Plan, pp: People, st: Story, static: dict):
    ls = pp.hh_site[pp.lab_hh]
    me = st.m[ls, t, 1]
    mi = st.m[ls, t, 0]
    p_emp = 0.856 + 0.085 * me + st.e_off[ls, 0]
    p_train = 0.63 + 0.31 * me + st.e_off[ls, 1]
    p_cert = 0.21 + 0.43 * me + st.e_off[ls, 2]
    employed = pp.u_emp < p_emp
    certified = pp.u_cert < p_cert
    trained = (pp.u_train < p_train) | certified
    # zero-employment households: generic (early months) and planted; all others get one employed member
    H = len(pp.hh_site)
    any_emp = np.bincount(pp.lab_hh, weights=employed, minlength=H) > 0
    count = st.zero_count[:, t].copy()
    for s in st.zero_plant.get(t, []):
        count[s] = max(count[s], 1 + int((pp.hh_site == s).sum()) // 400)
    zero = pp.zero_rank < count[pp.hh_site]
    fix = (~any_emp) & (pp.labour > 0) & ~zero
    if fix.any():
        # employ the member with the smallest u_emp of each such household
        order = np.lexsort((pp.u_emp, pp.lab_hh))
        first_of = np.full(H, -1)
        hh_sorted = pp.lab_hh[order]
        starts = np.r_[True, hh_sorted[1:] != hh_sorted[:-1]]
        first_of[hh_sorted[starts]] = order[starts]
        employed[first_of[fix]] = True
    employed &= ~zero[pp.lab_hh]
    ws = pp.u_form < st.ws_share[ls] * (0.55 + 0.45 * np.clip(mi, 0, 1.1))
    form_idx = np.where(ws, pp.form_ws, pp.form_other)
    form = np.array(FORMS, object)[form_idx]
    form[~employed] = None
    # wages move once a year (so a labourer's ledger row changes only when something about them changes)
    years_in = int(month[:4]) - int(min(static["month_index"])[:4])
    wage = np.round(FORM_WAGE[form_idx] * pp.wage_factor * (1 + 0.05 * years_in), -1)
    wage_l = wage.astype(object)
    wage_l[~employed] = None
    L = len(pp.lab_hh)
    cols = [[month] * L, pp.lab_id, pp.lab_name, static["lab_hh_code"], static["lab_site_code"], pp.lab_gender,
            trained.tolist(), certified.tolist(), employed.tolist(), form.tolist(), wage_l.tolist()]
    return cols


def org_rows(t: int, month: str, plan: Plan, st: Story, rng_org: np.random.Generator, required: np.ndarray):
    S = len(plan.site_code)
    mm = st.m[:, t, 4]
    platforms = mm[:, None] >= st.platform_thr
    fill = np.clip(0.80 + 0.22 * mm + rng_org.normal(0, 0.015, S), 0, 1)
    actual = np.round(required * fill[:, None]).astype(int)
    single = required == 1
    actual = np.where(single, (fill[:, None] > 0.86) | (np.arange(10)[None, :] % 3 != 1), actual).astype(int)
    actual = np.where(required == 0, 0, actual)
    over = rng_org.random(S) < 0.05
    actual[over, 9] += 2        # a few sites list more 分楼长 than required (capped by N1)
    rows = []
    for s in range(S):
        r = [month, plan.site_code[s], bool(platforms[s, 0]), bool(platforms[s, 1]), bool(platforms[s, 2])]
        for k in range(10):
            r += [int(required[s, k]), int(actual[s, k])]
        rows.append(tuple(r))
    return rows


def reported_rows(t: int, month: str, plan: Plan, st: Story, rng_rep: np.random.Generator):
    S = len(plan.site_code)
    mi, ms, mn = st.m[:, t, 0], st.m[:, t, 3], st.m[:, t, 4]
    size = plan.size
    t_car = np.array([1, 1, 2, 3])[size]
    t_ci = np.array([5, 10, 30, 50])[size]
    t_ns = np.array([3, 3, 6, 6])[size]
    fx = st.rep_fixed                      # persistent per-site deviations (standard normal)

    def noise(j, fixed_sd, month_sd):
        return fx[:, j] * fixed_sd + rng_rep.normal(0, month_sd, S)

    vals = {
        "carriers": np.maximum(0, np.round(t_car * (0.3 + 0.9 * mi) + noise(0, 0.3, 0.05))),
        "collective_income": np.round(np.maximum(0, t_ci * (0.2 + 0.95 * mi) * np.exp(noise(1, 0.12, 0.02))), 1),
        "linkage_pct": np.round(np.clip(28 + 40 * mi + noise(2, 4, 0.8), 0, 100), 1),
        "satisfaction_pct": np.round(np.clip(71 + 21 * ms + noise(3, 1.6, 0.6), 0, 99.5), 1),
        "civic_pct": np.round(np.clip(36 + 48 * ms + noise(4, 3.5, 1.2), 0, 100), 1),
        "night_school": np.maximum(0, np.round(t_ns * (0.3 + 0.85 * ms) + noise(5, 0.4, 0.25))),
        "dispute_pct": np.round(np.clip(82.5 + 15 * ms + noise(6, 1.2, 0.6), 0, 100), 1),
        "mass_incidents": np.zeros(S),
        "inspection_problems": rng_rep.poisson(np.maximum(0.08, 2.4 * np.clip(1 - mn, 0, 1) ** 1.3)).astype(float),
    }
    if st.mass_incident and st.mass_incident[1] == t:
        vals["mass_incidents"][st.mass_incident[0]] = 1
    missing_rows = set(st.missing_rows.get(t, []))
    blank = {}
    for s, col in st.missing_cells.get(t, []):
        blank.setdefault(s, set()).add(col)
    cols = REP_COLS[2:]
    table = np.column_stack([vals[c] for c in cols]).tolist()
    rows = []
    for s in range(S):
        if s in missing_rows:
            continue
        r = table[s]
        if s in blank:
            r = [None if cols[j] in blank[s] else v for j, v in enumerate(r)]
        rows.append((month, plan.site_code[s], *r))
    return rows
