#!/usr/bin/env python3
"""The benchmark's baseline: the 汉滨区 micro-insurance job done the way a competent
analyst would script it — pandas (calamine for Excel, pyarrow for Parquet) for the
data, typst-py for the PDFs, kaohe's own templates, fonts loaded once.

    python3 bench/baseline/micro.py INPUT_PROGRAMME_FOLDER OUTPUT_FOLDER

Same job as `kaohe run` on that folder: read the population table and every roster
(xlsx, GBK/UTF-8 CSV, Parquet, the header spellings clerks use), set aside blank cells,
invalid IDs (length, birth date, GB 11643 check digit), villages not in the population
data and repeated persons; count persons paid by the deadline per village; apportion
the quotas (largest remainder, 老城办 at 20% of 户籍总人口); rank the towns by
completion; write the quota table, the ranking, the data-quality report and one
village sheet per town as PDFs. It prints the totals kaohe prints, so the two can be
checked against each other. Needs: pip install pandas pyarrow python-calamine typst
"""
import datetime as dt
import json
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import typst

T0 = time.perf_counter()
PROG, OUT = sys.argv[1], sys.argv[2]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(REPO, "report-templates")
DEADLINE = pd.Timestamp("2016-01-30")
RATE, OVERRIDE = 0.5, {"老城办": ("total", 0.2)}

ALIASES = {
    "id": ["身份证号", "公民身份号码", "身份证号码", "身份证", "证件号码", "id_card", "id"],
    "name": ["姓名", "参保人姓名", "被保险人姓名", "name"],
    "town": ["镇", "镇办", "乡镇", "镇（办）", "town"],
    "village": ["村", "村名", "村（社区）", "村社区", "社区", "village"],
    "premium": ["保费", "保费（元）", "缴费金额", "缴费金额（元）", "premium"],
    "date": ["缴费日期", "缴费时间", "缴费日", "pay_date", "date"],
}


