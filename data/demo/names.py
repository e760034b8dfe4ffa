"""Names and places of the demo: towns, villages, communities, people, resident ID numbers, problem and case
texts. Curated for the default city 黔西南州; other cities get generated names."""
from __future__ import annotations

import numpy as np

from data.demo.calibration import DEFAULT_CITY
from domain.idnumber import check_chars

# Curated towns (乡镇/街道) for the default demo city 黔西南州; other cities get generated names.
QXN_TOWNS = {
    "兴义市": ("洒金街道 坪东街道 丰都街道 桔山街道 黄草街道 木贾街道 下五屯街道 栗坪街道",
               "顶效镇 马岭镇 郑屯镇 万屯镇 鲁屯镇 威舍镇 清水河镇 敬南镇 泥凼镇 乌沙镇 七舍镇 捧乍镇 则戎镇 "
               "巴结镇 南盘江镇 仓更镇 猪场坪乡 雄武乡"),
    "兴仁市": ("东湖街道 城南街道 真武山街道 陆关街道",
               "屯脚镇 巴铃镇 百德镇 雨樟镇 潘家庄镇 回龙镇 下山镇 新龙场镇 大山镇 鲁础营回族乡"),
    "普安县": ("盘水街道 南湖街道 茶源街道", "江西坡镇 楼下镇 罐子窑镇 三板桥镇 地瓜镇 青山镇 龙吟镇 窝沿乡 高棉乡"),
    "晴隆县": ("莲城街道 东观街道 三宝街道", "沙子镇 碧痕镇 大厂镇 鸡场镇 花贡镇 中营镇 光照镇 长流乡 安谷乡"),
    "贞丰县": ("珉谷街道 永丰街道 双峰街道",
            "者相镇 北盘江镇 龙场镇 白层镇 鲁贡镇 小屯镇 长田镇 挽澜镇 沙坪镇 平街乡 连环乡 鲁容乡"),
    "望谟县": ("王母街道 平洞街道 新屯街道",
            "蔗香镇 乐旺镇 桑郎镇 石屯镇 打易镇 麻山镇 乐元镇 边饶镇 郊纳镇 大观镇 昂武镇 油迈瑶族乡"),
    "册亨县": ("者楼街道 高洛街道 纳福街道",
            "冗渡镇 丫他镇 巧马镇 秧坝镇 弼佑镇 岩架镇 双江镇 坡妹镇 八渡镇 达央乡 庆坪乡 百口乡"),
    "安龙县": ("栖凤街道 钱相街道 五福街道 招堤街道 春潭街道",
               "德卧镇 万峰湖镇 木咱镇 洒雨镇 普坪镇 龙广镇 兴隆镇 龙山镇 新桥镇 海子镇 笃山镇 平乐镇"),
}
# Curated site counts and story roles for 黔西南州 (A lags creation, B flagged two months, C one overdue item).
QXN_SITES = {"兴义市": 12, "兴仁市": 7, "普安县": 8, "晴隆县": 8, "贞丰县": 7, "望谟县": 10, "册亨县": 9, "安龙县": 7}
QXN_ROLES = {"A": "望谟县", "B": "册亨县", "C": "晴隆县", "X": "兴义市", "Y": "安龙县"}

_STREET_STEMS = "城关 城南 城北 城东 城西 新城 东湖 南湖 西城 北城 河西 凤凰".split()
PLACE_1 = list("纳者坝板弄岜拉冗百打坡那平新大小上下中龙石马牛羊岩沙水河花高长黄红青白田木茶桃梨鸡鱼凉")
PLACE_2 = list("寨坪阳洪王腊桑哈贡蒙山坡冲湾坝沟林田岭塘溪场垭院营屯堡桥关庄寨湾")
COMMUNITY = ("栗坪 洒金 新桥 阳光 幸福 和谐 锦绣 安居 富康 兴隆 振兴 欣悦 福泽 同心 德馨 惠民 春晖 茶源 锦华 康乐 "
              "安和 金福 瑞丰 丰泽 云岭 樱花 紫荆 桂花 梨园 玉兰 龙腾 凤鸣 祥和 荣华 吉祥 万福 博爱 明德 仁和 怡景 "
              "永安 长乐 宏图 锦程 福星 安康 平安 团结 友谊 新安 新民 新兴 新华 阳明 朝阳 启航 希望 梦圆 乐居 悦居 "
              "康居 宜居 福居 嘉园 馨园 怡园 翠园 芳园 兴华 兴民 兴安 益民 利民 便民 润泽 和美 鑫源 金竹").split()
SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 罗 韦 岑 陆 龙 潘 梁 班 蒙 石 徐 孙 胡 朱 高 何 郭 马 谢 邓 "
             "田 熊 卢 冉 安 顾 敖 邱 岑 雷").split()
