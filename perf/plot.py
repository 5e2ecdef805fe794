#!/usr/bin/env python3
"""Summarises the benchmark JSON in a results folder as summary.csv and SVG charts.

    python3 perf/plot.py [folder]        # default: perf/results

Reads, when present (each chart is written only if its inputs exist):

  train-*.json      `hogwild bench` rows     -> speedup.svg, throughput.svg
  kernels.json      `hogwild bench --kernels` -> kernels.svg
  evaluator.json    `hogwild bench --evaluator`, with sgemm.json (perf/sgemm.py) -> evaluator.svg
  reference-*.json  perf/compare/reference_bench.py reports -> reference.svg

and writes summary.csv (benchmark,variant,threads,dim,metric,value,unit; one row per measured
figure) into the same folder. The charts are plain, self-contained SVG (no scripts, fonts or
links), drawn by the small `Chart` helper below; only the standard library is needed.
"""
import csv
import json
import math
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

# Colour-blind-safe palette (Okabe & Ito, without its yellow, too pale for lines on white),
# then a few extra darks.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
           "#882255", "#7F7F7F", "#8C564B"]
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"


# --------------------------------------------------------------------------------------------
# SVG helper
# --------------------------------------------------------------------------------------------

def text_width(s, size):
    """Rough rendered width of `s` in a sans-serif font of `size` px."""
    return 0.6 * size * len(str(s))


def nice_ticks(hi, count=5):
    """Ticks 0, step, ... covering [0, hi] with a 1/2/2.5/5 x 10^k step."""
    if hi <= 0:
        hi = 1.0
    raw = hi / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    n = math.ceil(hi / step - 1e-9)
    return [i * step for i in range(n + 1)]


def fmt_num(v):
    """Short tick/label text: 2.5, 10, 0.25, 1.2k..."""
    if v == 0:
        return "0"
    if abs(v) >= 10000:
        return f"{v / 1000:g}k"
    return f"{v:.4g}"


