import Foundation
import Hogwild

// `--report-html`: self-contained pages (inline CSS and SVG; no scripts, links, network or web
// fonts) for `train` and `bench`, and the small SVG line-chart builder they share. A file name
// ending in `.svg` gets the main chart(s) alone as one SVG image. Everything is written
// atomically. The pages are also well-formed XML, so a program can read them back.

// MARK: - Text

/// `text` made safe for XML and HTML text and attribute values: `&`, `<`, `>`, `"` and `'`
/// become entities, and control characters XML 1.0 forbids become U+FFFD.
func markupEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

/// A pixel coordinate with one decimal.
private func px(_ value: Double) -> String { String(format: "%.1f", value) }

/// A short human form of a value for tooltips and tick labels: four significant digits, with a
/// k / M / G suffix from ten thousand up ("0.9354", "12", "29.84 M").
func shortNumber(_ value: Double) -> String {
    guard value.isFinite else { return "–" }
    let a = abs(value)
    if a >= 1e9 { return String(format: "%.4g G", value / 1e9) }
    if a >= 1e6 { return String(format: "%.4g M", value / 1e6) }
    if a >= 1e4 { return String(format: "%.4g k", value / 1e3) }
    return String(format: "%.4g", value)
}

// MARK: - Chart

/// One x/y line chart drawn as SVG, in pixels: a title, a legend under it, axes with "nice" ticks
/// (1, 2, 2.5 or 5 × 10ⁿ) and a light grid, a polyline with round markers for each series, and
/// dashed horizontal reference lines (baselines, targets).
///
/// Ranges come from the data. The y axis ends on ticks (from 0 when `yIncludesZero`); the x
/// axis spans the data, linearly or on a log₂ scale. A single point, or series that are all
/// equal, get a padded range so the point shows as a marker in the middle; points that are not
/// finite (or not positive on a log axis) are left out, and a chart with no points says "no
/// data". Connected series are drawn in order of x.
///
/// Each polyline carries `class="series"` and `data-series="<label>"`, each reference line
/// `class="reference"`, and each marker a `<title>` with its values (a tooltip in browsers), so
/// that people can hover and programs can check what was drawn. All text is escaped.
struct SVGLineChart {
    enum XScale { case linear, log2 }

    /// One line of points.
    struct Series {
        var label: String
        var points: [(x: Double, y: Double)]
        /// A CSS colour; by default the next colour of `SVGLineChart.palette`.
        var color: String? = nil
        var dashed = false
        /// Round markers on the points (always drawn for a series of one point, so it shows).
        var markers = true
        /// Whether the points are joined by a polyline; `false` draws a scatter of markers.
        var connected = true
    }

    /// A dashed horizontal line across the plot at `y`.
    struct Reference {
        var label: String
        var y: Double
        var color: String? = nil
    }