def read_roster(path):
    ext = path.rsplit(".", 1)[-1].lower()
    if ext == "xlsx":
        df = pd.read_excel(path, engine="calamine", dtype=str)
    elif ext == "parquet":
        df = pd.read_parquet(path).astype(str)
    else:
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gbk")
        sep = "\t" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else ","
        df = pd.read_csv(pd.io.common.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    rename = {}
    for col in df.columns:
        key = str(col).strip().replace(" ", "").lower()
        for field, names in ALIASES.items():
            if key in [n.lower() for n in names]:
                rename[col] = field
    df = df.rename(columns=rename)[list(ALIASES)]
    df = df.fillna("").astype(str).apply(lambda s: s.str.strip())
    df = df.replace({"nan": "", "None": "", "NaT": ""})
    df["file"] = os.path.basename(path)
    df["row"] = np.arange(len(df)) + 2
    return df[(df[list(ALIASES)] != "").any(axis=1)]


# Population and quotas.
pop = pd.read_csv(os.path.join(PROG, "population.csv"), encoding="utf-8-sig")
pop.columns = ["town", "village", "total", "rural"]
towns = list(dict.fromkeys(pop["town"]))
base = {}
for t in towns:
    kind, _ = OVERRIDE.get(t, ("rural", RATE))
    base[t] = pop.loc[pop.town == t, kind].to_numpy()
rate = {t: OVERRIDE.get(t, ("rural", RATE))[1] for t in towns}
ppm = {t: int(base[t].sum()) * round(rate[t] * 1_000_000) for t in towns}


def largest_remainder(nums, den, bases, target):
    out = [n // den for n in nums]
    left = target - sum(out)
    order = sorted(range(len(nums)), key=lambda i: (-(nums[i] % den), -bases[i], i))
    for i in order[:left]:
        out[i] += 1
    return out


total_ppm = sum(ppm.values())
target = (total_ppm + 500_000) // 1_000_000
tq = dict(zip(towns, largest_remainder([ppm[t] for t in towns], 1_000_000, [int(base[t].sum()) for t in towns], target)))
vq = {}
for t in towns:
    b = [int(x) for x in base[t]]
    vq[t] = largest_remainder([tq[t] * x for x in b], sum(b), b, tq[t]) if sum(b) else [0] * len(b)

T_DATA = time.perf_counter()
# Rosters: read, check, count.
folder = os.path.join(PROG, "rosters")
df = pd.concat([read_roster(os.path.join(folder, f)) for f in sorted(os.listdir(folder))], ignore_index=True)
reason = pd.Series("", index=df.index)
for field, label in [("id", "身份证号为空"), ("village", "村为空"), ("premium", "保费为空"), ("date", "缴费日期为空")]:
    reason = reason.mask((reason == "") & (df[field] == ""), label)
ids = df["id"].str.upper()
shape_ok = ids.str.fullmatch(r"\d{17}[\dX]")
reason = reason.mask((reason == "") & ~shape_ok, "身份证号应为18位")
first17 = ids.where(shape_ok, "0" * 18).str[:17]
digits = (np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48).astype(np.int64)
weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
check = np.array(list("10X98765432"))[(digits * weights).sum(axis=1) % 11]
birth = pd.to_datetime(ids.str[6:14], format="%Y%m%d", errors="coerce")
reason = reason.mask((reason == "") & (birth.isna() | (birth > DEADLINE)), "身份证号中的出生日期无效")
reason = reason.mask((reason == "") & (ids.str[17] != check), "身份证号校验码错误")
known = pd.MultiIndex.from_arrays([pop.town, pop.village])
in_pop = pd.Series(pd.MultiIndex.from_arrays([df.town, df.village]).isin(known), index=df.index)
reason = reason.mask((reason == "") & ~in_pop, "村不在人口数据中")
dup = ids.where(reason == "").duplicated(keep="first") & (reason == "")
reason = reason.mask(dup, "重复参保")
dates = df["date"].str.replace("年", "-").str.replace("月", "-").str.replace("日", "").str.replace("/", "-").str[:10]
paid = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
ok = df[reason == ""]
on_time = ok[paid[reason == ""] <= DEADLINE]
late = ok[paid[reason == ""] > DEADLINE]
count = on_time.groupby(["town", "village"]).size()
late_count = late.groupby(["town", "village"]).size()
issues = df[reason != ""].assign(reason=reason[reason != ""])

# Ranking by completion, competition ranks, bottom three.
rows = []
for t in towns:
    n = int(count.get(t, pd.Series(dtype=int)).sum())
    rows.append((t, int(base[t].sum()), tq[t], n, int(late_count.get(t, pd.Series(dtype=int)).sum())))
rank_df = pd.DataFrame(rows, columns=["town", "base", "quota", "on_time", "late"])
rank_df["completion"] = rank_df.on_time / rank_df.quota
rank_df["rank"] = rank_df.completion.rank(method="min", ascending=False).astype(int)
cut = sorted(rank_df["rank"])[-3]
rank_df["bottom"] = rank_df["rank"] >= cut
rank_df = rank_df.sort_values(["rank"], kind="stable")


def pct(a, b):
    return f"{a / b * 100:.2f}%" if b else "—"


def table(columns, widths, numeric, body, total=None, caption=None):
    t = {"columns": columns, "widths": widths, "numeric": numeric, "rows": body}
    if total:
        t["total"] = total
    if caption:
        t["caption"] = caption
    return t


docs = []
docs.append(("quota-table.typ", "quota-table.pdf", {
    "label": "附件", "title": "汉滨区2015年度小额人身保险\n工作目标任务分解表",
    "table": table(["镇办及村名", "户籍总人口（农村）", "参保任务数(人)"], [3, 3, 3], [False, True, True],
                   [[t, str(int(base[t].sum())), str(tq[t])] for t in towns],
                   ["合计", str(sum(int(base[t].sum()) for t in towns)), str(target)]),
    "note": "注：本年度任务目标按各镇（办）农村户籍人口50%下达，老城办按户籍总人口20%下达。"}))
body = [[str(r.rank), r.town, str(r.base), str(r.quota), str(r.on_time), str(r.late), pct(r.on_time, r.base),
         pct(r.on_time, r.quota), "后三位：纳入不良记录管理" if r.bottom else ("未完成任务" if r.on_time < r.quota else "")]
        for r in rank_df.itertuples()]
top = max(rank_df.completion.max(), 1.0)
docs.append(("participation-ranking.typ", "participation-ranking.pdf", {
    "label": "附件", "title": "汉滨区2015年度小额人身保险\n工作参保情况排名表", "subtitle": "按任务完成率排名",
    "table": table(["排名", "镇办", "基数人口", "任务数", "按时参保", "逾期缴费", "参保率", "完成率", "备注"],
                   [4, 8, 7, 6, 7, 4, 6, 6, 8], [True, False, True, True, True, True, True, True, False], body),
    "note": "注：按任务完成率排名，并列者名次相同。",
    "chart": {"title": "各镇办任务完成率", "scale": float(np.ceil(top * 10) / 10), "legend": "竖线为100%（完成任务）。",
              "items": [{"name": r.town, "value": float(r.completion), "text": pct(r.on_time, r.quota), "flag": bool(r.bottom)}
                        for r in rank_df.itertuples()]}}))
groups = []
for f, g in issues.groupby("file", sort=True):
    masked = g["id"].str[:6] + "********" + g["id"].str[-4:]
    groups.append({"table": table(["行", "列", "问题", "身份证号"], [2, 5, 12, 7], [True, False, False, False],
                                  [[str(r), "", why, m] for r, why, m in zip(g.row, g.reason, masked)],
                                  caption=f"{f}（未计入{len(g)}行）")})
files = df.groupby("file").size()
docs.append(("data-quality.typ", "data-quality.pdf", {
    "title": "汉滨区2015年度小额人身保险\n名册数据校验报告", "subtitle": "身份证号只显示前六位和末四位",
    "summary_heading": "一、各镇办名册",
    "summary": table(["文件", "记录数"], [6, 2], [False, True], [[f, str(n)] for f, n in files.items()]),
    "summary_note": "", "rows_heading": "二、未计入的行", "rows_note": "按名册文件列出。", "groups": groups}))
for i, t in enumerate(towns):
    vs = pop.loc[pop.town == t, "village"].tolist()
    body = []
    for v, b, q in zip(vs, base[t], vq[t]):
        n, l = int(count.get((t, v), 0)), int(late_count.get((t, v), 0))
        body.append([v, str(b), str(q), str(n), str(l), pct(n, b), pct(n, q)])
    docs.append(("village-detail.typ", f"village-detail/{i + 1:02d}-{t}.pdf", {
        "title": f"{t}2015年度小额人身保险\n分村参保情况", "subtitle": t,
        "table": table(["村（社区）", "基数人口", "任务数", "按时参保", "逾期缴费", "参保率", "完成率"], [4, 3, 3, 3, 3, 3, 3],
                       [False, True, True, True, True, True, True], body),
        "note": "注：参保人数只计截止日前缴费的有效身份证号，同一人只计一次。"}))

T_RENDER = time.perf_counter()
# Render: one compiler (fonts loaded once); each document in its own root with its data.json.
fonts = os.path.join(TEMPLATES, "fonts")
compiler = typst.Compiler(font_paths=[fonts], ignore_system_fonts=True)
work = tempfile.mkdtemp()
for k, (template, rel, data) in enumerate(docs):
    root = os.path.join(work, str(k))
    os.makedirs(root)
    for name in ("lib.typ", template):
        with open(os.path.join(TEMPLATES, name), encoding="utf-8") as src, open(os.path.join(root, name), "w", encoding="utf-8") as dst:
            dst.write(src.read())
    with open(os.path.join(root, "data.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    out = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    compiler.compile(input=os.path.join(root, template), output=out, root=root)

print(f"baseline: {len(docs)} PDFs; 基数人口合计 {sum(int(base[t].sum()) for t in towns)}，任务数合计 {target}，"
      f"按时参保 {len(on_time)} 人，剔除 {len(issues)} 行; read+check {T_RENDER - T_DATA:.2f} s, "
      f"render {time.perf_counter() - T_RENDER:.2f} s, total {time.perf_counter() - T0:.2f} s")
