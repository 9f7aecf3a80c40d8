#!/usr/bin/env python3
"""A clerk's year on `kaohe serve`, in a real headless chromium (WebDriver, selenium).

Run by tests/it/serve.rs:  clerk.py BASE_URL WORKDIR REPO
  BASE_URL  the served address, e.g. http://127.0.0.1:40123
  WORKDIR   the test's folder: input/ (served), output/, and scratch files
  REPO      the repository (for the bundled 汉滨 population table)

It opens the page, starts 2016 from 汉滨 2015, uploads the population table and a roster
with one bad row among good ones, sees the bad row listed with its file and row, runs
the year, downloads the quota annex (CSV through the browser, the PDF read back with
pdftotext) and checks its totals, verifies the archive, and has a wrong setting
refused beside its field. It fails when the page's Chinese does not render.
With SHOTS=DIR it also saves every page at 1366x768 and 1920x1080.
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, WORK, REPO = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
SHOTS = os.environ.get("SHOTS")
FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")

# ---------------------------------------------------------------- the roster
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(seq):
    body = "610902" + "19800101"[:4] + "%02d%02d" % (1 + seq % 12, 1 + seq % 28) + "%03d" % (100 + seq)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]
    return body + check


def write_roster(path):
    """One good row per town (its first village), and one bad ID at row 20."""
    towns = []
    with open(os.path.join(REPO, "input/hanbin-2015-micro/population.csv"), encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["镇办"] not in [t for t, _ in towns]:
                towns.append((row["镇办"], row["村"]))
    rows = []
    for i, (town, village) in enumerate(towns):
        rows.append([resident_id(i), "参保人%d" % i, town, village, "20", "2016-12-01"])
    bad = resident_id(99)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # wrong check digit
    rows.insert(18, [bad, "错号人", towns[0][0], towns[0][1], "20", "2016-12-01"])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["身份证号", "姓名", "镇", "村", "保费", "缴费日期"])
        w.writerows(rows)
    return len(towns), bad


# ---------------------------------------------------------------- the browser
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--user-data-dir=" + os.path.join(WORK, "chromium-profile"),
              "--window-size=1366,768", "--lang=zh-CN"]:
        opts.add_argument(a)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=opts)


d = browser()
d.set_page_load_timeout(120)
seen = []  # every page's source, scanned for full IDs at the end


def look(name):
    seen.append((d.current_url, d.page_source))
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        for w, h in [(1366, 768), (1920, 1080)]:
            d.set_window_size(w, h)
            time.sleep(0.2)
            d.save_screenshot(os.path.join(SHOTS, "%s-%dx%d.png" % (name, w, h)))
        d.set_window_size(1366, 768)


def click_and_load(element, timeout=600):
    """Click what leaves the page, and wait until the old page is gone: an element of
    the same id on the old page (#flash after an earlier upload) is never read."""
    old = d.find_element(By.TAG_NAME, "html")
    element.click()

    def gone(_):
        # Stale, or (chromium, mid-navigation) "Node with given id does not belong to the
        # document": either way the old page is no longer the one shown.
        try:
            old.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(d, timeout).until(gone)


def h1():
    return d.find_element(By.TAG_NAME, "h1").text


def chinese_renders():
    """The page's font is loaded and draws Chinese: a canvas painted with it has ink."""
    return d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        document.fonts.load('32px "Fandol Hei"', '考核年度').then(() => document.fonts.ready).then(() => {
          const faces = [];
          document.fonts.forEach(f => faces.push([f.family.replace(/"/g, ''), f.status]));
          const c = document.createElement('canvas'); c.width = 200; c.height = 60;
          const g = c.getContext('2d'); g.font = '32px "Fandol Hei"'; g.fillStyle = '#000';
          g.fillText('考核年度', 4, 40);
          const px = g.getImageData(0, 0, 200, 60).data; let ink = 0;
          for (let i = 3; i < px.length; i += 4) if (px[i] > 128) ink++;
          const h1 = document.querySelector('h1');
          done({faces: faces, ink: ink, family: getComputedStyle(h1).fontFamily, width: h1.getBoundingClientRect().width});
        }).catch(e => done({error: String(e)}));
    """)


try:
    d.get(BASE + "/")
    r = chinese_renders()
    print("font:", r)
    assert "error" not in r, r
    assert ["Fandol Hei", "loaded"] in r["faces"], "the page's Chinese font did not load: %r" % r
    assert r["ink"] > 300, "Chinese text draws no ink (no CJK font): %r" % r
    assert "Fandol Hei" in r["family"], r
    assert h1() == "年度项目", h1()
    assert "hanbin-2015-micro" in d.page_source
    look("01-index")

    # A new year from 汉滨 2015.
    Select(d.find_element(By.ID, "from")).select_by_value("hanbin-2015-micro")
    click_and_load(d.find_element(By.CSS_SELECTOR, "#new-year button[type=submit]"), 30)
    WebDriverWait(d, 30).until(lambda d: "/p/hanbin-2016-micro" in d.current_url)
    assert h1() == "汉滨区2016年度小额人身保险", h1()
    assert "顺延" in d.find_element(By.ID, "flash").text
    assert "安康市汉滨区人民政府办公室 汉政办发〔2016〕105号 · 成文日期 2016年9月15日" in d.find_element(By.CSS_SELECTOR, ".lead").text
    data = d.find_element(By.ID, "data").text
    assert data.count("缺少") == 2, data
    look("02-new-year")

    # The population table, then a roster with one bad row.
    def upload(dataset, path):
        Select(d.find_element(By.ID, "dataset")).select_by_value(dataset)
        d.find_element(By.ID, "file").send_keys(path)
        click_and_load(d.find_element(By.CSS_SELECTOR, "#upload button[type=submit]"), 120)
        WebDriverWait(d, 120).until(lambda d: d.find_elements(By.ID, "flash"))
        flash = d.find_element(By.ID, "flash").text
        assert "已保存 1 个文件：" + os.path.basename(path) in flash, flash

    upload("population", os.path.join(REPO, "input/hanbin-2015-micro/population.csv"))
    check = d.find_element(By.ID, "check").text
    assert "参保名册" in check or "rosters" in check, check  # no roster yet: a problem named
    look("03-population-uploaded")

    roster = os.path.join(WORK, "名册-2016.csv")
    towns, bad_id = write_roster(roster)
    upload("rosters", roster)
    check = d.find_element(By.ID, "check").text
    assert "没有阻止生成的问题" in check, check
    assert "未计入的名册行：1 行" in check, check
    cells = [c.text for c in d.find_elements(By.CSS_SELECTOR, "table.set-aside tbody tr:first-child td")]
    print("set aside:", cells)
    assert cells[0].endswith("hanbin-2016-micro/rosters/名册-2016.csv"), cells
    assert cells[1] == "20", cells  # header row 1, bad row inserted as the 19th record
    assert cells[2] == "身份证号", cells
    assert bad_id not in d.page_source and bad_id[:6] + "********" + bad_id[-4:] in d.page_source
    files = d.find_element(By.ID, "data").text
    assert "名册-2016.csv" in files and "population.csv" in files and "缺少" not in files, files
    look("04-roster-uploaded")

    # The set-aside list as xlsx, as the browser downloads it.
    xlsx = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(document.querySelector('a[href$="set-aside.xlsx"]').href)
          .then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'), b.byteLength])));
    """)
    assert xlsx[0] == 200 and "spreadsheetml" in xlsx[1] and xlsx[2] > 1000, xlsx

    # Run the year.
    d.find_element(By.ID, "run-button").click()
    WebDriverWait(d, 600, poll_frequency=1).until(lambda d: d.find_elements(By.ID, "run-result"))
    result = d.find_element(By.ID, "run-result").text
    print("run:", result)
    assert result.startswith("已生成：hanbin-2016-micro: 37 份 PDF"), result
    assert "任务数合计 407361，按时参保 %d 人" % towns in result, result
    look("05-run-done")

    # The quota annex: its CSV through the browser, its PDF read back.
    link = d.find_element(By.CSS_SELECTOR, 'a[href$="/files/hanbin-2016-micro/csv/quota-table.csv?download=1"]')
    text = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.text().then(t => done([r.status, r.headers.get('content-disposition'), t])));
    """, link.get_attribute("href"))
    assert text[0] == 200 and "attachment" in text[1], text[:2]
    rows = list(csv.reader(io.StringIO(text[2].lstrip("\ufeff"))))
    assert rows[0] == ["镇办及村名", "户籍总人口（农村）", "参保任务数(人)"], rows[0]
    assert rows[-1] == ["合计", "838794", "407361"], rows[-1]
    assert len(rows) == towns + 2, len(rows)
    assert sum(int(r[2]) for r in rows[1:-1]) == 407361
    pdf_href = d.find_element(By.CSS_SELECTOR, 'a[href$="/files/hanbin-2016-micro/quota-table.pdf?download=1"]').get_attribute("href")
    pdf = urllib.request.urlopen(pdf_href).read()
    assert pdf.startswith(b"%PDF"), pdf[:8]
    pdf_path = os.path.join(WORK, "quota-table.pdf")
    open(pdf_path, "wb").write(pdf)
    layout = subprocess.run(["pdftotext", "-layout", pdf_path, "-"], capture_output=True, text=True, check=True).stdout
    assert "汉滨区2016年度小额人身保险" in "".join(layout.split()), layout[:300]
    total = [line.split() for line in layout.splitlines() if line.split()[:1] == ["合计"]]
    assert total == [["合计", "838794", "407361"]], total
    zip_head = urllib.request.urlopen(BASE + "/zip/hanbin-2016-micro").read()[:2]
    assert zip_head == b"PK", zip_head

    # Verify the archive.
    click_and_load(d.find_element(By.XPATH, '//section[@id="run"]//a[text()="核验"]'), 60)
    WebDriverWait(d, 60).until(lambda d: d.find_elements(By.ID, "verify-result"))
    verdict = d.find_element(By.ID, "verify-result").text
    manifest = json.load(open(os.path.join(WORK, "output/hanbin-2016-micro/manifest.json"), encoding="utf-8"))
    assert verdict == "全部 %d 个文件与 manifest.json 一致，没有被改动。" % len(manifest["outputs"]), verdict
    look("06-verified")
    d.get(BASE + "/")
    assert "hanbin-2016-micro" in d.find_element(By.ID, "archive").text
    look("07-index-after")

    # A setting: a wrong rate refused beside its field, nothing saved; a good one saved.
    toml_path = os.path.join(WORK, "input/hanbin-2016-micro/programme.toml")
    before = open(toml_path, encoding="utf-8").read()
    d.get(BASE + "/p/hanbin-2016-micro/settings")
    look("08-settings")
    rate = '[data-path="measures.quota.rate"]'
    field = d.find_element(By.CSS_SELECTOR, rate)
    assert field.get_attribute("value") == "50%"
    label = d.find_element(By.CSS_SELECTOR, 'label[for="%s"]' % field.get_attribute("id")).text
    assert label == "比例：任务数（quota）", label
    field.clear()
    field.send_keys("150%")
    click_and_load(d.find_element(By.CSS_SELECTOR, "form.settings button[type=submit]"), 30)
    WebDriverWait(d, 30).until(lambda d: d.find_elements(By.ID, "refused"))
    field = d.find_element(By.CSS_SELECTOR, rate)
    assert d.switch_to.active_element == field, "the refused field has the focus"
    err = d.find_element(By.ID, field.get_attribute("aria-describedby")).text
    print("refused:", err)
    assert field.get_attribute("value") == "150%" and field.get_attribute("aria-invalid") == "true"
    assert "150%" in err and "超出0–100%" in err, err
    assert open(toml_path, encoding="utf-8").read() == before, "a refused value must not be saved"
    look("09-settings-refused")
    field.clear()
    field.send_keys("55%")
    click_and_load(d.find_element(By.CSS_SELECTOR, "form.settings button[type=submit]"), 30)
    WebDriverWait(d, 30).until(lambda d: d.find_elements(By.ID, "saved"))
    after = open(toml_path, encoding="utf-8").read()
    assert 'rate = "55%"' in after, after
    assert after.replace('"55%"', '"50%"', 1) == before, "only the one value changes; comments and layout kept"

    for url, src in seen:
        m = FULL_ID.search(src)
        assert not m, "a full ID on %s: %s" % (url, m.group(0)[:6])
    print("clerk: ok")
finally:
    d.quit()
