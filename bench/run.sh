#!/usr/bin/env bash
# kaohe's benchmark: builds release, generates the workloads into a scratch folder,
# runs kaohe on each (median of RUNS), measures the render floor, typst-cli per
# document and the ingest floor, and prints one table. Public tools only:
# /usr/bin/time (Debian "time"), typst-cli 0.15.1 from crates.io, python3.
#
#   bench/run.sh            # district, city and province (needs ~2 GB of disk)
#   bench/run.sh --quick    # district and city only
#   BEFORE=/path/to/older/kaohe BEFORE_REF=282daf3 bench/run.sh   # also run an older
#                           # build (built from BEFORE_REF) on the same workloads,
#                           # interleaved run by run, and print both
#
# Scratch: $KAOHE_BENCH_DIR (default ~/.cache/kaohe-bench). Build: $CARGO_TARGET_DIR
# (default ~/.cache/kaohe-target, shared with .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
SCRATCH=${KAOHE_BENCH_DIR:-$HOME/.cache/kaohe-bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/kaohe-target}
mkdir -p "$SCRATCH"

if [[ ! -x /usr/bin/time ]]; then
  apt-get install -y -qq time >/dev/null || sudo apt-get install -y -qq time >/dev/null
fi
echo "== building kaohe (release)" >&2
cargo build --release --quiet
# A copy, so that a rebuild during the benchmark cannot change the binary under it.
cp "$CARGO_TARGET_DIR/release/kaohe" "$SCRATCH/kaohe"
K="$SCRATCH/kaohe"
TYPST="$SCRATCH/typst-cli/bin/typst"
if [[ ! -x "$TYPST" ]]; then
  echo "== installing typst-cli 0.15.1 from crates.io (once; ~15 min on 2 cores)" >&2
  CARGO_TARGET_DIR="$SCRATCH/typst-target" cargo install typst-cli --version 0.15.1 --locked --quiet --root "$SCRATCH/typst-cli"
fi

W="$SCRATCH/work"
mkdir -p "$W"
echo "== generating workloads in $W" >&2
# The programme files without their [[pdf]]/[[table]] declarations: the same documents
# (the defaults), and a file an older kaohe (BEFORE) reads too.
undeclared() { sed '/^# What this programme publishes/,$d' "$1"; }
if [[ ! -f "$W/district/hanbin-2015-micro/programme.toml" ]]; then
  "$K" generate --workload district --out "$W/district/hanbin-2015-micro" >&2
  undeclared input/hanbin-2015-micro/programme.toml >"$W/district/hanbin-2015-micro/programme.toml"
fi
# The city's data is generated once; its programme file is always this checkout's.
if [[ ! -d "$W/city/nantong-city/data" ]]; then
  mkdir -p "$W/city/nantong-city"
  "$K" generate --workload city --out "$W/city/nantong-city/data" >&2
fi
cp -r input/nantong-2012-agri/rubrics "$W/city/nantong-city/"
undeclared input/nantong-2012-agri/programme.toml >"$W/city/nantong-city/programme.toml"
# An older build (BEFORE) reads the programme files of the revision it was built from
# (BEFORE_REF), on the same data: 南通 was the agri-assessment kind before issue 9.
if [[ -n "${BEFORE:-}" ]]; then
  : "${BEFORE_REF:?set BEFORE_REF to the git revision BEFORE was built from}"
  rm -rf "$W/before-city" && mkdir -p "$W/before-city/nantong-city"
  cp -r "$W/city/nantong-city/data" "$W/before-city/nantong-city/data"   # a link would be refused
  # Its rubric files too: a key added since (form_line) would be refused by it.
  mkdir -p "$W/before-city/nantong-city/rubrics"
  for f in $(git ls-tree --name-only "$BEFORE_REF" input/nantong-2012-agri/rubrics/); do
    git show "$BEFORE_REF:$f" >"$W/before-city/nantong-city/rubrics/$(basename "$f")"
  done
  git show "$BEFORE_REF:input/nantong-2012-agri/programme.toml" | sed '/^# What this programme publishes/,$d' \
    >"$W/before-city/nantong-city/programme.toml"
fi
# The bundled input as shipped: every programme of input/ in one run.
rm -rf "$W/bundled" && cp -r input "$W/bundled"
WORKLOADS="district city"
if [[ $QUICK == 0 ]]; then
  if [[ ! -f "$W/province/county-100/programme.toml" ]]; then
    rm -rf "$W/province"
    "$K" generate --workload province --out "$W/province" >&2
  fi
  WORKLOADS="district city province"