class Chart:
    """One x/y chart: title, axes with ticks and grid, legend on the right, then lines or
    grouped bars in data coordinates.

    x axis: `x_numeric(lo, hi, ticks, log=False)` or `x_bands(labels)` (groups of bars);
    y axis: linear from 0 to the last of `nice_ticks`. Series are legend entries
    (label, colour, kind 'line'|'bar', dashed) given up front so the layout can make room.
    """

    def __init__(self, title, xlabel, ylabel, legend, subtitle=None, width=720, plot_h=310):
        self.title = title
        self.subtitle = [subtitle] if isinstance(subtitle, str) else list(subtitle or [])
        self.xlabel, self.ylabel = xlabel, ylabel
        self.legend = legend
        legend_w = max((text_width(e[0], 12) for e in legend), default=0)
        self.left, self.top = 74, 42 + 15 * len(self.subtitle)
        self.right = 20 + 28 + legend_w + 16 if legend else 24   # gap, swatch, text, pad
        self.bottom = 58                               # grows with long band labels
        self.plot_w = width - self.left - 24           # legend width is added on the right
        self.plot_h = plot_h
        self.width = self.left + self.plot_w + self.right
        self.items = []
        self.band_labels = None

    # ---- scales
    def x_numeric(self, lo, hi, ticks, log=False, tick_fmt=fmt_num):
        self.xlog = log
        f = math.log2 if log else float
        self.x0, self.x1 = f(lo), f(hi)
        self.xticks = [(t, tick_fmt(t)) for t in ticks]

    def x_bands(self, labels, size=11):
        """Categories under groups of bars; a label may hold several lines ("\n"). Labels too
        wide for their band widen the plot (up to 1000 px), then are written on one line,
        slanted."""
        self.band_labels = [str(x).split("\n") for x in labels]
        self.xticks = []
        widest = max(text_width(line, size) for lines in self.band_labels for line in lines)
        need = len(labels) * (widest + 8)
        if self.plot_w < need <= 1000:
            self.width += need - self.plot_w
            self.plot_w = need
        self.band_slant = widest + 8 > self.plot_w / len(labels)
        if self.band_slant:
            self.band_labels = [[" ".join(lines)] for lines in self.band_labels]
            widest = max(text_width(lines[0], size) for lines in self.band_labels)
            self.bottom = 36 + widest * math.sin(math.radians(30)) + size
            # the first label reaches left of the plot: make room for it
            reach = widest * math.cos(math.radians(30)) - self.plot_w / len(labels) / 2
            if reach > self.left - 8:
                self.width += reach - self.left + 8
                self.left = reach + 8
        else:
            self.bottom = 44 + 14 * max(len(lines) for lines in self.band_labels)

    def y_linear(self, hi):
        self.yticks = nice_ticks(hi * 1.08)
        self.y1 = self.yticks[-1]

    def px(self, x):
        v = math.log2(x) if self.xlog else x
        return self.left + (v - self.x0) / (self.x1 - self.x0) * self.plot_w

    def py(self, y):
        return self.top + self.plot_h - y / self.y1 * self.plot_h

    # ---- primitives
    def _text(self, x, y, s, size=12, anchor="middle"):
        self.items.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
                          f'text-anchor="{anchor}">{escape(str(s))}</text>')

    def line(self, points, color, dashed=False, markers=True, width=2.2):
        """Polyline through (x, y) data points, with dot markers."""
        pts = " ".join(f"{self.px(x):.1f},{self.py(y):.1f}" for x, y in points)
        dash = ' stroke-dasharray="6,4"' if dashed else ""
        self.items.append(f'<polyline points="{pts}" fill="none" stroke="{color}" '
                          f'stroke-width="{width}" stroke-linejoin="round"{dash}/>')
        if markers:
            for x, y in points:
                self.items.append(f'<circle cx="{self.px(x):.1f}" cy="{self.py(y):.1f}" r="3.5" '
                                  f'fill="{color}"/>')

    def bars(self, groups, colors, value_fmt=fmt_num):
        """Grouped bars on the band axis: groups[g][s] is the value of series s in group g
        (None: no bar). Values are printed above bars that are wide enough."""
        n_groups = len(groups)
        n_series = max(len(g) for g in groups)
        band = self.plot_w / n_groups
        bar_w = min(band * 0.8 / n_series, 90)
        inset = (band - bar_w * n_series) / 2
        for g, values in enumerate(groups):
            for s, v in enumerate(values):
                if v is None:
                    continue
                x = self.left + g * band + inset + s * bar_w
                y = self.py(v)
                self.items.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                                  f'height="{self.top + self.plot_h - y:.1f}" fill="{colors[s]}">'
                                  f'<title>{escape(value_fmt(v))}</title></rect>')
                label = value_fmt(v)
                size = 10
                if text_width(label, size) <= bar_w + 2:
                    self._text(x + bar_w / 2, y - 4, label, size=size)

    # ---- frame
    def _frame(self):
        out = []
        W, H = self.width, self.height()
        left, top, pw, ph = self.left, self.top, self.plot_w, self.plot_h
        bottom = top + ph
        out.append(f'<rect width="{W:.0f}" height="{H:.0f}" fill="white"/>')
        out.append(f'<text x="{left + pw / 2:.1f}" y="24" font-size="16" font-weight="bold" '
                   f'text-anchor="middle">{escape(self.title)}</text>')
        for i, line in enumerate(self.subtitle):
            out.append(f'<text x="{left + pw / 2:.1f}" y="{42 + 15 * i}" font-size="11" '
                       f'fill="#555" text-anchor="middle">{escape(line)}</text>')
        # y grid, ticks, labels
        for t in self.yticks:
            y = self.py(t)
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw:.1f}" y2="{y:.1f}" '
                       f'stroke="#e3e3e3"/>')
            out.append(f'<line x1="{left - 5}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#333"/>')
            out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="11" '
                       f'text-anchor="end">{escape(fmt_num(t))}</text>')
        # x ticks (numeric) or band labels
        for t, label in self.xticks:
            x = self.px(t)
            out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom:.1f}" '
                       f'stroke="#efefef"/>')
            out.append(f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 5:.1f}" '
                       f'stroke="#333"/>')
            out.append(f'<text x="{x:.1f}" y="{bottom + 18:.1f}" font-size="11" '
                       f'text-anchor="middle">{escape(label)}</text>')
        if self.band_labels:
            band = pw / len(self.band_labels)
            for g, lines in enumerate(self.band_labels):
                x = left + (g + 0.5) * band
                if self.band_slant:
                    y = bottom + 14
                    out.append(f'<text x="{x + 4:.1f}" y="{y:.1f}" font-size="11" text-anchor="end" '
                               f'transform="rotate(-30 {x + 4:.1f} {y:.1f})">{escape(lines[0])}</text>')
                    continue
                for i, line in enumerate(lines):
                    out.append(f'<text x="{x:.1f}" y="{bottom + 18 + 14 * i:.1f}" font-size="11" '
                               f'text-anchor="middle">{escape(line)}</text>')
        # axes and axis titles
        out.append(f'<path d="M{left},{top} V{bottom:.1f} H{left + pw:.1f}" fill="none" '
                   f'stroke="#333" stroke-width="1.2"/>')
        xl_y = H - 12
        out.append(f'<text x="{left + pw / 2:.1f}" y="{xl_y}" font-size="12" '
                   f'text-anchor="middle">{escape(self.xlabel)}</text>')
        yl_x, yl_y = left - 56, top + ph / 2
        out.append(f'<text x="{yl_x}" y="{yl_y:.1f}" font-size="12" text-anchor="middle" '
                   f'transform="rotate(-90 {yl_x} {yl_y:.1f})">{escape(self.ylabel)}</text>')
        # legend, right of the plot
        lx, ly = left + pw + 20, top + 8
        for i, (label, color, kind, dashed) in enumerate(self.legend):
            y = ly + i * 20
            if kind == "bar":
                out.append(f'<rect x="{lx}" y="{y - 6}" width="22" height="12" fill="{color}"/>')
            else:
                dash = ' stroke-dasharray="6,4"' if dashed else ""
                out.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 22}" y2="{y}" stroke="{color}" '
                           f'stroke-width="2.2"{dash}/>')
            out.append(f'<text x="{lx + 28}" y="{y + 4}" font-size="12">{escape(label)}</text>')
        return out

    def height(self):
        return self.top + self.plot_h + self.bottom

    def svg(self):
        W, H = self.width, self.height()
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W:.0f}" '
                f'height="{H:.0f}" viewBox="0 0 {W:.0f} {H:.0f}" '
                f'font-family={quoteattr(FONT)}>')
        body = [f"<title>{escape(self.title)}</title>"] + self._frame() + self.items
        return "\n".join([head, *body, "</svg>"]) + "\n"

    def save(self, path):
        Path(path).write_text(self.svg(), encoding="utf-8")
        print(f"wrote {path}")


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def stem_after(path, prefix):
    return path.stem[len(prefix):]


