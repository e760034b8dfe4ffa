"""The demo's story: maturity trajectories of every site and the planted trouble (vetoes, flags, 摘牌预警, 缺报,
漏项, lagging counties) that makes every rule of domain.md occur."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from data.demo.plan import Plan


@dataclass
class Story:
    m: np.ndarray                 # (S, T, 5) maturity per dimension, T in month order
    zero_count: np.ndarray        # (S, T) generic zero-employment households per site
    gap_count: np.ndarray         # (S, T, 3) generic 未落实 households per site for R10 / R14 / R15
    county_dest: np.ndarray       # (C,) coverage offset destination side
    county_orig: np.ndarray       # (C,) coverage offset origin side
    ws_share: np.ndarray          # (S,) workshop/park share of labourers at maturity 1
    e_off: np.ndarray             # (S, 3) employment / training / certificate offsets
    growth: np.ndarray            # (S,) yearly per-capita income growth
    income_end: np.ndarray        # (S,) per-capita income of the end year
    platform_thr: np.ndarray      # (S, 3) maturity at which each platform runs
    rep_fixed: np.ndarray         # (S, 9) persistent deviations of the reported indicators
    zero_plant: dict[int, list[int]] = field(default_factory=dict)     # t -> sites with zero-emp households
    p2_plant: dict[int, list[int]] = field(default_factory=dict)       # t -> sites with an unenrolled child
    p5_plant: dict[int, list[int]] = field(default_factory=dict)       # t -> sites with 应保未保
    platform_off: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    missing_rows: dict[int, list[int]] = field(default_factory=dict)
    missing_cells: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    mass_incident: tuple[int, int] | None = None
    named: dict[str, object] = field(default_factory=dict)


def make_story(rng: np.random.Generator, plan: Plan, months: list[str]) -> Story:
    S, T, C = len(plan.site_code), len(months), len(plan.counties)
    batch = plan.batch
    end_mean = np.select([batch == 2026, batch == 2027], [0.775, 0.65], 0.57)
    county_eff = rng.normal(0, 0.025, C)
    a = plan.roles.get("A")
    if "A" in plan.roles:
        county_eff[plan.roles["A"]] = -0.11
    if "B" in plan.roles:   # county B is flagged only for its planted trouble: keep it off the bottom two
        county_eff[plan.roles["B"]] = max(county_eff[plan.roles["B"]], 0.05)
    m_end = end_mean + county_eff[plan.site_county] + rng.normal(0, 0.06, S)
    m_start = m_end - rng.uniform(0.30, 0.45, S)
    k = np.arange(T)[None, :]
    frac = (k / max(T - 1, 1)) ** rng.uniform(0.7, 1.1, S)[:, None]
    m = m_start[:, None] + (m_end - m_start)[:, None] * frac + rng.normal(0, 0.012, (S, T))
    dim_off = rng.normal(0, 0.06, (S, 5))
    mm = np.clip(m[:, :, None] + dim_off[:, None, :] + rng.normal(0, 0.012, (S, T, 5)), 0, 1.15)

    from_end = (T - 1) - np.arange(T)          # 0 = latest month
    # generic trouble (counts per site, independent of how many households are listed): zero-employment
    # households until the clearing campaign ~8 months before the end; R10/R14/R15 gaps until ~4 months before
    early = (from_end >= 8)[None, :]
    zero_count = np.where(early, rng.poisson(0.45 * np.clip(1 - mm[:, :, 1], 0, 1) ** 1.5), 0)
    serv = np.clip(1 - mm[:, :, 2], 0, 1)
    gap_on = (from_end >= 4)[None, :]
    gap_count = np.stack([np.where(gap_on, rng.poisson(0.25 * serv ** 2), 0),        # R10
                          np.where(gap_on, rng.poisson(1.6 * serv ** 1.5), 0),       # R14
                          np.where(gap_on, rng.poisson(0.3 * serv ** 1.5), 0)], -1)  # R15

    county_dest = rng.normal(0, 0.008, C)
    county_orig = rng.normal(0, 0.008, C)
    if a is not None:
        county_orig[a] = -0.065

    ws_share = np.where(plan.size >= 2, rng.uniform(0.09, 0.20, S), rng.uniform(0.04, 0.16, S))
    e_off = rng.normal(0, [0.010, 0.02, 0.03], (S, 3))
    growth = rng.uniform(0.08, 0.14, S)
    low = rng.permutation(S)[: max(1, S // 9)]
    growth[low] = rng.uniform(0.025, 0.075, len(low))
    income_end = rng.uniform(15000, 17000, S)
    platform_thr = np.column_stack([rng.uniform(0.05, 0.40, S), rng.uniform(0.10, 0.50, S), rng.uniform(0.20, 0.60, S)])
    st = Story(m=mm, zero_count=zero_count, gap_count=gap_count, county_dest=county_dest, county_orig=county_orig,
                ws_share=ws_share, e_off=e_off, growth=growth, income_end=income_end, platform_thr=platform_thr,
                rep_fixed=rng.normal(0, 1, (S, 9)))

    # ---- planted trouble in the latest months
    L = T - 1
    level = m[:, L]
    taken: set[int] = set()

    def best_in(ci, n, exclude=(), min_size=0):
        idx = [s for s in np.argsort(-level).tolist() if plan.site_county[s] == ci and s not in taken
               and s not in exclude and plan.size[s] >= min_size]
        return idx[:n]

    def pick(n, pool):
        pool = [s for s in pool if s not in taken]
        return [pool[i] for i in rng.permutation(len(pool))[:n].tolist()]

    roles = plan.roles
    # zero-employment: two sites of county B for the last two months, one site of county A in the latest
    zb = best_in(roles["B"], 2)
    za = best_in(roles["A"], 1)
    taken.update(zb + za)
    if T >= 2:
        st.zero_plant[L - 1] = list(zb)
    st.zero_plant[L] = list(zb) + list(za)
    # a named (达标) site of county X loses it: unenrolled school-age child for two months -> 摘牌预警
    x = best_in(roles["X"], 1, min_size=1)
    taken.update(x)
    st.p2_plant[L] = list(x)
    if T >= 2:
        st.p2_plant[L - 1] = list(x)
    # 重大群体性事件 once, latest month, at a good site of county Y
    y = best_in(roles["Y"], 1)
    taken.update(y)
    if y:
        st.mass_incident = (y[0], L)
    # missing platforms (small rural sites), 应保未保, 缺报
    small = [s for s in range(S) if plan.size[s] == 0 and plan.site_county[s] not in (roles["B"],)]
    for s in pick(4, small):
        p = int(rng.integers(0, 3))
        st.platform_thr[s, p] = 9.0          # never built
        taken.add(s)
    # trouble that costs points goes mostly to sites already below the standard (no dramatic last-month drop)
    mid_level = [s for s in np.argsort(level).tolist()[S // 10: S // 2]]
    p5 = pick(3, [s for s in mid_level if plan.site_county[s] not in (roles["B"],)])
    taken.update(p5)
    st.p5_plant[L] = p5
    if T >= 2:
        st.p5_plant[L - 1] = p5[:1]
    miss = pick(4, [s for s in mid_level if plan.site_county[s] not in (roles["B"],)])
    taken.update(miss)
    st.missing_rows[L] = miss[:2]
    st.missing_cells[L] = [(miss[2], "linkage_pct"), (miss[3], "night_school"), (miss[3], "civic_pct")]
    # earlier months: sporadic missing rows and cells
    for t in range(T):
        if t >= L:
            continue
        n_rows = rng.poisson(1.2 if from_end[t] > 6 else 0.5)
        st.missing_rows[t] = rng.permutation(S)[:n_rows].tolist()
        n_cells = rng.poisson(2.0 if from_end[t] > 6 else 0.8)
        cols = ["carriers", "collective_income", "linkage_pct", "satisfaction_pct", "civic_pct", "night_school",
                "dispute_pct", "inspection_problems"]
        st.missing_cells[t] = [(int(rng.integers(S)), cols[int(rng.integers(len(cols)))]) for _ in range(n_cells)]
    st.named = dict(zero_employment=[plan.site_code[s] for s in zb + za],
                    unenrolled_child=[plan.site_code[s] for s in x],
                    mass_incident=[plan.site_code[s] for s in y],
                    missing_platform=[plan.site_code[s] for s in range(S) if st.platform_thr[s].max() > 5],
                    under_protected=[plan.site_code[s] for s in p5],
                    missing_report=[plan.site_code[s] for s in miss[:2]],
                    lagging_county=plan.counties[roles["A"]]["name"],
                    flagged_two_months=plan.counties[roles["B"]]["name"],
                    overdue_county=plan.counties[roles["C"]]["name"])
    return st