    /// Colour-blind-safe (Okabe & Ito, without the yellow), then darker extras.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255"]
    static let fontFamily = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series] = []
    var references: [Reference] = []
    var xScale = XScale.linear
    /// Ticks on whole numbers only (epochs, threads).
    var xIntegers = false
    /// The x ticks to label (default: nice ticks, or on a log axis the data's x values).
    var xTicks: [Double]? = nil
    var yIncludesZero = false
    /// An x range to show at the least (the data may widen it).
    var xSpan: (lo: Double, hi: Double)? = nil
    var width = 560.0
    var height = 320.0

    /// Rough rendered width of `text` at `size` px in a sans-serif font (a little generous).
    static func textWidth(_ text: String, size: Double) -> Double { 0.6 * size * Double(text.count) }

    /// Nice ticks covering `[lo, hi]` (`hi > lo`) with about `count` intervals, and their step.
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int, integer: Bool = false) -> (ticks: [Double], step: Double) {
        let raw = (hi - lo) / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let multiples: [Double] = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]
        var step = (multiples.map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) }) ?? 10 * magnitude
        if integer { step = max(1, step.rounded()) }
        let first = floor(lo / step + 1e-9), last = ceil(hi / step - 1e-9)
        let n = min(Int(last - first), 100)
        return ((0...max(n, 0)).map { (first + Double($0)) * step }, step)
    }

    /// Labels for ticks a `step` apart: as many decimals as the step needs, and one k / M / G
    /// suffix for all when the values are large.
    static func tickLabels(_ ticks: [Double], step: Double) -> [String] {
        let largest = ticks.map(abs).max() ?? 0
        let (scale, suffix) = largest >= 1e9 ? (1e9, "G") : largest >= 1e6 ? (1e6, "M") : largest >= 1e4 ? (1e3, "k") : (1.0, "")
        let s = step / scale
        var decimals = 0
        while decimals < 9 {
            let m = s * pow(10, Double(decimals))
            if abs(m - m.rounded()) <= 1e-6 * max(1, m) { break }
            decimals += 1
        }
        return ticks.map { v in
            let x = abs(v) < step * 1e-9 ? 0 : v / scale
            return String(format: "%.\(decimals)f", x) + suffix
        }
    }

    /// The chart as a standalone SVG image.
    func svg() -> String { SVGLineChart.document([self], columns: 1) }

    /// Several charts in one SVG image, `columns` to a row, with an optional caption line above.
    static func document(_ charts: [SVGLineChart], columns: Int, caption: String? = nil) -> String {
        let columns = max(1, min(columns, charts.count))
        let cellWidth = charts.map(\.width).max() ?? 400, cellHeight = charts.map(\.height).max() ?? 300
        let rows = (charts.count + columns - 1) / columns
        let captionHeight = caption == nil ? 0.0 : 26
        let width = cellWidth * Double(columns), height = captionHeight + cellHeight * Double(max(rows, 1))
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"\(fontFamily)\" role=\"img\">\n"
        out += "<title>\(markupEscape(charts.map(\.title).joined(separator: "; ")))</title>\n"
        out += "<rect width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
        if let caption {
            out += "<text x=\"12\" y=\"18\" font-size=\"12\" fill=\"#555555\">\(markupEscape(caption))</text>\n"
        }
        for (index, chart) in charts.enumerated() {
            let x = cellWidth * Double(index % columns), y = captionHeight + cellHeight * Double(index / columns)
            out += "<g transform=\"translate(\(px(x)),\(px(y)))\">\n" + chart.body() + "</g>\n"
        }
        return out + "</svg>\n"
    }

    /// The chart's elements in its own box, (0, 0) to (`width`, `height`).
    func body() -> String {
        var out: [String] = []
        func text(_ s: String, x: Double, y: Double, size: Double = 11, anchor: String = "middle", extra: String = "") {
            out.append("<text x=\"\(px(x))\" y=\"\(px(y))\" font-size=\"\(Int(size))\" text-anchor=\"\(anchor)\"\(extra)>\(markupEscape(s))</text>")
        }
        let colors = series.indices.map { series[$0].color ?? Self.palette[$0 % Self.palette.count] }
        let referenceColors = references.indices.map { references[$0].color ?? ["#777777", "#AA3377", "#444444"][$0 % 3] }

        // Data, without points that cannot be drawn, connected series in order of x.
        let drawable = series.map { s -> [(x: Double, y: Double)] in
            let kept = s.points.filter { $0.x.isFinite && $0.y.isFinite && (xScale == .linear || $0.x > 0) }
            return s.connected ? kept.enumerated().sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }.map(\.element) : kept
        }
        let refs = references.filter { $0.y.isFinite }
        let xs = drawable.flatMap { $0.map(\.x) }
        let ys = drawable.flatMap { $0.map(\.y) } + refs.map(\.y)
        let empty = xs.isEmpty

        // x range: the data's, padded when it is a single value.
        func position(_ x: Double) -> Double { xScale == .log2 ? Foundation.log2(x) : x }
        let spanXs = [xSpan?.lo, xSpan?.hi].compactMap { $0 }.filter { $0.isFinite && (xScale == .linear || $0 > 0) }
        var xLo = (xs + spanXs).min() ?? (xScale == .log2 ? 1 : 0), xHi = (xs + spanXs).max() ?? (xScale == .log2 ? 2 : 1)
        if position(xHi) - position(xLo) <= 1e-12 * max(1, abs(position(xLo))) {
            if xScale == .log2 {
                xLo /= 2; xHi *= 2
            } else {
                let pad = xIntegers ? 0.5 : (xLo == 0 ? 1 : abs(xLo) * 0.1)
                xLo -= pad; xHi += pad
            }
        }

        // y range: the data's (and 0), padded when it is a single value, then out to nice ticks.
        var yLo = ys.min() ?? 0, yHi = ys.max() ?? 1
        if yIncludesZero { yLo = min(yLo, 0); yHi = max(yHi, 0) }
        if yHi - yLo <= 1e-12 * max(1, abs(yLo)) {
            if yLo == 0 { yHi = 1 } else {
                let pad = abs(yLo) * 0.05
                yLo -= pad; yHi += pad
                if yIncludesZero && yLo < 0 && (ys.min() ?? 0) >= 0 { yLo = 0 }
            }
        }
        // A little headroom, so that extreme points do not sit on the frame (none below a zero floor).
        let span = yHi - yLo
        yHi += 0.04 * span
        if !(yIncludesZero && yLo == 0) { yLo -= 0.04 * span }
        let estimatedPlotHeight = height - 110
        let (yTicks, yStep) = Self.niceTicks(yLo, yHi, count: max(3, Int(estimatedPlotHeight / 42)), integer: false)
        yLo = yTicks.first ?? yLo; yHi = yTicks.last ?? yHi
        let yTickLabels = Self.tickLabels(yTicks, step: yStep)

        // x ticks.
        var xTickValues: [Double]
        var xTickLabels: [String]
        let estimatedPlotWidth = width - 100
        if let given = xTicks {
            xTickValues = given.filter { $0.isFinite && (xScale == .linear || $0 > 0) }
            xTickLabels = xTickValues.map(shortNumber)
        } else if xScale == .log2 {
            let distinct = Array(Set(xs)).sorted()
            if !distinct.isEmpty && distinct.count <= 12 {
                xTickValues = distinct
            } else {
                let from = Int(ceil(Foundation.log2(xLo) - 1e-9)), to = Int(floor(Foundation.log2(xHi) + 1e-9))
                xTickValues = from <= to ? (from...to).map { pow(2, Double($0)) } : []
            }
            xTickLabels = xTickValues.map(shortNumber)
        } else {
            let (ticks, step) = Self.niceTicks(xLo, xHi, count: max(2, Int(estimatedPlotWidth / 70)), integer: xIntegers)
            xTickValues = ticks
            xTickLabels = Self.tickLabels(ticks, step: step)
        }
        let inRange = xTickValues.indices.filter { i in
            let p = position(xTickValues[i]), lo = position(xLo), hi = position(xHi), eps = (hi - lo) * 1e-9
            return p >= lo - eps && p <= hi + eps
        }
        xTickValues = inRange.map { xTickValues[$0] }
        xTickLabels = inRange.map { xTickLabels[$0] }

        // Layout.
        let titleSize = 14.0, legendSize = 12.0, tickSize = 11.0, labelSize = 12.0
        let widestYTick = yTickLabels.map { Self.textWidth($0, size: tickSize) }.max() ?? 0
        let left = 22 + 8 + widestYTick + 6
        let lastXTick = xTickLabels.last.map { Self.textWidth($0, size: tickSize) / 2 } ?? 0
        let right = width - max(16, lastXTick + 6)
        let plotWidth = max(right - left, 40)

        // Legend entries laid out in rows under the title.
        struct Entry { var label: String; var color: String; var dashed: Bool; var line: Bool; var marker: Bool; var reference: Bool }
        var entries: [Entry] = series.indices.map {
            Entry(label: series[$0].label, color: colors[$0], dashed: series[$0].dashed, line: series[$0].connected,
                  marker: series[$0].markers || drawable[$0].count == 1, reference: false)
        }
        entries += references.indices.filter { references[$0].y.isFinite }.map {
            Entry(label: references[$0].label, color: referenceColors[$0], dashed: true, line: true, marker: false, reference: true)
        }
        var placed: [(entry: Entry, x: Double, row: Int)] = []
        var cursor = left, row = 0
        for entry in entries {
            let w = 28 + Self.textWidth(entry.label, size: legendSize) + 18
            if cursor > left && cursor + w > left + plotWidth { row += 1; cursor = left }
            placed.append((entry, cursor, row))
            cursor += w
        }
        let legendRows = entries.isEmpty ? 0 : row + 1
        let legendTop = 42.0
        let top = legendTop + Double(legendRows) * 18 + (legendRows > 0 ? 0 : -8)
        let bottom = height - 46
        let plotHeight = max(bottom - top, 40)

        func xPixel(_ x: Double) -> Double {
            let inset = 10.0
            let lo = position(xLo), hi = position(xHi)
            return left + inset + (position(x) - lo) / (hi - lo) * (plotWidth - 2 * inset)
        }
        func yPixel(_ y: Double) -> Double { top + plotHeight - (y - yLo) / (yHi - yLo) * plotHeight }

        // Frame: background, title, grid, ticks, axes, axis labels.
        out.append("<rect width=\"\(px(width))\" height=\"\(px(height))\" fill=\"#ffffff\"/>")
        text(title, x: left, y: 22, size: titleSize, anchor: "start", extra: " font-weight=\"bold\" fill=\"#222222\"")
        for (t, label) in zip(yTicks, yTickLabels) {
            let y = yPixel(t)
            out.append("<line x1=\"\(px(left))\" y1=\"\(px(y))\" x2=\"\(px(left + plotWidth))\" y2=\"\(px(y))\" stroke=\"#e4e4e4\" stroke-width=\"1\"/>")
            out.append("<line x1=\"\(px(left - 4))\" y1=\"\(px(y))\" x2=\"\(px(left))\" y2=\"\(px(y))\" stroke=\"#444444\" stroke-width=\"1\"/>")
            text(label, x: left - 7, y: y + 4, size: tickSize, anchor: "end", extra: " fill=\"#333333\"")
        }
        // Thin out x labels that would collide.
        let widestXTick = xTickLabels.map { Self.textWidth($0, size: tickSize) }.max() ?? 0
        var every = 1
        if xTickValues.count > 1 {
            let gaps = zip(xTickValues, xTickValues.dropFirst()).map { xPixel($1) - xPixel($0) }
            let narrowest = gaps.min() ?? plotWidth
            while Double(every) * narrowest < widestXTick + 8 && every < xTickValues.count { every += 1 }
        }
        for (i, (t, label)) in zip(xTickValues, xTickLabels).enumerated() where i % every == 0 {
            let x = xPixel(t)
            out.append("<line x1=\"\(px(x))\" y1=\"\(px(top))\" x2=\"\(px(x))\" y2=\"\(px(bottom))\" stroke=\"#f0f0f0\" stroke-width=\"1\"/>")
            out.append("<line x1=\"\(px(x))\" y1=\"\(px(bottom))\" x2=\"\(px(x))\" y2=\"\(px(bottom + 4))\" stroke=\"#444444\" stroke-width=\"1\"/>")
            text(label, x: x, y: bottom + 17, size: tickSize, extra: " fill=\"#333333\"")
        }
        out.append("<path d=\"M\(px(left)),\(px(top)) V\(px(bottom)) H\(px(left + plotWidth))\" fill=\"none\" stroke=\"#444444\" stroke-width=\"1.2\"/>")
        text(xLabel, x: left + plotWidth / 2, y: height - 10, size: labelSize, extra: " fill=\"#222222\"")
        let yLabelY = top + plotHeight / 2
        text(yLabel, x: 16, y: yLabelY, size: labelSize, extra: " fill=\"#222222\" transform=\"rotate(-90 16 \(px(yLabelY)))\"")

        // Legend.
        for (entry, x, row) in placed {
            let y = legendTop + Double(row) * 18 - 4
            if entry.line {
                let dash = entry.dashed ? " stroke-dasharray=\"\(entry.reference ? "3 3" : "6 4")\"" : ""
                out.append("<line x1=\"\(px(x))\" y1=\"\(px(y))\" x2=\"\(px(x + 22))\" y2=\"\(px(y))\" stroke=\"\(entry.color)\" stroke-width=\"2\"\(dash)/>")
            }
            if entry.marker {
                out.append("<circle cx=\"\(px(x + 11))\" cy=\"\(px(y))\" r=\"3.5\" fill=\"\(entry.color)\" stroke=\"#ffffff\" stroke-width=\"1\"/>")
            }
            text(entry.label, x: x + 28, y: y + 4, size: legendSize, anchor: "start", extra: " fill=\"#222222\"")
        }

        if empty {
            text("no data", x: left + plotWidth / 2, y: top + plotHeight / 2, size: 13, extra: " fill=\"#888888\"")
        }

        // Reference lines, under the series.
        for (i, r) in references.enumerated() where r.y.isFinite {
            let y = yPixel(r.y)
            out.append("<line class=\"reference\" data-series=\"\(markupEscape(r.label))\" x1=\"\(px(left))\" y1=\"\(px(y))\" x2=\"\(px(left + plotWidth))\" y2=\"\(px(y))\" stroke=\"\(referenceColors[i])\" stroke-width=\"1.5\" stroke-dasharray=\"3 3\"><title>\(markupEscape("\(r.label): \(shortNumber(r.y))"))</title></line>")
        }

        // Series: scatters first, then lines without markers (ideal, guides), then each line with
        // its markers and their tooltips, so that measured points stay on top.
        let layer = { (s: Series) in !s.connected ? 0 : !s.markers ? 1 : 2 }
        for i in series.indices.sorted(by: { (layer(series[$0]), $0) < (layer(series[$1]), $1) }) {
            let s = series[i]
            let points = drawable[i]
            if s.connected {
                let list = points.map { "\(px(xPixel($0.x))),\(px(yPixel($0.y)))" }.joined(separator: " ")
                let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
                out.append("<polyline class=\"series\" data-series=\"\(markupEscape(s.label))\" points=\"\(list)\" fill=\"none\" stroke=\"\(colors[i])\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"\(dash)/>")
            }
            let drawMarkers = (s.markers && points.count <= 120) || points.count == 1
            if drawMarkers {
                let radius = s.connected ? 3.5 : 2.5
                let opacity = s.connected ? "" : " fill-opacity=\"0.55\""
                for p in points {
                    let tip = "\(s.label): \(xLabel) \(shortNumber(p.x)), \(shortNumber(p.y))"
                    out.append("<circle class=\"marker\" cx=\"\(px(xPixel(p.x)))\" cy=\"\(px(yPixel(p.y)))\" r=\"\(radius)\" fill=\"\(colors[i])\"\(opacity) stroke=\"#ffffff\" stroke-width=\"1\"><title>\(markupEscape(tip))</title></circle>")
                }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}

// MARK: - Pages

enum HTMLReport {
    /// Whether `path` asks for an SVG image rather than a page.
    static func wantsSVG(_ path: String) -> Bool { path.lowercased().hasSuffix(".svg") }

    /// The local date and time, e.g. "2025-11-25 05:01:02 +00:00".
    static func dateText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
        return formatter.string(from: date)
    }

    static let style = """
        body { font-family: system-ui, "DejaVu Sans", Verdana, Arial, sans-serif; color: #222; background: #fff;
               max-width: 1180px; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.4; }
        h1 { font-size: 1.45rem; margin: 0 0 .6rem; }
        h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
        dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; font-size: .92rem; }
        dl.meta dt { color: #666; }
        dl.meta dd { margin: 0; overflow-wrap: anywhere; }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .92rem; }
        th, td { padding: .3rem .75rem; text-align: right; border-bottom: 1px solid #e2e2e2; }
        th:first-child, td:first-child { text-align: left; }
        thead th { border-bottom: 2px solid #999; font-weight: 600; }
        tr.model td { font-weight: 600; }
        tr.baseline td { color: #555; }
        p.note { color: #555; font-size: .88rem; margin: .4rem 0; }
        div.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
        div.charts svg { max-width: 100%; height: auto; border: 1px solid #e6e6e6; border-radius: 4px; }
        details { margin-top: 1rem; }
        summary { cursor: pointer; color: #444; }
        footer { color: #888; font-size: .8rem; margin-top: 2rem; }
        """

    /// A whole page: title, a definition list of header lines, then the sections' markup.
    static func page(title: String, header: [(String, String)], sections: [String], date: Date) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        out += "<title>\(markupEscape(title))</title>\n<style>\n\(style)\n</style>\n</head>\n<body>\n"
        out += "<header>\n<h1>\(markupEscape(title))</h1>\n<dl class=\"meta\">\n"
        for (key, value) in header + [("date", dateText(date))] {
            out += "<dt>\(markupEscape(key))</dt><dd>\(markupEscape(value))</dd>\n"
        }
        out += "</dl>\n</header>\n"
        out += sections.joined(separator: "\n")
        out += "\n<footer>\(markupEscape(HogwildCommand.configuration.version)) · generated \(markupEscape(dateText(date)))</footer>\n</body>\n</html>\n"
        return out
    }

    /// A table: header cells, then rows of (class, cells); each cell is markup already escaped.
    static func table(_ className: String, head: [String], rows: [(String, [String])]) -> String {
        var out = "<table class=\"\(className)\">\n<thead><tr>" + head.map { "<th>\(markupEscape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for (rowClass, cells) in rows {
            out += "<tr class=\"\(markupEscape(rowClass))\">" + cells.joined() + "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    /// A number cell: `shown` as text, the exact value in `data-value` (and its name in `data-metric`).
    static func cell(_ shown: String, value: Double? = nil, metric: String? = nil) -> String {
        var attributes = ""
        if let metric { attributes += " data-metric=\"\(markupEscape(metric))\"" }
        if let value { attributes += " data-value=\"\(value)\"" }
        return "<td\(attributes)>\(markupEscape(shown))</td>"
    }

    static func charts(_ charts: [SVGLineChart]) -> String {
        "<div class=\"charts\">\n" + charts.map { $0.svg() }.joined() + "</div>\n"
    }

    /// Thread-count x axes: log₂ when the counts span a factor of 8 or more; ticks at the counts.
    static func threadAxis(_ chart: inout SVGLineChart, counts: [Int]) {
        let distinct = Array(Set(counts)).sorted()
        chart.xIntegers = true
        if let lo = distinct.first, let hi = distinct.last, hi >= 8 * lo { chart.xScale = .log2 }
        if distinct.count <= 12 { chart.xTicks = distinct.map(Double.init) }
    }

    // MARK: train

    /// The learning curves of a run: loss, violation share, test AUC (with baseline lines) and
    /// throughput per epoch.
    static func learningCurves(_ run: RunReport) -> (loss: SVGLineChart, violations: SVGLineChart, auc: SVGLineChart, throughput: SVGLineChart) {
        let h = run.history
        var loss = SVGLineChart(title: "Training loss", xLabel: "epoch", yLabel: "mean loss per triplet",
                                series: [.init(label: "training loss", points: h.map { (Double($0.epoch), $0.loss) })])
        loss.xIntegers = true
        loss.yIncludesZero = true
        var violations = SVGLineChart(title: "Margin violations", xLabel: "epoch", yLabel: "% of triplets",
                                      series: [.init(label: "violation share", points: h.map { (Double($0.epoch), 100 * $0.violationRate) },
                                                     color: SVGLineChart.palette[1])])
        violations.xIntegers = true
        violations.yIncludesZero = true
        let evaluated = h.compactMap { e in e.auc.map { (Double(e.epoch), $0) } }
        var auc = SVGLineChart(title: "Test AUC", xLabel: "epoch", yLabel: "mean per-user ROC AUC",
                               series: [.init(label: "test AUC", points: evaluated, color: SVGLineChart.palette[2])])
        // Baselines as dashed lines, unless one would squash the curve (random's 0.5 under a model
        // at 0.9): those far below stay in the table.
        let lowest = evaluated.map(\.1).min() ?? -Double.infinity
        auc.references = run.baselines.keys.sorted().filter { run.baselines[$0]!.auc >= lowest - 0.15 }
            .map { .init(label: "\($0) baseline", y: run.baselines[$0]!.auc) }
        auc.xIntegers = true
        // The epoch axis of the other panels, even when only some epochs were evaluated.
        if let first = h.first?.epoch, let last = h.last?.epoch { auc.xSpan = (Double(first), Double(last)) }
        var throughput = SVGLineChart(title: "Training throughput", xLabel: "epoch", yLabel: "M triplets/s",
                                      series: [.init(label: "triplets per second", points: h.map { (Double($0.epoch), $0.tripletsPerSecond / 1e6) },
                                                     color: SVGLineChart.palette[3])])
        throughput.xIntegers = true
        throughput.yIncludesZero = true
        return (loss, violations, auc, throughput)
    }

    /// Writes the `train --report-html` page, or with a `.svg` name the loss and AUC panels.
    static func writeTraining(_ run: RunReport, dataSummary: String, to path: String, date: Date = Date()) throws {
        let curves = learningCurves(run)
        if wantsSVG(path) {
            let caption = "\(run.data) · \(run.configuration.summary) · \(dateText(date))"
            try FileBytes.writeAtomically(path, text: SVGLineChart.document([curves.loss, curves.auc], columns: 2, caption: caption))
            return
        }
        let k = run.k
        var header: [(String, String)] = [("data", dataSummary), ("model", run.configuration.summary)]
        if !run.history.isEmpty {
            let resumed = run.history[0].epoch > 1 ? " (epochs \(run.history[0].epoch)–\(run.epochs) of a resumed run)" : ""
            header.append(("training", "\(run.history.count) epochs\(resumed) in \(fixed(run.trainSeconds, 3)) s: \(millions(run.tripletsPerSecond)) triplets/s"))
        }
        var sections: [String] = []
        var metrics = "<section>\n<h2>Test metrics</h2>\n"
        if let e = run.evaluation {
            let columns = ["AUC", "P@\(k)", "R@\(k)", "MAP@\(k)", "NDCG@\(k)", "hit rate@\(k)", "coverage", "users"]
            func cells(_ e: Evaluation) -> [String] {
                [cell(fixed(e.auc, 4), value: e.auc, metric: "auc"),
                 cell(fixed(e.precisionAtK, 4), value: e.precisionAtK, metric: "precision_at_k"),
                 cell(fixed(e.recallAtK, 4), value: e.recallAtK, metric: "recall_at_k"),
                 cell(fixed(e.mapAtK, 4), value: e.mapAtK, metric: "map_at_k"),
                 cell(fixed(e.ndcgAtK, 4), value: e.ndcgAtK, metric: "ndcg_at_k"),
                 cell(fixed(e.hitRateAtK, 4), value: e.hitRateAtK, metric: "hit_rate_at_k"),
                 cell(fixed(100 * e.coverage, 1) + " %", value: e.coverage, metric: "coverage"),
                 cell("\(e.usersEvaluated)", value: Double(e.usersEvaluated), metric: "users_evaluated")]
            }
            var rows: [(String, [String])] = [("model", ["<td data-row=\"model\">trained model</td>"] + cells(e))]
            for name in run.baselines.keys.sorted() {
                rows.append(("baseline", ["<td data-row=\"\(markupEscape(name))\">\(markupEscape(name)) baseline</td>"] + cells(run.baselines[name]!)))
            }
            metrics += table("metrics", head: [""] + columns, rows: rows)
            let d = e.aucDistribution
            metrics += "<p class=\"note\">Per-user AUC: min \(fixed(d.minimum, 3)), p10 \(fixed(d.p10, 3)), median \(fixed(d.median, 3)), p90 \(fixed(d.p90, 3)), max \(fixed(d.maximum, 3)). Evaluation of \(e.usersEvaluated) users took \(fixed(e.seconds * 1000, 1)) ms; k = \(k).</p>\n"
        } else {
            metrics += "<p class=\"note\">No test positives: nothing was evaluated.</p>\n"
        }
        sections.append(metrics + "</section>\n")

        var learning = "<section>\n<h2>Learning curves</h2>\n"
        if run.history.isEmpty {
            learning += "<p class=\"note\">No epochs were trained in this run.</p>\n"
        } else {
            let aucNote = run.history.filter { $0.auc != nil }.count < run.history.count
                ? " Test AUC is measured only on the evaluated epochs (<code>--eval-every</code>) and after the last." : ""
            let drawn = Set(curves.auc.references.map(\.label))
            let offScale = run.baselines.keys.sorted().filter { !drawn.contains("\($0) baseline") }
            let baselineNote = offScale.isEmpty ? "" : " Baselines far below the curve (\(offScale.joined(separator: ", "))) are in the table only."
            learning += "<p class=\"note\">Per epoch of this run.\(aucNote)\(baselineNote) Hover a point for its value.</p>\n"
            learning += charts([curves.loss, curves.violations, curves.auc, curves.throughput])
            let rows: [(String, [String])] = run.history.map { e in
                ("epoch", [cell("\(e.epoch)"), cell(fixed(e.loss, 4), value: e.loss), cell(fixed(100 * e.violationRate, 1) + " %", value: e.violationRate),
                           cell(millions(e.tripletsPerSecond), value: e.tripletsPerSecond), cell(fixed(e.seconds, 4), value: e.seconds),
                           e.auc.map { cell(fixed($0, 4), value: $0) } ?? cell("")])
            }
            learning += "<details>\n<summary>Per-epoch figures</summary>\n"
                + table("epochs", head: ["epoch", "loss", "violations", "triplets/s", "seconds", "test AUC"], rows: rows) + "</details>\n"
        }
        sections.append(learning + "</section>\n")
        try FileBytes.writeAtomically(path, text: page(title: "Hogwild training report", header: header, sections: sections, date: date))
    }

    // MARK: bench

    /// Writes the `bench --report-html` page (table, speedup and throughput against threads), or
    /// with a `.svg` name the speedup chart alone.
    static func writeBench(_ rows: [BenchRow], header: [(String, String)], memory: String, to path: String, date: Date = Date()) throws {
        let counts = rows.map(\.threads)
        let first = counts.first ?? 1
        var speedup = SVGLineChart(title: "Speedup", xLabel: "threads", yLabel: "speedup over \(first) thread\(first == 1 ? "" : "s")",
                                   series: [.init(label: "measured (median)", points: rows.map { (Double($0.threads), $0.speedup) }),
                                            .init(label: "ideal (linear)", points: rows.map { (Double($0.threads), Double($0.threads) / Double(first)) },
                                                  color: "#999999", dashed: true, markers: false)])
        speedup.yIncludesZero = true
        threadAxis(&speedup, counts: counts)
        let repeats = rows.map(\.runs.count).max() ?? 1
        var throughput = SVGLineChart(title: "Training throughput", xLabel: "threads", yLabel: "M triplets/s",
                                      series: [.init(label: repeats > 1 ? "median of \(repeats) runs" : "measured",
                                                     points: rows.map { (Double($0.threads), $0.tripletsPerSecond / 1e6) }, color: SVGLineChart.palette[3])])
        if repeats > 1 {
            throughput.series.append(.init(label: "each run", points: rows.flatMap { r in r.runs.map { (Double(r.threads), $0 / 1e6) } },
                                           color: "#777777", connected: false))
        }
        throughput.yIncludesZero = true
        threadAxis(&throughput, counts: counts)
        if wantsSVG(path) { return try FileBytes.writeAtomically(path, text: speedup.svg()) }
        let tableRows: [(String, [String])] = rows.map { r in
            ("row", [cell("\(r.threads)"), cell(millions(r.tripletsPerSecond), value: r.tripletsPerSecond),
                     cell(String(format: "%.2f×", r.speedup), value: r.speedup), cell(fixed(100 * r.efficiency, 1) + " %", value: r.efficiency),
                     cell(r.runs.map { millions($0) }.joined(separator: ", "))])
        }
        let section = "<section>\n<h2>Throughput by thread count</h2>\n"
            + table("bench", head: ["threads", "triplets/s", "speedup", "efficiency", "runs"], rows: tableRows)
            + "<p class=\"note\">Memory: \(markupEscape(memory)).</p>\n" + charts([speedup, throughput]) + "</section>\n"
        try FileBytes.writeAtomically(path, text: page(title: "Hogwild training benchmark", header: header, sections: [section], date: date))
    }

    /// Writes the `bench --kernels --report-html` page (ns per operation against dimension), or
    /// with a `.svg` name the chart alone.
    static func writeKernelBench(_ rows: [KernelBench.Row], header: [(String, String)], to path: String, date: Date = Date()) throws {
        let dims = Array(Set(rows.map(\.dim))).sorted()
        let kernels = KernelBench.kernels.filter { k in rows.contains { $0.kernel == k } }
        var chart = SVGLineChart(title: "Kernel cost by dimension", xLabel: "dimension", yLabel: "ns per operation",
                                 series: kernels.map { k in .init(label: k, points: rows.filter { $0.kernel == k }.map { (Double($0.dim), $0.nsPerOp) }) })
        chart.yIncludesZero = true
        chart.xIntegers = true
        if let lo = dims.first, let hi = dims.last, hi >= 4 * lo { chart.xScale = .log2 }
        if dims.count <= 12 { chart.xTicks = dims.map(Double.init) }
        chart.width = 640
        chart.height = 360
        if wantsSVG(path) { return try FileBytes.writeAtomically(path, text: chart.svg()) }
        let tableRows: [(String, [String])] = kernels.map { k in
            ("row", [cell(k)] + dims.map { d in
                rows.first { $0.kernel == k && $0.dim == d }.map { cell(String(format: "%.2f ns", $0.nsPerOp), value: $0.nsPerOp) } ?? cell("")
            })
        }
        let section = "<section>\n<h2>Nanoseconds per operation</h2>\n"
            + table("kernels", head: ["kernel"] + dims.map { "dim \($0)" }, rows: tableRows) + charts([chart]) + "</section>\n"
        try FileBytes.writeAtomically(path, text: page(title: "Hogwild kernel benchmark", header: header, sections: [section], date: date))
    }

    /// Writes the `bench --evaluator --report-html` page (GFLOP/s and speedup against threads), or
    /// with a `.svg` name the GFLOP/s chart alone.
    static func writeEvaluatorBench(_ rows: [EvaluatorBenchRow], header: [(String, String)], to path: String, date: Date = Date()) throws {
        let counts = rows.map(\.threads)
        let first = counts.first ?? 1
        let repeats = rows.map(\.runs.count).max() ?? 1
        var gflops = SVGLineChart(title: "Evaluator scoring throughput", xLabel: "threads", yLabel: "GFLOP/s",
                                  series: [.init(label: repeats > 1 ? "median of \(repeats) runs" : "measured",
                                                 points: rows.map { (Double($0.threads), $0.gflops) })])
        gflops.yIncludesZero = true
        threadAxis(&gflops, counts: counts)
        var speedup = SVGLineChart(title: "Speedup", xLabel: "threads", yLabel: "speedup over \(first) thread\(first == 1 ? "" : "s")",
                                   series: [.init(label: "measured (median)", points: rows.map { (Double($0.threads), $0.speedup) }, color: SVGLineChart.palette[3]),
                                            .init(label: "ideal (linear)", points: rows.map { (Double($0.threads), Double($0.threads) / Double(first)) },
                                                  color: "#999999", dashed: true, markers: false)])
        speedup.yIncludesZero = true
        threadAxis(&speedup, counts: counts)
        if wantsSVG(path) { return try FileBytes.writeAtomically(path, text: gflops.svg()) }
        let tableRows: [(String, [String])] = rows.map { r in
            ("row", [cell("\(r.threads)"), cell(String(format: "%.3f", r.seconds), value: r.seconds), cell(String(format: "%.1f", r.gflops), value: r.gflops),
                     cell(String(format: "%.2f G", r.scoresPerSecond / 1e9), value: r.scoresPerSecond), cell(String(format: "%.2f×", r.speedup), value: r.speedup)])
        }
        let section = "<section>\n<h2>Scoring throughput by thread count</h2>\n"
            + table("evaluator", head: ["threads", "seconds", "GFLOP/s", "scores/s", "speedup"], rows: tableRows)
            + charts([gflops, speedup]) + "</section>\n"
        try FileBytes.writeAtomically(path, text: page(title: "Hogwild evaluator benchmark", header: header, sections: [section], date: date))
    }
}