def train_files(folder):
    """{variant: rows sorted by threads} from train-*.json."""
    return {stem_after(p, "train-"): sorted(load_json(p), key=lambda r: r["threads"])
            for p in sorted(folder.glob("train-*.json"))}


def reference_series(report):
    """(label, {threads: samples/s}) per configuration of a reference_bench.py report,
    hogwild first when the report has it."""
    series = []
    hw = report.get("hogwild")
    if hw and hw.get("results"):
        series.append(("hogwild", {r["threads"]: r["samples_per_second"] for r in hw["results"]}))
    names = {"implicit": "implicit", "lightfm": "LightFM"}
    configs = {}
    for r in report.get("results", []):
        label = f"{names.get(r['library'], r['library'])} {r['loss'].upper()}"
        configs.setdefault(label, {})[r["threads"]] = r["samples_per_second"]
    series.extend(configs.items())
    return series


def hogwild_args(report):
    """The model flags hogwild was run with (the part of its command after the data/report
    options reference_bench.py sets itself), for a subtitle."""
    cmd = (report.get("hogwild") or {}).get("command") or []
    own = {"--data", "--test", "--min-rating", "--dim", "--epochs", "--repeats", "--threads",
           "--seed", "--report"}
    extra, i = [], 2  # skip binary, "bench"
    while i < len(cmd):
        if cmd[i] in own:
            i += 2
            continue
        extra.append(cmd[i])
        i += 1
    return " ".join(extra)


# --------------------------------------------------------------------------------------------
# summary.csv
# --------------------------------------------------------------------------------------------

def fmt_value(v):
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:.0f}" if abs(v) >= 1e6 else f"{v:.6g}"
    return str(v)