fi

R="$SCRATCH/results"
rm -rf "$R" && mkdir -p "$R"
if [[ -n "${BEFORE:-}" ]]; then cp "$BEFORE" "$SCRATCH/kaohe-before-run"; fi
for w in $WORKLOADS bundled; do
  for i in $(seq 1 "$RUNS"); do
    echo "== $w run $i/$RUNS" >&2
    rm -rf "$SCRATCH/out-$w"
    /usr/bin/time -f "wall %e rss_kb %M" -o "$R/$w.$i.time" \
      "$K" run --timings --input "$W/$w" --output "$SCRATCH/out-$w" >"$R/$w.$i.out" 2>"$R/$w.$i.err"
    # The older build on the same workload right after, so both see the same machine.
    if [[ -n "${BEFORE:-}" && $w != bundled ]]; then
      rm -rf "$SCRATCH/out-before"
      in="$W/$w" && [[ -d "$W/before-$w" ]] && in="$W/before-$w"
      /usr/bin/time -f "wall %e rss_kb %M" -o "$R/before-$w.$i.time" "$SCRATCH/kaohe-before-run" run --timings \
        --input "$in" --output "$SCRATCH/out-before" >"$R/before-$w.$i.out" 2>"$R/before-$w.$i.err"
    fi
  done
  [[ $w == bundled ]] && continue
  find "$SCRATCH/out-$w" -name '*.pdf' | wc -l >"$R/$w.pdfs"
  if [[ $w != city ]]; then
    "$K" bench scan --input "$W/$w" >"$R/$w.scan"
    # Reading and checking alone (no rendering), to set against the bare scan: in a run,
    # programmes overlap, so the ingest stage's span is not its cost.
    /usr/bin/time -f "%e" -o "$R/$w.check" "$K" check --input "$W/$w" >/dev/null
  fi
done
if [[ -f "$R/city.pdfs" ]]; then
  "$K" check --input "$W/city" | sed -n 's/.*个数据集共 \([0-9]*\) 行.*/\1/p' >"$R/city.csvrows"
fi

# The baseline: the same micro-insurance job as a pandas + typst-py script.
python3 -c 'import pandas, pyarrow, python_calamine, typst' 2>/dev/null ||
  python3 -m pip install -q pandas pyarrow python-calamine typst >&2
for i in $(seq 1 "$RUNS"); do
  echo "== baseline (pandas + typst-py) run $i/$RUNS" >&2
  rm -rf "$SCRATCH/out-baseline"
  /usr/bin/time -f "wall %e" -o "$R/baseline.$i.time" \
    python3 bench/baseline/micro.py "$W/district/hanbin-2015-micro" "$SCRATCH/out-baseline" >"$R/baseline.$i.out"
done

echo "== render floor and annex table, in-process" >&2
"$K" bench render --docs 100 >"$R/render"
echo "== typst compile, once per document" >&2
T="$SCRATCH/typst-doc"
rm -rf "$T" && "$K" bench export-typst --out "$T"
for i in $(seq 1 21); do
  s=$(date +%s%N)
  # Same fonts, same PDF/A standard as kaohe; the font-fallback warnings are expected.
  "$TYPST" compile --root "$T" --font-path "$T/fonts" --ignore-system-fonts --pdf-standard a-2b \
    "$T/quota-table.typ" "$T/out.pdf" 2>/dev/null
  e=$(date +%s%N)
  echo $(( (e - s) / 1000 )) >>"$R/typst.us"
done

