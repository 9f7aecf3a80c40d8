#!/usr/bin/env python3
"""Rebuilds data/ of the 平利县 2016 sample byte for byte: `python3 sample.py`.

The county's micro insurance is sold with 新农合 (seed 000: "作为新农合的配套服务产品"), so
its enrolment data is not a roster of the insured but the 新农合 member roster of each
town: one row per household member, with a 是/否 column saying whether the member took
the micro insurance and, if so, when the premium was paid. The figures are invented
(deterministic from the seed below); the dirt is what such rosters carry:

- members who did not take it (否, or the cell left blank): outside the count;
- a resident ID with a wrong check digit, an ID Excel turned into 4.1092E+17, a 是 row
  whose 缴费日期 is blank: set aside, listed in the data-quality report;
- a member on two towns' rosters (moved house): counted once, in the first file;
- premiums paid after the deadline (10月31日): late, not counted;
- dates as clerks type them (2016-03-05, 2016/3/5, 2016年3月5日), √ for 是, a 合计 line;
- three towns' files in GBK (WPS and Excel save "CSV" so), the others UTF-8 with BOM.
"""
import os
import random

SEED = 2016
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")

# town, 户籍总人口, 农村户籍人口, villages
TOWNS = [
    ("城关镇", 5210, 3130, 6),
    ("兴隆镇", 2860, 2650, 5),
    ("老县镇", 3320, 3050, 6),
    ("大贵镇", 2540, 2390, 4),
    ("三阳镇", 2210, 2080, 4),
    ("洛河镇", 2980, 2760, 5),
    ("广佛镇", 2450, 2290, 4),
    ("八仙镇", 1960, 1850, 4),
    ("长安镇", 3580, 3310, 6),
    ("西河镇", 1620, 1530, 3),
    ("正阳镇", 1390, 1310, 3),
]
GBK_TOWNS = {"老县镇", "洛河镇", "正阳镇"}
# Each town's share of members who take the micro insurance (so completion spreads out).
TAKE_UP = [0.56, 0.49, 0.52, 0.45, 0.58, 0.47, 0.51, 0.43, 0.55, 0.50, 0.46]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰梅红林飞鹏辉斌波俊峰建国志文明德福贵成"
VILLAGE_WORDS = "河坪沟垭坝湾岭坡园庄台岩"
RELATIONS = ["户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女"]
WEIGHTS = [7, 5, 4, 4, 2, 2, 1, 1]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check_char(first17):
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def resident_id(rng, region, town_no):
    year = rng.randint(1940, 2012)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    seq = rng.randint(0, 999)
    body = f"{region}{year:04d}{month:02d}{day:02d}{seq:03d}"
    return body + check_char(body)


def pay_date(rng, style):
    # Most premiums are paid March to October; one in thirty after the 10月31日 deadline.
    if rng.random() < 1 / 30:
        month, day = 11, rng.randint(1, 30)
    else:
        month, day = rng.randint(3, 10), rng.randint(1, 28)
    if style == 0:
        return f"2016-{month:02d}-{day:02d}"
    if style == 1:
        return f"2016/{month}/{day}"
    return f"2016年{month}月{day}日"


def main():
    rng = random.Random(SEED)
    os.makedirs(os.path.join(DATA, "新农合参合名册"), exist_ok=True)
    with open(os.path.join(DATA, "人口.csv"), "w", encoding="utf-8-sig", newline="") as f:
        f.write("镇,户籍总人口,农村户籍人口\r\n")
        for town, total, rural, _ in TOWNS:
            f.write(f"{town},{total},{rural}\r\n")
    used = set()
    movers = []  # (row as written, town) of members who will also appear in the next town
    for t, (town, _total, rural, n_villages) in enumerate(TOWNS):
        region = f"6109{26 + t % 3:02d}"
        villages = [f"{rng.choice(SURNAMES)}家{rng.choice(VILLAGE_WORDS)}村" for _ in range(n_villages)]
        villages = list(dict.fromkeys(villages))
        style = t % 3
        yes = "√" if town == "八仙镇" else "是"
        rows = []
        household = 0
        members = int(rural * 0.96)
        while len(rows) < members:
            household += 1
            village = rng.choice(villages)
            size = rng.choice([2, 3, 3, 4, 4, 5, 6])
            family = rng.choice(SURNAMES)
            takes = rng.random() < TAKE_UP[t] * 1.2
            for m in range(size):
                pid = resident_id(rng, region, t)
                while pid in used:
                    pid = resident_id(rng, region, t)
                used.add(pid)
                relation = "户主" if m == 0 else rng.choices(RELATIONS[1:], WEIGHTS[1:])[0]
                name = family + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
                joined = takes and rng.random() < 0.85
                if joined:
                    rows.append([town, village, f"{household:05d}", name, pid, relation, yes, pay_date(rng, style), "20"])
                else:
                    # 否, or left blank by the clerk: both are outside the count.
                    rows.append([town, village, f"{household:05d}", name, pid, relation, "否" if rng.random() < 0.8 else "", "", ""])
        # The dirt, at fixed places so the test can find it.
        joined_rows = [r for r in rows if r[6] in ("是", "√")]
        if t in (1, 4, 8):
            r = joined_rows[7]
            r[4] = r[4][:17] + ("0" if r[4][17] != "0" else "1")  # wrong check digit
        if t in (2, 6):
            r = joined_rows[11]
            r[7] = ""  # joined, but no 缴费日期
        if t == 5:
            r = joined_rows[3]
            r[4] = "4.1092E+17"  # an ID Excel stored as a number
        if movers:
            # Last town's movers are on this roster too, joined again: counted once, there.
            for mover in movers:
                rows.insert(rng.randint(0, len(rows)), [town, rng.choice(villages)] + mover[2:7] + [pay_date(rng, style), "20"])
        movers = [list(r) for r in joined_rows[20:22]] if t % 4 == 0 else []
        name = f"{t + 1:02d}-{town}.csv"
        enc = "gbk" if town in GBK_TOWNS else "utf-8-sig"
        with open(os.path.join(DATA, "新农合参合名册", name), "w", encoding=enc, newline="") as f:
            f.write("乡镇,村,户编号,姓名,身份证号,与户主关系,参加小额保险,缴费日期,保费（元）\r\n")
            for r in rows:
                f.write(",".join(r) + "\r\n")
            if town == "城关镇":
                f.write(f"合计,,,,,,,,{sum(20 for r in rows if r[6] in ('是', '√') and r[7])}\r\n")


if __name__ == "__main__":
    main()