def summary_rows(folder):
    rows = []

    def add(benchmark, variant, threads, dim, metric, value, unit):
        if value is not None:
            rows.append([benchmark, variant, "" if threads is None else threads,
                         "" if dim is None else dim, metric, fmt_value(value), unit])

    train_metrics = [("triplets_per_second", "triplets/s"), ("speedup", "x"),
                     ("efficiency", "fraction"), ("model_bytes", "bytes"),
                     ("interaction_bytes", "bytes"), ("peak_rss_bytes", "bytes")]
    for variant, data in train_files(folder).items():
        for r in data:
            for m, unit in train_metrics:
                add("train", variant, r["threads"], r.get("dim"), m, r.get(m), unit)

    if (folder / "kernels.json").exists():
        for r in load_json(folder / "kernels.json"):
            add("kernels", r["kernel"], 1, r["dim"], "ns_per_op", r["ns_per_op"], "ns")

    if (folder / "evaluator.json").exists():
        for r in load_json(folder / "evaluator.json"):
            for m, unit in [("gflops", "GFLOP/s"), ("scores_per_second", "scores/s"),
                            ("seconds", "s"), ("speedup", "x")]:
                add("evaluator", "hogwild", r["threads"], r.get("dim"), m, r.get(m), unit)

    if (folder / "sgemm.json").exists():
        for r in load_json(folder / "sgemm.json"):
            for m, unit in [("gflops", "GFLOP/s"), ("seconds", "s")]:
                add("sgemm", r["variant"], r["threads"], r.get("dim"), m, r.get(m), unit)

    for p in sorted(folder.glob("reference-*.json")):
        rep = load_json(p)
        data = stem_after(p, "reference-")
        dim = rep.get("settings", {}).get("dim")
        for r in rep.get("results", []):
            v = f"{data}/{r['library']}-{r['loss']}"
            add("reference", v, r["threads"], r.get("dim"), "samples_per_second",
                r["samples_per_second"], "samples/s")
            add("reference", v, r["threads"], r.get("dim"), "seconds_median",
                r.get("seconds_median"), "s")
            add("reference", v, r["threads"], r.get("dim"), "auc", r.get("auc"), "AUC")
        for r in (rep.get("hogwild") or {}).get("results", []):
            add("reference", f"{data}/hogwild", r["threads"], dim, "samples_per_second",
                r["samples_per_second"], "samples/s")
        for r in rep.get("ratios_hogwild_over_reference", []):
            for name, ratio in r["ratio"].items():
                add("reference", f"{data}/hogwild-over-{name}", r["threads"], dim,
                    "throughput_ratio", ratio, "x")
    return rows


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------

def chart_speedup(train, path):
    threads = sorted({r["threads"] for rows in train.values() for r in rows})
    base = threads[0]
    legend = [(v, PALETTE[i % len(PALETTE)], "line", False) for i, v in enumerate(train)]
    legend.append(("ideal (linear)", "#888", "line", True))
    c = Chart("Training speedup vs threads", "threads", f"speedup over {base} thread"
              + ("s" if base > 1 else "") + " (×)", legend,
              subtitle="hogwild bench: median triplets/s at T threads ÷ at the first thread count")
    pad = max(0.15, 0.05 * (threads[-1] - threads[0]))
    c.x_numeric(threads[0] - pad, threads[-1] + pad, threads)
    top = max([threads[-1] / base] + [r["speedup"] for rows in train.values() for r in rows])
    c.y_linear(top)
    c.line([(t, t / base) for t in (threads[0], threads[-1])], "#888", dashed=True, markers=False,
           width=1.5)
    for i, rows in enumerate(train.values()):
        c.line([(r["threads"], r["speedup"]) for r in rows], PALETTE[i % len(PALETTE)])
    c.save(path)


def chart_throughput(train, path):
    threads = sorted({r["threads"] for rows in train.values() for r in rows})
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(threads))]
    legend = [(f"{t} thread" + ("s" if t > 1 else ""), colors[i], "bar", False)
              for i, t in enumerate(threads)]
    c = Chart("Training throughput", "data set / variant (train-*.json)", "M triplets/s",
              legend, subtitle="hogwild bench: median of the runs per thread count")
    c.x_bands(list(train))
    groups = []
    for rows in train.values():
        by_t = {r["threads"]: r["triplets_per_second"] / 1e6 for r in rows}
        groups.append([by_t.get(t) for t in threads])
    c.y_linear(max(v for g in groups for v in g if v is not None))
    c.bars(groups, colors, value_fmt=lambda v: f"{v:.1f}")
    c.save(path)


def chart_kernels(rows, path):
    kernels = list(dict.fromkeys(r["kernel"] for r in rows))
    dims = sorted({r["dim"] for r in rows})
    legend = [(k, PALETTE[i % len(PALETTE)], "line", False) for i, k in enumerate(kernels)]
    c = Chart("Kernel cost vs dimension", "embedding dimension (log scale)", "ns per op",
              legend, subtitle="hogwild bench --kernels: one core, rows in cache; median")
    if len(dims) > 1:
        pad = 0.06 * (math.log2(dims[-1]) - math.log2(dims[0]))
    else:
        pad = 0.5
    c.x_numeric(dims[0] / 2 ** pad, dims[-1] * 2 ** pad, dims, log=True,
                tick_fmt=lambda d: str(d))
    c.y_linear(max(r["ns_per_op"] for r in rows))
    for i, k in enumerate(kernels):
        pts = sorted((r["dim"], r["ns_per_op"]) for r in rows if r["kernel"] == k)
        c.line(pts, PALETTE[i % len(PALETTE)])
    c.save(path)


