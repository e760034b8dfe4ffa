"""The demo's plan: counties (real boundaries) and sites — where, how big, which batch, the story roles of the
counties, and the 双五级 posts each site must staff."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data import geo
from data.demo.calibration import (BATCH_YEARS, CITY_POPULATION, CITY_SIZE_COUNTS, DEFAULT_CITY,
                                   PEOPLE_PER_HOUSEHOLD, PROVINCE_HOUSEHOLDS, PROVINCE_SITES, DemoError)
from data.demo.names import COMMUNITY, PLACE_1, PLACE_2, QXN_ROLES, QXN_SITES, town_lists
from domain.sites import RURAL, URBAN


@dataclass
class Plan:
    city_code: str
    city_name: str
    province: str
    scale: str
    counties: list[dict]                  # code, name, city_code, sort_order, geojson
    roles: dict[str, int]                 # story role -> county index
    # sites (arrays of length S)
    site_code: list[str]
    site_name: list[str]
    site_county: np.ndarray
    site_town: list[str]
    site_type: list[str]
    lon: np.ndarray
    lat: np.ndarray
    households: np.ndarray
    population: np.ndarray
    size: np.ndarray
    batch: np.ndarray
    built: np.ndarray
    towns: dict[str, tuple[list[str], list[str]]]


def _resolve_places(scale: str, city: str) -> tuple[geo.CityInfo, list[tuple[geo.CountyInfo, str]], str, str]:
    info = geo.find_city(city)
    if scale == "city":
        return info, [(c, info.code) for c in geo.city_counties(info.code)], info.code, info.name
    if scale != "province":
        raise DemoError(f"未知的演示规模：{scale}（可选 city 或 province）")
    counties = []
    for c in geo.province_cities(info.province):
        counties += [(k, c.code) for k in geo.city_counties(c.code)]
    prov_code = info.code[:2] + "0000"
    return info, counties, prov_code, info.province


def _largest_remainder(weights: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    n = len(weights)
    if total < n * minimum:
        minimum = 0
    base = np.full(n, minimum)
    rest = total - base.sum()
    share = weights / weights.sum() * rest
    out = base + np.floor(share).astype(int)
    left = total - out.sum()
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    out[order[:left]] += 1
    return out


def _site_populations(rng, size: np.ndarray, target: int) -> np.ndarray:
    lo = np.array([300, 850, 3200, 11000], float)
    hi = np.array([780, 2900, 9700, 26000], float)
    pop = rng.uniform(lo[size], hi[size])
    lo_b, hi_b = np.array([120, 800, 3000, 10000], float)[size], np.array([799, 2999, 9999, 40000], float)[size]
    adjustable = size >= 1
    for _ in range(60):
        diff = target - pop.sum()
        if abs(diff) < 1:
            break
        room = np.where(diff > 0, hi_b - pop, pop - lo_b) * adjustable
        if room.sum() <= 0:
            break
        pop = np.clip(pop + diff * room / room.sum(), lo_b, hi_b)
    return np.round(pop).astype(int)


def make_plan(rng: np.random.Generator, city: str, scale: str) -> Plan:
    info, county_infos, city_code, city_name = _resolve_places(scale, city)
    names = [c.name for c, _ in county_infos]
    dup = {n for n in names if names.count(n) > 1}
    counties = []
    for i, (c, parent) in enumerate(county_infos):
        name = c.name
        if name in dup:   # county names are unique in the database: qualify by city
            parent_name = next((x.name for x in geo.all_cities() if x.code == parent), "")
            name = f"{parent_name}{c.name}"
        counties.append(dict(code=c.code, name=name, city_code=parent, sort_order=i + 1, geojson=c.geojson))
    nc = len(counties)

    # sites per county
    if scale == "city":
        n_sites, size_counts, target_pop = 68, CITY_SIZE_COUNTS, CITY_POPULATION
    else:
        n_sites = PROVINCE_SITES
        size_counts = tuple(int(round(x)) for x in np.array([0.40, 0.40, 0.17, 0.03]) * n_sites)
        size_counts = (n_sites - sum(size_counts[1:]),) + size_counts[1:]
        target_pop = int(PROVINCE_HOUSEHOLDS * PEOPLE_PER_HOUSEHOLD)
    if city_code == DEFAULT_CITY and scale == "city":
        per_county = np.array([QXN_SITES.get(c["name"], 0) for c in counties])
    else:
        area = np.array([geo.geometry(c["geojson"]).area for c in counties])
        per_county = _largest_remainder(np.sqrt(area) if scale == "city" else area ** 0.75, n_sites)
    site_county = np.repeat(np.arange(nc), per_county)
    S = len(site_county)

    # size classes: bigger sites lean to bigger counties, exact class counts
    size = np.repeat(np.arange(4), size_counts)[:S]
    w = per_county[site_county] * rng.uniform(0.3, 1.7, S)
    size_sorted = np.sort(size)
    size = np.empty(S, int)
    size[np.argsort(w, kind="stable")] = size_sorted
    population = _site_populations(rng, size, target_pop)
    households = np.maximum(1, np.round(population / rng.uniform(4.0, 4.4, S))).astype(int)

    # story roles (counties)
    roles: dict[str, int] = {}
    name_idx = {c["name"]: i for i, c in enumerate(counties)}
    if city_code == DEFAULT_CITY and scale == "city":
        roles = {k: name_idx[v] for k, v in QXN_ROLES.items() if v in name_idx}
    if len(roles) < 5:
        eligible = [i for i in range(nc) if per_county[i] >= 3] or list(range(nc))
        pick = list(rng.permutation(eligible))
        for k in "ABCXY":
            if k not in roles:
                roles[k] = int(pick.pop(0)) if pick else int(rng.integers(nc))

    # batches: balanced per county (round robin over a shuffled order), city-wide ~ 22/23/23;
    # the lagging county A has at least three first-batch sites
    batch = np.empty(S, int)
    cycle = [0, 1, 2]
    pos = 0
    for ci in range(nc):
        idx = np.where(site_county == ci)[0]
        idx = idx[rng.permutation(len(idx))]
        for j, s in enumerate(idx):
            batch[s] = BATCH_YEARS[cycle[(pos + j) % 3]]
        pos += len(idx)
    if "A" in roles:
        idx = np.where(site_county == roles["A"])[0]
        need = min(3, len(idx)) - int((batch[idx] == BATCH_YEARS[0]).sum())
        for s in idx:
            if need <= 0:
                break
            if batch[s] != BATCH_YEARS[0]:
                other = np.where((batch == BATCH_YEARS[0]) & (site_county != roles["A"]))[0]
                if len(other):
                    batch[other[0]] = batch[s]
                batch[s] = BATCH_YEARS[0]
                need -= 1
    built = rng.choice([2016, 2017, 2018, 2019, 2020], S, p=[.1, .3, .35, .2, .05])

    # site type, town, name, location
    towns = town_lists(rng, [c["name"] for c in counties], city_code)
    urban = np.where(size >= 2, rng.random(S) < 0.97, np.where(size == 1, rng.random(S) < 0.6, rng.random(S) < 0.2))
    site_code, site_name, site_town, site_type = [], [], [], []
    lon, lat = np.zeros(S), np.zeros(S)
    for ci, c in enumerate(counties):
        idx = np.where(site_county == ci)[0]
        streets, rural_towns = towns[c["name"]]
        used_names: set[str] = set()
        comm = list(rng.permutation(COMMUNITY))
        # urban sites cluster around a centre (the county seat stand-in), rural ones anywhere
        centre = geo.random_points_in(c["geojson"], 1, rng, margin=0.04)[0]
        pts_all = geo.random_points_in(c["geojson"], len(idx) * 6 + 8, rng, margin=0.01)
        near = np.hypot(pts_all[:, 0] - centre[0], pts_all[:, 1] - centre[1]) < 0.12
        near_pts, far_pts = list(pts_all[near]), list(pts_all[~near])
        for j, s in enumerate(idx):
            code = f"{c['code']}{j + 1:03d}"
            if urban[s]:
                town = streets[int(rng.integers(len(streets)))]
                stem = comm.pop(0) if comm else f"新区{j + 1}"
                if rng.random() < 0.65:
                    name = f"{c['name']}{stem}社区"
                else:
                    name = f"{c['name']}{town}{stem}安置区"
                pt = near_pts.pop(0) if near_pts else far_pts.pop(0)
            else:
                town = rural_towns[int(rng.integers(len(rural_towns)))]
                vill = PLACE_1[rng.integers(len(PLACE_1))] + PLACE_2[rng.integers(len(PLACE_2))]
                name = f"{c['name']}{town}{vill}安置点"
                pt = far_pts.pop(0) if far_pts else near_pts.pop(0)
            while name in used_names:
                name = name.replace("安置", "新安置", 1)
            used_names.add(name)
            if not geo.point_in_county(pt[0], pt[1], c["geojson"]):  # pragma: no cover - sampled inside
                pt = geo.random_points_in(c["geojson"], 1, rng)[0]
            site_code.append(code)
            site_name.append(name)
            site_town.append(town)
            site_type.append(URBAN if urban[s] else RURAL)
            lon[s], lat[s] = round(float(pt[0]), 6), round(float(pt[1]), 6)
    return Plan(city_code=city_code, city_name=city_name, province=info.province, scale=scale,
                 counties=counties, roles=roles, site_code=site_code, site_name=site_name, site_county=site_county,
                 site_town=site_town, site_type=site_type, lon=lon, lat=lat, households=households,
                 population=population, size=size, batch=batch, built=built, towns=towns)


def required_posts(plan: Plan) -> np.ndarray:
    """应设 posts per site (the ten 双五级 posts) from its size."""
    hh, pop, size = plan.households.astype(float), plan.population.astype(float), plan.size
    S = len(hh)
    req = np.zeros((S, 10), int)
    req[:, 0] = 1
    req[:, 1] = 1
    req[:, 2] = np.array([0, 1, 2, 3])[size]
    req[:, 3] = np.ceil(pop / 1500).astype(int) + 1
    req[:, 4] = np.ceil(hh / 60).astype(int)
    req[:, 5] = 1
    req[:, 6] = 1
    req[:, 7] = np.ceil(hh / 90).astype(int)
    req[:, 8] = np.maximum(1, np.ceil(hh / 240)).astype(int)
    req[:, 9] = np.ceil(hh / 45).astype(int)
    return req
