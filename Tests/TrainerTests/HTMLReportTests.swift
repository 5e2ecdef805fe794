import Foundation
import HogwildTestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The elements of an XML document in document order, with their attributes, their own text,
/// and the index of their parent.
private final class XMLCollector: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var parent: Int?
        var text = ""
    }

    var elements: [Element] = []
    private var open: [Int] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        elements.append(Element(name: elementName, attributes: attributeDict, parent: open.last))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let current = open.last { elements[current].text += string }
    }
}

private typealias Element = XMLCollector.Element

/// `text` parsed with Foundation's XMLParser; a test failure naming the parser's error and
/// position when it is not well-formed.
private func parseXML(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Element] {
    let parser = XMLParser(data: Data(text.utf8))
    let collector = XMLCollector()
    parser.delegate = collector
    let parsed = parser.parse()
    try #require(parsed, "\(what) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error") at line \(parser.lineNumber), column \(parser.columnNumber)",
                 sourceLocation: sourceLocation)
    return collector.elements
}

/// Every block parsed on its own, the elements joined in one list (parents kept right).
private func parseBlocks(_ blocks: [String], of what: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Element] {
    var all: [Element] = []
    for (i, block) in blocks.enumerated() {
        let offset = all.count
        all += try parseXML(block, "SVG block \(i + 1) of \(what)", sourceLocation: sourceLocation).map { e in
            var e = e
            e.parent = e.parent.map { $0 + offset }
            return e
        }
    }
    return all
}

/// The `<svg>…</svg>` blocks of an HTML page, in order.
private func svgBlocks(_ html: String) -> [String] {
    var blocks: [String] = []
    var rest = html.startIndex..<html.endIndex
    while let start = html.range(of: "<svg", range: rest),
          let end = html.range(of: "</svg>", range: start.upperBound..<html.endIndex) {
        blocks.append(String(html[start.lowerBound..<end.upperBound]))
        rest = end.upperBound..<html.endIndex
    }
    return blocks
}

/// The polylines drawn for the series labelled `label`.
private func polylines(_ elements: [Element], _ label: String) -> [Element] {
    elements.filter { $0.name == "polyline" && $0.attributes["data-series"] == label }
}

/// The "x,y" pairs of a polyline's `points`.
private func points(_ polyline: Element) -> [Substring] {
    (polyline.attributes["points"] ?? "").split(separator: " ")
}

/// The tooltips of the markers of the series labelled `label` (their `<title>` text).
private func markerTitles(_ elements: [Element], _ label: String) -> [String] {
    elements.indices.filter { i in
        elements[i].name == "title" && elements[i].text.hasPrefix("\(label): ")
            && elements[i].parent.map { elements[$0].name == "circle" } == true
    }.map { elements[$0].text }
}

/// Checks that every number the charts place is finite (no "nan", no "inf" coordinates).
private func expectFiniteGeometry(_ elements: [Element], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for e in elements {
        var numbers: [Substring] = []
        if e.name == "polyline" { numbers = (e.attributes["points"] ?? "").split { $0 == " " || $0 == "," } }
        if e.name == "circle" { numbers = [e.attributes["cx"], e.attributes["cy"]].compactMap { $0.map { Substring($0) } } }
        if e.name == "line" { numbers = ["x1", "y1", "x2", "y2"].compactMap { e.attributes[$0].map { Substring($0) } } }
        for n in numbers where !(Double(n).map(\.isFinite) ?? false) {
            Issue.record("\(what): \(e.name) has a coordinate '\(n)'", sourceLocation: sourceLocation)
        }
    }
}

/// Checks that a page needs nothing from outside: no scripts, links, imports or URLs other than
/// the SVG namespace.
private func expectSelfContained(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let lower = html.lowercased()
    for banned in ["<script", "<link", "@import", "url(", " src=", " href=", "@font-face", "<iframe", "<img"] {
        #expect(!lower.contains(banned), "the page contains \(banned)", sourceLocation: sourceLocation)
    }
    let urls = lower.components(separatedBy: "http").dropFirst().filter { !$0.hasPrefix("://www.w3.org/2000/svg\"") }
    #expect(urls.isEmpty, "the page names URLs other than the SVG namespace: \(urls.map { "http" + $0.prefix(40) })",
            sourceLocation: sourceLocation)
}