SURNAME_W = np.array([9, 8, 7, 6, 6, 7, 7, 3, 5, 3, 6, 5, 3, 3, 4, 3, 3, 2, 2, 3, 2, 2, 2, 2, 2, 2, 2, 2,
                       2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=float)
_MALE = list("国明志海军华建文永成德光林勇强平发富贵福春金忠学家正天兴荣祥昌顺江松波涛伟超鹏飞龙亮")
_FEMALE = list("秀英芳兰梅珍玉琴娟燕霞丽艳红萍敏静婷菊凤花莲美仙翠桂月丹雪慧")

RECT_PROBLEMS = [
    ("督导督查", "部分搬迁户不动产登记未办结", "自然资源局"),
    ("督导督查", "帮扶车间开工不足，吸纳搬迁劳动力人数下降", "工业和信息化局"),
    ("明察暗访", "安置点消防通道堵塞，部分楼栋灭火器过期", "应急管理局"),
    ("明察暗访", "便民跟进服务中心未按要求常态化运行", "生态移民局"),
    ("群众反映", "迁出地耕地地力保护补贴未及时发放", "农业农村局"),
    ("群众反映", "小区路灯损坏、排水不畅，群众反映强烈", "住房和城乡建设局"),
    ("通报", "零就业家庭动态清零工作不到位", "人力资源和社会保障局"),
    ("督导督查", "搬迁劳动力就业台账更新不及时、信息不准确", "人力资源和社会保障局"),
    ("督导督查", "义务教育适龄子女入学情况底数不清", "教育局"),
    ("明察暗访", "群众夜校开展不经常，宣讲内容单一", "社区党委"),
    ("通报", "双五级组织体系楼栋长配备不齐", "社区党委"),
    ("群众反映", "低保申请办理时限过长", "民政局"),
    ("督导督查", "迁出地林地承包经营权确权信息未更新", "林业局"),
    ("明察暗访", "安置点物业服务不到位，环境卫生较差", "住房和城乡建设局"),
]

CASES = ["“三个服务中心”一站式办理搬迁群众诉求", "帮扶车间家门口就业让搬迁群众稳得住", "群众夜校点亮搬迁新生活",
          "双五级网格化管理提升社区治理水平", "迁出地“三块地”盘活增加搬迁群众财产性收入",
          "社区集体经济发展带动群众增收", "新市民计划助力搬迁群众融入城市"]


def town_lists(rng: np.random.Generator, county_names: list[str],
               city_code: str) -> dict[str, tuple[list[str], list[str]]]:
    """{county: (streets, rural towns)} — curated for 黔西南州, generated elsewhere."""
    out = {}
    used: set[str] = set()
    for name in county_names:
        if city_code == DEFAULT_CITY and name in QXN_TOWNS:
            streets, towns = (s.split() for s in QXN_TOWNS[name])
            out[name] = (list(streets), list(towns))
            continue
        k_st = int(rng.integers(2, 5))
        stems = list(rng.permutation(_STREET_STEMS)[:k_st])
        streets = [f"{s}街道" for s in stems]
        towns: list[str] = []
        while len(towns) < 10:
            t = PLACE_1[rng.integers(len(PLACE_1))] + PLACE_2[rng.integers(len(PLACE_2))]
            if t in used:
                continue
            used.add(t)
            towns.append(t + ("镇" if rng.random() < 0.75 else "乡"))
        out[name] = (streets, towns)
    return out


def village_names(rng: np.random.Generator, n: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        v = PLACE_1[rng.integers(len(PLACE_1))] + PLACE_2[rng.integers(len(PLACE_2))] + "村"
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def person_names(rng: np.random.Generator, male: np.ndarray, surnames: np.ndarray | None = None) -> list[str]:
    n = len(male)
    if surnames is None:
        surnames = rng.choice(len(SURNAMES), n, p=SURNAME_W / SURNAME_W.sum())
    g1 = np.where(male, rng.integers(len(_MALE), size=n), rng.integers(len(_FEMALE), size=n))
    g2 = np.where(male, rng.integers(len(_MALE), size=n), rng.integers(len(_FEMALE), size=n))
    two = rng.random(n) < 0.82
    ml, fl, sn = _MALE, _FEMALE, SURNAMES
    return [sn[s] + ((ml[a] + ml[b]) if t else ml[a]) if mm else sn[s] + ((fl[a] + fl[b]) if t else fl[a])
            for s, a, b, t, mm in zip(surnames.tolist(), g1.tolist(), g2.tolist(), two.tolist(), male.tolist())]


# resident ID numbers (GB 11643; the check character from domain.idnumber)

def make_ids(rng: np.random.Generator, area: np.ndarray, birth: np.ndarray, male: np.ndarray) -> list[str]:
    """Unique valid IDs: area codes (int), birth dates (datetime64[D]), gender (odd 17th digit = male)."""
    n = len(area)
    y = birth.astype("datetime64[Y]").astype(int) + 1970
    mo = (birth.astype("datetime64[M]").astype(int) % 12) + 1
    d = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    head = area.astype(np.int64) * 10**8 + y * 10**4 + mo * 100 + d      # first 14 digits
    seq = rng.integers(0, 50, n) * 10 + rng.integers(0, 5, n) * 2 + male.astype(int)   # 000..499, parity = gender
    seq = seq + rng.integers(0, 2, n) * 500
    for _ in range(50):  # re-draw duplicates
        key = head * 1000 + seq
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        if not dup.any():
            break
        k = int(dup.sum())
        seq[dup] = rng.integers(0, 500, k) * 2 + male[dup].astype(int)
    body = head * 1000 + seq                                          # 17 digits
    digits = (body[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = check_chars(digits)
    return [f"{b:017d}{c}" for b, c in zip(body.tolist(), check.tolist())]


def random_dates(rng, start: str, end: str, n: int) -> np.ndarray:
    a, b = np.datetime64(start, "D"), np.datetime64(end, "D")
    return a + rng.integers(0, int((b - a).astype(int)) + 1, n).astype("timedelta64[D]")