python3 - "$R" "$WORKLOADS" "${BEFORE:-}" <<'PY'
import statistics as st, sys, os, glob, re, platform, subprocess
R, workloads, before = sys.argv[1], sys.argv[2].split(), sys.argv[3]
def med(xs): return st.median(xs)
rows = []
print("| workload | stage | wall s (median) | peak RSS | rows/s | PDFs/s |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
summary = {}
for w in workloads:
    runs = sorted(glob.glob(f"{R}/{w}.*.err"))
    stages = {}
    for f in runs:
        for line in open(f):
            m = re.match(r"timing (\S+) ([0-9.]+)", line)
            if m: stages.setdefault(m.group(1), []).append(float(m.group(2)))
    rss = max(int(open(f).read().split()[-1]) for f in glob.glob(f"{R}/{w}.*.time")) / 1024
    pdfs = int(open(f"{R}/{w}.pdfs").read())
    scan = open(f"{R}/{w}.scan").read().split("\t") if os.path.exists(f"{R}/{w}.scan") else None
    rows_in = int(scan[2].split()[0]) if scan else int(open(f"{R}/{w}.csvrows").read())
    total = med(stages["total"])
    for s in ["ingest+validate", "metrics", "scoring", "rendering", "writing"]:
        v = med(stages.get(s, [0.0]))
        rps = f"{rows_in / v:,.0f}" if s == "ingest+validate" and v > 0 else ""
        pps = f"{pdfs / v:,.1f}" if s == "rendering" and v > 0 else ""
        print(f"| {w} | {s} | {v:.3f} | | {rps} | {pps} |")
    print(f"| {w} | **total** | **{total:.3f}** | {rss:,.0f} MB | {rows_in / total:,.0f} | {pdfs / total:,.1f} |")
    summary[w] = (total, rss, med(stages["ingest+validate"]), float(scan[3].split()[0]) if scan else None, rows_in, pdfs)
print()
render = [l.rstrip("\n").split("\t") for l in open(f"{R}/render")]
ms = {r[1]: float(r[2].split()[0]) for r in render}
dps = {r[1]: float(r[3].split()[0]) for r in render}
typst_ms = med([int(x) / 1000 for x in open(f"{R}/typst.us")])
annex = ms["annex table (15 rows)"]
print("| measurement | value |")
print("| --- | ---: |")
print(f"| render floor: empty page, in-process | {ms['empty page']:.2f} ms/doc |")
print(f"| annex table (15 rows), in-process, one core | {annex:.2f} ms/doc (target ≤ 8) |")
print(f"| annex table, in-process, all cores | {dps['annex table (15 rows)']:.0f} docs/s |")
print(f"| annex table, `typst compile` per document (typst-cli 0.15.1) | {typst_ms:.1f} ms/doc |")
print(f"| embedded vs `typst compile` | {typst_ms / annex:.1f}× faster (target ≥ 10×) |")
for w, (total, rss, ingest, scan, rows_in, pdfs) in summary.items():
    if scan:
        check = float(open(f"{R}/{w}.check").read().split()[-1])
        print(f"| {w}: `kaohe check` (read + check, {check:.2f} s) vs bare scan ({scan:.3f} s) | {check / scan:.2f}× (target ≤ 2×) |")
    print(f"| {w}: full run | {total:.2f} s, {rss:,.0f} MB peak, {rows_in:,} rows, {pdfs} PDFs |")
def totals(prefix):
    out = []
    for f in sorted(glob.glob(f"{R}/{prefix}.*.err")):
        out += [float(m.group(1)) for m in (re.match(r"timing total ([0-9.]+)", l) for l in open(f)) if m]
    return out
def peak(prefix):
    return max(int(open(f).read().split()[-1]) for f in glob.glob(f"{R}/{prefix}.*.time")) / 1024
base = [float(open(f).read().split()[-1]) for f in sorted(glob.glob(f"{R}/baseline.*.time"))]
if base and "district" in summary:
    d = med([float(open(f).read().split()[1]) for f in glob.glob(f"{R}/district.*.time")])
    print(f"| district, wall clock: pandas + typst-py script (bench/baseline/micro.py) vs kaohe | {med(base):.2f} s vs {d:.2f} s: kaohe {med(base) / d:.1f}× faster (target ≥ 5×) |")
b = totals("bundled")
if b:
    print(f"| bundled input (every programme of input/): full run | {med(b):.2f} s, {peak('bundled'):,.0f} MB peak |")
if before:
    print()
    print(f"Before and after, interleaved run by run (before: `{before}`):")
    print()
    print("| workload | before: total s (median) | after | after / before | before RSS | after RSS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for w in workloads:
        x, y = med(totals(f"before-{w}")), med(totals(w))
        print(f"| {w} | {x:.3f} | {y:.3f} | {y / x:.2f} | {peak('before-' + w):,.0f} MB | {peak(w):,.0f} MB |")
print()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1024 / 1024
print(f"Machine: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.platform()}; "
      f"median of {len(glob.glob(f'{R}/{workloads[0]}.*.err'))} runs per workload.")
PY