/// The figures of one evaluation in a `--report` file, decoded with JSONDecoder (which reads
/// doubles exactly; JSONSerialization can be an ulp off on Linux).
private struct Figures: Decodable {
    var auc, precisionAtK, recallAtK, mapAtK, ndcgAtK, hitRateAtK, coverage: Double
    var usersEvaluated: Int

    enum CodingKeys: String, CodingKey {
        case auc, coverage
        case precisionAtK = "precision_at_k", recallAtK = "recall_at_k", mapAtK = "map_at_k", ndcgAtK = "ndcg_at_k"
        case hitRateAtK = "hit_rate_at_k", usersEvaluated = "users_evaluated"
    }

    /// Metric name (as in the table's `data-metric`) → value.
    var values: [(String, Double)] {
        [("auc", auc), ("precision_at_k", precisionAtK), ("recall_at_k", recallAtK), ("map_at_k", mapAtK),
         ("ndcg_at_k", ndcgAtK), ("hit_rate_at_k", hitRateAtK), ("coverage", coverage), ("users_evaluated", Double(usersEvaluated))]
    }
}

/// The parts of `train --report` the page is checked against.
private struct TrainReport: Decodable {
    struct Epoch: Decodable { var epoch: Int; var auc: Double? }
    var metrics: Figures
    var baselines: [String: Figures]?
    var history: [Epoch]

    init(_ url: URL) throws { self = try JSONDecoder().decode(TrainReport.self, from: Data(contentsOf: url)) }
}

/// A row of `bench --report`.
private struct BenchReportRow: Decodable {
    var threads: Int
    var tripletsPerSecond: Double
    enum CodingKeys: String, CodingKey { case threads, tripletsPerSecond = "triplets_per_second" }
}

/// The metric cells of the page's metrics table: row name → metric → (data-value, shown text).
private func metricsTable(_ elements: [Element]) -> [String: [String: (value: Double?, shown: String)]] {
    var table: [String: [String: (value: Double?, shown: String)]] = [:]
    var row: String? = nil
    for e in elements {
        if e.name == "tr" { row = nil }
        if e.name == "td", let name = e.attributes["data-row"] { row = name }
        if e.name == "td", let metric = e.attributes["data-metric"], let row {
            table[row, default: [:]][metric] = (e.attributes["data-value"].flatMap(Double.init), e.text)
        }
    }
    return table
}

/// Checks that a row of the metrics table holds exactly the figures of a report's evaluation,
/// and shows them as the console does.
private func expectRow(_ row: [String: (value: Double?, shown: String)]?, equals figures: Figures, _ name: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
    let row = try #require(row, "the metrics table has no \(name) row", sourceLocation: sourceLocation)
    for (key, expected) in figures.values {
        let cell = try #require(row[key], "\(name) row has no \(key) cell", sourceLocation: sourceLocation)
        #expect(cell.value == expected, "\(name) \(key): table \(cell.value.map { "\($0)" } ?? "nil"), report \(expected)",
                sourceLocation: sourceLocation)
        let shown = key == "coverage" ? String(format: "%.1f %%", 100 * expected)
            : key == "users_evaluated" ? "\(Int(expected))" : String(format: "%.4f", expected)
        #expect(cell.shown == shown, "\(name) \(key) is shown as '\(cell.shown)', expected '\(shown)'", sourceLocation: sourceLocation)
    }
}

/// The per-epoch test AUC of a report's history, as the markers' tooltips show them.
private func aucTooltips(_ report: TrainReport) -> [String] {
    report.history.compactMap { e in e.auc.map { "test AUC: epoch \(e.epoch), \(String(format: "%.4g", $0))" } }
}

/// `perf/render_report.sh` in this checkout.
private let renderScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("perf/render_report.sh")

/// Whether `rsvg-convert` is on the PATH (the suite never installs it; the script would).
private let rsvgAvailable = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    .contains { FileManager.default.isExecutableFile(atPath: "\($0)/rsvg-convert") }