def chart_evaluator(ours, sgemm, path):
    series = [("hogwild evaluator", {r["threads"]: r["gflops"] for r in ours})]
    for variant in dict.fromkeys(r["variant"] for r in sgemm):
        series.append((f"numpy sgemm {variant}",
                       {r["threads"]: r["gflops"] for r in sgemm if r["variant"] == variant}))
    threads = sorted({t for _, d in series for t in d})
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    legend = [(name, colors[i], "bar", False) for i, (name, _) in enumerate(series)]
    c = Chart("Scoring all items for every user", "threads", "GFLOP/s", legend,
              subtitle="GFLOP/s = 2 × users × items × dim / median seconds")
    c.x_bands([f"{t} thread" + ("s" if t > 1 else "") for t in threads])
    groups = [[d.get(t) for _, d in series] for t in threads]
    c.y_linear(max(v for g in groups for v in g if v is not None))
    c.bars(groups, colors, value_fmt=lambda v: f"{v:.0f}" if v >= 100 else f"{v:.1f}")
    c.save(path)


def chart_reference(reports, path):
    """Groups: (data set, threads); series: hogwild and each reference configuration."""
    labels, per_report = [], []
    for data, rep in reports.items():
        per_report.append((data, dict(reference_series(rep)), rep))
        for lab, _ in reference_series(rep):
            if lab not in labels:
                labels.append(lab)
    labels.sort(key=lambda lab: lab != "hogwild")  # hogwild first, the rest as found
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    legend = [(lab, colors[i], "bar", False) for i, lab in enumerate(labels)]
    bands, groups = [], []
    for data, series, rep in per_report:
        threads = rep.get("settings", {}).get("threads") or sorted(
            {t for d in series.values() for t in d})
        for t in threads:
            bands.append((f"{data}\n" if len(reports) > 1 else "")
                         + f"{t} thread" + ("s" if t > 1 else ""))
            groups.append([series.get(lab, {}).get(t) for lab in labels])
    groups = [[None if v is None else v / 1e6 for v in g] for g in groups]
    notes = []
    for data, _, rep in per_report:
        s = rep.get("settings", {})
        epochs = s.get("epochs")
        note = f"{data}: {epochs} epoch{'' if epochs == 1 else 's'}, dim {s.get('dim')}"
        if hogwild_args(rep):
            note += f", hogwild {hogwild_args(rep)}"
        notes.append(note)
    c = Chart("hogwild vs reference libraries: training throughput",
              "data set / threads", "M samples/s", legend,
              subtitle=["samples/s = epochs × training positives / median fit seconds"]
              + notes)
    c.x_bands(bands)
    c.y_linear(max(v for g in groups for v in g if v is not None))
    c.bars(groups, colors, value_fmt=lambda v: f"{v:.1f}" if v >= 1 else f"{v:.2f}")
    c.save(path)


# --------------------------------------------------------------------------------------------

def main():
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else
                  Path(__file__).resolve().parent / "results")
    if not folder.is_dir():
        raise SystemExit(f"{folder}: not a folder")

    rows = summary_rows(folder)
    with open(folder / "summary.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["benchmark", "variant", "threads", "dim", "metric", "value", "unit"])
        w.writerows(rows)
    print(f"wrote {folder / 'summary.csv'} ({len(rows)} rows)")

    train = train_files(folder)
    if train:
        chart_speedup(train, folder / "speedup.svg")
        chart_throughput(train, folder / "throughput.svg")
    if (folder / "kernels.json").exists():
        chart_kernels(load_json(folder / "kernels.json"), folder / "kernels.svg")
    if (folder / "evaluator.json").exists():
        sgemm = load_json(folder / "sgemm.json") if (folder / "sgemm.json").exists() else []
        chart_evaluator(load_json(folder / "evaluator.json"), sgemm, folder / "evaluator.svg")
    reports = {stem_after(p, "reference-"): load_json(p)
               for p in sorted(folder.glob("reference-*.json"))}
    if reports:
        chart_reference(reports, folder / "reference.svg")


if __name__ == "__main__":
    main()
