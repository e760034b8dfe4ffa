"""The demo's people: listed households and labourers with names, IDs, origins and the fixed random draws that
decide, month by month, who is employed, trained and covered by which rights."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.demo.calibration import APPLICABLE, LABOUR_PER_PERSON
from data.demo.names import SURNAME_W, SURNAMES, make_ids, person_names, random_dates, village_names
from data.demo.plan import Plan


@dataclass
class People:
    # households (length H), sorted by site then household code
    hh_site: np.ndarray
    hh_code: list[str]
    head_name: list[str]
    head_id: list[str]
    family: np.ndarray
    labour: np.ndarray
    origin_county: list[str]
    origin_town: list[str]
    origin_village: list[str]
    hukou: list
    monitored: list
    applicable: np.ndarray      # (H, 15) bool
    u_rights: np.ndarray        # (H, 15) float32, fixed per household and item
    u_zero: np.ndarray          # fixed per household, orders problem cases
    zero_rank: np.ndarray       # rank within the site among households with labour (others: large)
    gap_rank: np.ndarray        # (H, 3) rank within the site among households where R10 / R14 / R15 applies
    inc_factor: np.ndarray
    inc_noise: np.ndarray       # (H, n_years)
    inc_missing_prev: np.ndarray
    inc_missing_curr: np.ndarray
    # labourers (length L), grouped by household
    lab_hh: np.ndarray
    lab_id: list[str]
    lab_name: list[str]
    lab_gender: list[str]
    u_emp: np.ndarray
    u_train: np.ndarray
    u_cert: np.ndarray
    u_form: np.ndarray
    form_other: np.ndarray      # index into FORMS[2:] for labourers not in workshop/park
    form_ws: np.ndarray         # 0 帮扶车间 / 1 园区企业 when in workshop/park
    wage_factor: np.ndarray


def _group_rank(group: np.ndarray, key: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Rank (0, 1, ...) of each element within its group by key, counting only valid elements; invalid
    elements get a rank larger than any count."""
    order = np.lexsort((key, ~valid, group))
    g = group[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    pos = np.arange(len(g)) - np.repeat(start, np.diff(np.r_[start, len(g)]))
    rank = np.empty(len(g), np.int64)
    rank[order] = pos
    return np.where(valid, rank, 1 << 30)


def make_people(rng: np.random.Generator, plan: Plan, factor: float, years: list[int]) -> People:
    S = len(plan.site_code)
    listed = np.maximum(np.minimum(plan.households, 2), np.round(plan.households * factor)).astype(int)
    H = int(listed.sum())
    hh_site = np.repeat(np.arange(S), listed)
    hh_code = [f"{plan.site_code[s]}{i + 1:05d}" for s, n in enumerate(listed.tolist()) for i in range(n)]

    mean_size = (plan.population / plan.households)[hh_site]
    family = np.clip(1 + rng.poisson(np.maximum(mean_size - 1, 0.2)), 1, 10)
    # single-person households are mostly elderly; the others carry slightly more than 0.52 per person so the
    # city-wide ratio stays ≈ LABOUR_PER_PERSON
    labour = rng.binomial(family, np.where(family == 1, 0.35, LABOUR_PER_PERSON + 0.005))

    # origin: mostly the site's own county, else another county of the same city
    nc = len(plan.counties)
    county_of = plan.site_county[hh_site]
    same = rng.random(H) < 0.72
    city_of = np.array([c["city_code"] for c in plan.counties])
    other = rng.integers(0, nc, H)
    if plan.scale == "province":   # stay within the site's city
        groups = {cc: np.where(city_of == cc)[0] for cc in set(city_of.tolist())}
        pick = rng.random(H)
        other = np.array([groups[city_of[c]][int(p * len(groups[city_of[c]]))]
                          for c, p in zip(county_of.tolist(), pick.tolist())])
    origin_ci = np.where(same, county_of, other)
    origin_county = [plan.counties[i]["name"] for i in origin_ci.tolist()]
    # origin town / village per county: a fixed pool of villages per town
    town_pool = {}
    for ci, c in enumerate(plan.counties):
        rural = plan.towns[c["name"]][1]
        town_pool[ci] = (rural, village_names(rng, len(rural) * 8))
    t_pick = rng.random(H)
    v_pick = rng.integers(0, 8, H)
    origin_town, origin_village = [], []
    for ci, tp, vp in zip(origin_ci.tolist(), t_pick.tolist(), v_pick.tolist()):
        rural, vills = town_pool[ci]
        ti = int(tp * len(rural))
        origin_town.append(rural[ti])
        origin_village.append(vills[ti * 8 + vp])

    # heads
    end_year = years[-1]
    head_male = rng.random(H) < 0.82
    head_lab = (labour >= 1) & (rng.random(H) < 0.78)
    head_birth = np.where(head_lab, random_dates(rng, f"{end_year - 58}-01-01", f"{end_year - 24}-12-31", H),
                          random_dates(rng, f"{end_year - 82}-01-01", f"{end_year - 60}-12-31", H))
    head_surname = rng.choice(len(SURNAMES), H, p=SURNAME_W / SURNAME_W.sum())
    head_name = person_names(rng, head_male, head_surname)

    # labourers: the head first (when a labourer), then other members
    L = int(labour.sum())
    lab_hh = np.repeat(np.arange(H), labour)
    first = np.zeros(L, bool)
    starts = np.concatenate([[0], np.cumsum(labour)[:-1]])
    first[starts[labour > 0]] = True
    is_head = first & head_lab[lab_hh]
    lab_male = np.where(is_head, head_male[lab_hh], rng.random(L) < 0.5)
    lab_birth = np.where(is_head, head_birth[lab_hh], random_dates(rng, f"{end_year - 59}-01-01",
                                                                    f"{end_year - 16}-12-31", L))
    same_surname = rng.random(L) < np.where(lab_male, 0.85, 0.35)
    lab_surname = np.where(same_surname, head_surname[lab_hh],
                           rng.choice(len(SURNAMES), L, p=SURNAME_W / SURNAME_W.sum()))
    others = ~is_head
    other_names = person_names(rng, lab_male[others], lab_surname[others])

    # ID numbers: heads + non-head labourers, area code = origin county
    area_codes = np.array([int(c["code"]) for c in plan.counties])
    n_other = int(others.sum())
    ids = make_ids(rng, np.concatenate([area_codes[origin_ci], area_codes[origin_ci[lab_hh[others]]]]),
                    np.concatenate([head_birth, lab_birth[others]]), np.concatenate([head_male, lab_male[others]]))
    head_id = ids[:H]
    lab_id = np.empty(L, object)
    lab_name = np.empty(L, object)
    lab_id[is_head] = np.array(head_id, object)[lab_hh[is_head]]
    lab_name[is_head] = np.array(head_name, object)[lab_hh[is_head]]
    lab_id[others] = np.array(ids[H:H + n_other], object)
    lab_name[others] = np.array(other_names, object)
    lab_gender = np.where(lab_male, "男", "女").tolist()

    hk = rng.random(H)
    hukou = np.where(hk < 0.88, True, np.where(hk < 0.985, False, None)).tolist()
    monitored = (rng.random(H) < 0.06).tolist()

    applicable = rng.random((H, 15)) < APPLICABLE
    applicable[:, 9] &= family >= 2                                   # school-age child needs a family
    applicable[:, 14] &= family <= 2                                  # 特困 mostly single / couple
    applicable[:, 13] |= np.array(monitored) & (rng.random(H) < 0.4)  # monitored households often 低保
    u_rights = rng.random((H, 15)).astype(np.float32)

    n_years = len(years) + 1
    inc_factor = np.exp(rng.normal(0, 0.22, H))
    inc_factor /= inc_factor.mean()
    inc_noise = rng.normal(0, 0.025, (H, n_years))

    p_ws = rng.random(L)
    u_zero = rng.random(H)
    # sites without any household where R10 (school-age child) applies get one, so a planted gap has a target
    for s in range(S):
        idx = np.where(hh_site == s)[0]
        if not applicable[idx, 9].any():
            applicable[idx[np.argmax(family[idx])], 9] = True
    return People(
        hh_site=hh_site, hh_code=hh_code, head_name=head_name, head_id=head_id, family=family, labour=labour,
        origin_county=origin_county, origin_town=origin_town, origin_village=origin_village, hukou=hukou,
        monitored=monitored, applicable=applicable, u_rights=u_rights, u_zero=u_zero,
        zero_rank=_group_rank(hh_site, u_zero, labour > 0),
        gap_rank=np.column_stack([_group_rank(hh_site, u_zero, applicable[:, j]) for j in (9, 13, 14)]),
        inc_factor=inc_factor, inc_noise=inc_noise, inc_missing_prev=rng.random(H) < 0.012,
        inc_missing_curr=rng.random(H) < 0.015,
        lab_hh=lab_hh, lab_id=lab_id.tolist(), lab_name=lab_name.tolist(), lab_gender=lab_gender,
        u_emp=rng.random(L), u_train=rng.random(L), u_cert=rng.random(L), u_form=rng.random(L),
        form_other=rng.choice(6, L, p=np.array([8, 22, 15, 33, 5, 7]) / 90.0) + 2,
        form_ws=(p_ws >= 0.55).astype(int),
        wage_factor=np.exp(rng.normal(0, 0.15, L)))
