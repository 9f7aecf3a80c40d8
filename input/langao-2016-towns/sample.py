#!/usr/bin/env python3
"""Rebuild data/ of the 岚皋县 2016 programme byte for byte (same seed, same bytes).

Standard library only: python3 sample.py [--seed 2016] [--out data]. The figures are
invented but shaped like a county's: one enrolment summary per village, a claims ledger
per insurer (one of them saved by Excel in GBK), complaints, training records and the
inspectors' year-end scores. Planted so that every rubric rule fires somewhere: towns
below the 95% coverage target, slow claims, open claims at year end, verified
complaints, few training sessions, a late report.
"""
import argparse
import csv
import datetime
import os
import random

TOWNS = ["城关镇", "佐龙镇", "滔河镇", "官元镇", "石门镇", "民主镇",
         "大道河镇", "蔺河镇", "四季镇", "孟石岭镇", "南宫山镇", "堰门镇"]
STEMS = ["东坡", "西沟", "南坪", "北岭", "石桥", "新华", "联合", "团结", "红岩", "青山",
         "双河", "柳林", "花园", "茶园", "龙泉", "金星", "白果", "竹园", "杨家", "陈家"]
ENDS = ["村", "社区"]
INSURERS = [("人保财险", "utf-8-sig", "PICC"), ("中华联合", "gbk", "CIC")]
TALKS = ["集中培训", "进村宣讲", "院坝会", "广播宣传"]
CAUSES = ["理赔时间过长", "赔款金额有异议", "业务员服务态度", "宣传不到位", "保单未送达"]

# Per town: coverage (%), awareness (%), share of claims slow, open claims, verified
# complaints, training sessions, archive score, report on time. Chosen, not drawn, so
# the ranking has a shape a reader can check.
PLAN = {
    "城关镇": (97.2, 94, 0.04, 0, 0, 14, 9.5, True),
    "佐龙镇": (96.1, 92, 0.06, 1, 0, 12, 9.0, True),
    "滔河镇": (92.3, 86, 0.18, 3, 2, 6, 7.0, True),
    "官元镇": (95.4, 91, 0.05, 0, 1, 9, 8.5, True),
    "石门镇": (98.0, 95, 0.03, 0, 0, 13, 10.0, True),
    "民主镇": (94.6, 88, 0.12, 2, 1, 8, 8.0, False),
    "大道河镇": (95.8, 90, 0.08, 1, 0, 11, 8.5, True),
    "蔺河镇": (96.5, 93, 0.07, 0, 0, 12, 9.0, True),
    "四季镇": (89.7, 84, 0.22, 4, 3, 3, 6.5, True),
    "孟石岭镇": (95.0, 91, 0.10, 1, 0, 8, 8.0, True),
    "南宫山镇": (97.9, 96, 0.02, 0, 0, 15, 9.5, True),
    "堰门镇": (93.8, 89, 0.15, 2, 1, 7, 7.5, True),
}


def write(path, header, rows, encoding="utf-8-sig"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def day(rng, start, end):
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    year_start, as_of = datetime.date(2016, 1, 1), datetime.date(2016, 12, 31)

    enrolment = []
    for town in TOWNS:
        coverage = PLAN[town][0] / 100
        villages = rng.sample(STEMS, rng.randrange(8, 15))
        eligible = [rng.randrange(600, 2400) for _ in villages]
        target = round(sum(eligible) * coverage)
        insured = [round(e * coverage) for e in eligible]
        insured[0] += target - sum(insured)  # the town's total is the planned coverage exactly
        for v, e, i in zip(villages, eligible, insured):
            enrolment.append([town, v + rng.choice(ENDS), e, i])
    write(os.path.join(args.out, "参保汇总.csv"), ["镇（办）", "村（社区）", "应参保人数", "实际参保人数"], enrolment)

    ledgers = {name: [] for name, _, _ in INSURERS}
    for t, town in enumerate(TOWNS):
        _, _, slow_share, open_claims, _, _, _, _ = PLAN[town]
        n = rng.randrange(40, 90)
        slow = round(n * slow_share)
        for k in range(n):
            name, _, code = INSURERS[k % 2]
            reported = day(rng, year_start, datetime.date(2016, 11, 20))
            if k < open_claims:
                reported = day(rng, datetime.date(2016, 11, 1), datetime.date(2016, 12, 20))
                closed = ""
            else:
                days = rng.randrange(31, 75) if k < open_claims + slow else rng.randrange(3, 29)
                closed_day = min(reported + datetime.timedelta(days=days), as_of)
                closed = f"{closed_day.year}年{closed_day.month}月{closed_day.day}日" if code == "CIC" else closed_day.isoformat()
            amount = "" if not closed else f"{rng.randrange(200, 20000) / 100 * 10:.2f}"
            case = f"{code}2016{t + 1:02d}{k + 1:04d}"
            ledgers[name].append([town, case, reported.isoformat(), closed, amount])
    for name, encoding, _ in INSURERS:
        write(os.path.join(args.out, "理赔台账", f"{name}.csv"), ["镇", "案件号", "报案日期", "结案日期", "赔款（元）"],
              ledgers[name], encoding)

    complaints = []
    for town in TOWNS:
        verified = PLAN[town][4]
        for k in range(verified + rng.randrange(0, 3)):
            complaints.append([town, day(rng, year_start, as_of).isoformat(), rng.choice(CAUSES),
                               "是" if k < verified else "否"])
    complaints.sort(key=lambda r: r[1])
    write(os.path.join(args.out, "投诉登记.csv"), ["镇", "登记日期", "投诉事由", "是否属实"], complaints)

    training = []
    for town in TOWNS:
        for _ in range(PLAN[town][5]):
            training.append([town, day(rng, year_start, as_of).isoformat(), rng.choice(TALKS), rng.randrange(25, 180)])
    training.sort(key=lambda r: (r[1], r[0]))
    write(os.path.join(args.out, "宣传培训.csv"), ["镇", "日期", "形式", "参加人数"], training)

    inspection = [[town, f"{PLAN[town][6]:g}", "是" if PLAN[town][7] else "否", f"{PLAN[town][1]}%"] for town in TOWNS]
    write(os.path.join(args.out, "督查评分.csv"), ["镇", "档案管理", "按时报送", "群众知晓率"], inspection)


if __name__ == "__main__":
    main()