@Suite("--report-html writes pages and SVG charts people can read")
struct HTMLReportTests {
    @Test("train --report-html: well-formed, self-contained page; metrics equal --report; one AUC point per evaluated epoch", .needsMovieLens, .tags(.movieLens))
    func trainingPage() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "3", "--eval-every", "1", "--threads", "1",
                                    "--baseline", "popularity", "--report", "r.json", "--report-html", "r.html"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let html = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
            let report = try TrainReport(dir.appendingPathComponent("r.json"))
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            expectSelfContained(html)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.html.tmp-\(getpid())").path))

            // The page as a whole is well-formed XML, and so is each inline SVG on its own.
            let page = try parseXML(html, "r.html")
            for text in ["ml-100k: 943 users, 1682 items", "dim 64, full softmax loss", "date"] {
                #expect(page.contains { ($0.name == "dd" || $0.name == "dt") && $0.text.contains(text) }, "the header lacks '\(text)'")
            }
            let blocks = svgBlocks(html)
            #expect(blocks.count == 4, "expected 4 charts (loss, violations, AUC, throughput), found \(blocks.count)")
            let charts = try parseBlocks(blocks, of: "r.html")
            expectFiniteGeometry(charts, "r.html")

            for label in ["training loss", "violation share", "test AUC", "triplets per second"] {
                let lines = polylines(charts, label)
                #expect(lines.count == 1, "expected one polyline for \(label), found \(lines.count)")
                #expect(lines.first.map(points)?.count == 3, "the \(label) polyline has \(lines.first.map(points)?.count ?? 0) points, not 3")
            }
            #expect(markerTitles(charts, "test AUC") == aucTooltips(report), "the AUC markers do not show the report's per-epoch AUC")

            // The metrics table holds exactly the report's figures, for the model and the baseline.
            let table = metricsTable(page)
            try expectRow(table["model"], equals: report.metrics, "model")
            try expectRow(table["popularity"], equals: try #require(report.baselines?["popularity"]), "popularity")
            #expect(table.count == 2, "rows: \(table.keys.sorted())")
        }
    }

    @Test("train --report-html FILE.svg: one well-formed SVG image with the loss and AUC panels", .needsMovieLens, .tags(.movieLens))
    func trainingSVG() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "3", "--eval-every", "1", "--threads", "1",
                                    "--report", "r.json", "--report-html", "r.svg"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let svg = try String(contentsOf: dir.appendingPathComponent("r.svg"), encoding: .utf8)
            let elements = try parseXML(svg, "r.svg")
            #expect(elements.first?.name == "svg" && elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg",
                    "r.svg's root is \(elements.first?.name ?? "nothing"), not an SVG element")
            #expect(!elements.contains { $0.name == "html" || $0.name == "body" })
            #expect(elements.filter { $0.name == "svg" }.count == 1, "the image should be one SVG")
            expectFiniteGeometry(elements, "r.svg")
            #expect(polylines(elements, "training loss").first.map(points)?.count == 3)
            #expect(polylines(elements, "test AUC").first.map(points)?.count == 3)
            #expect(polylines(elements, "violation share").isEmpty, "the SVG image holds only the loss and AUC panels")
            let report = try TrainReport(dir.appendingPathComponent("r.json"))
            #expect(markerTitles(elements, "test AUC") == aucTooltips(report))
        }
    }

    @Test("bench --report-html: well-formed page with speedup (and the ideal diagonal) and throughput at 2 thread counts", .needsMovieLens, .tags(.movieLens))
    func benchPage() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["bench", "--threads", "1,2", "--epochs", "1", "--repeats", "1", "--report", "b.json",
                                    "--report-html", "b.html"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let html = try String(contentsOf: dir.appendingPathComponent("b.html"), encoding: .utf8)
            expectSelfContained(html)
            let page = try parseXML(html, "b.html")
            let blocks = svgBlocks(html)
            #expect(blocks.count == 2, "expected speedup and throughput charts, found \(blocks.count)")
            let charts = try parseBlocks(blocks, of: "b.html")
            expectFiniteGeometry(charts, "b.html")
            for label in ["measured (median)", "ideal (linear)", "measured"] {
                let lines = polylines(charts, label)
                #expect(lines.count == 1 && lines.first.map(points)?.count == 2, "\(label): \(lines.map { points($0).count }) points, expected one polyline of 2")
            }
            // The table has one row per thread count, with the report's throughput.
            let rows = try JSONDecoder().decode([BenchReportRow].self, from: Data(contentsOf: dir.appendingPathComponent("b.json")))
            let shown = page.filter { $0.name == "tr" && $0.attributes["class"] == "row" }
            #expect(shown.count == rows.count && rows.count == 2)
            let rates = page.filter { $0.name == "td" && $0.text.hasSuffix(" M") && $0.attributes["data-value"] != nil }
                .compactMap { $0.attributes["data-value"].flatMap(Double.init) }
            #expect(rates == rows.map(\.tripletsPerSecond), "the table's throughput differs from b.json")
            #expect(rows.map(\.threads) == [1, 2])
        }
    }

    @Test("a single epoch and a single thread count still draw a visible point, with finite coordinates")
    func singlePoints() throws {
        try withTemporaryDirectory { dir in
            let t = try runHogwild(["train", "--data", "synthetic", "--epochs", "1", "--threads", "1", "--quiet",
                                    "--report-html", "one.svg"], in: dir)
            try #require(t.terminationReason == .exit && t.status == 0, "\(t)")
            let train = try parseXML(try String(contentsOf: dir.appendingPathComponent("one.svg"), encoding: .utf8), "one.svg")
            expectFiniteGeometry(train, "one.svg")
            for label in ["training loss", "test AUC"] {
                #expect(polylines(train, label).first.map(points)?.count == 1)
                #expect(markerTitles(train, label).count == 1, "the lone \(label) point has no marker")
            }

            let b = try runHogwild(["bench", "--data", "synthetic", "--threads", "1", "--epochs", "1", "--repeats", "1",
                                    "--report-html", "b1.svg"], in: dir)
            try #require(b.terminationReason == .exit && b.status == 0, "\(b)")
            let bench = try parseXML(try String(contentsOf: dir.appendingPathComponent("b1.svg"), encoding: .utf8), "b1.svg")
            expectFiniteGeometry(bench, "b1.svg")
            #expect(polylines(bench, "measured (median)").first.map(points)?.count == 1)
            #expect(markerTitles(bench, "measured (median)").count == 1)

            // No epochs at all: the page still renders, with the metrics and no charts.
            let z = try runHogwild(["train", "--data", "synthetic", "--epochs", "0", "--quiet", "--report-html", "zero.html"], in: dir)
            try #require(z.terminationReason == .exit && z.status == 0, "\(z)")
            let zero = try String(contentsOf: dir.appendingPathComponent("zero.html"), encoding: .utf8)
            let page = try parseXML(zero, "zero.html")
            #expect(metricsTable(page)["model"]?["auc"] != nil)
            #expect(svgBlocks(zero).isEmpty)
        }
    }

    @Test("bench --evaluator --report-html: GFLOP/s against threads")
    func evaluatorPage() throws {
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["bench", "--evaluator", "--users", "300", "--items", "200", "--threads", "1,2", "--repeats", "1",
                                    "--report-html", "e.html"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let html = try String(contentsOf: dir.appendingPathComponent("e.html"), encoding: .utf8)
            _ = try parseXML(html, "e.html")
            let charts = try parseBlocks(svgBlocks(html), of: "e.html")
            #expect(charts.contains { $0.name == "text" && $0.text == "GFLOP/s" })
            #expect(polylines(charts, "measured").first.map(points)?.count == 2)
            #expect(polylines(charts, "ideal (linear)").first.map(points)?.count == 2)
        }
    }

    @Test("perf/render_report.sh renders the learning curves to a PNG that is not blank", .enabled(if: rsvgAvailable), .needsMovieLens, .tags(.movieLens))
    func rendersNonBlank() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "3", "--eval-every", "1", "--threads", "1", "--quiet",
                                    "--report-html", "r.svg"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [renderScript.path, "r.svg", "r.png"]
            process.currentDirectoryURL = dir
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "render_report.sh failed: \(text)")
            #expect(text.contains("non-white pixels"), "\(text)")
            let png = try readBytes(dir.appendingPathComponent("r.png"))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "r.png is not a PNG")
        }
    }

    @Test("an unwritable --report-html path stops with one line naming it")
    func unwritablePath() throws {
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "synthetic", "--epochs", "1", "--quiet",
                                    "--report-html", "missing-folder/r.html"], in: dir)
            expectOneLineError(r, containing: ["missing-folder/r.html"])
        }
    }
}
