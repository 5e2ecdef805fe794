import Foundation
import Kernels

/// What a run will allocate, part by part, in bytes (sums saturate instead of trapping, so an
/// absurd request is reported rather than overflowing).
public struct MemoryEstimate: Sendable, Equatable {
    /// The parts, in the order added: a short name and its bytes.
    public private(set) var parts: [Part] = []

    /// One named part of an estimate.
    public struct Part: Sendable, Equatable {
        /// What it is ("embedding tables", …).
        public var name: String
        /// Its size in bytes.
        public var bytes: Double
    }

    /// An empty estimate.
    public init() {}

    /// Adds `count` elements of `elementBytes` bytes each to the part `name` (nothing for 0).
    public mutating func add(_ name: String, count: Double, elementBytes: Double) {
        let bytes = max(0, count) * elementBytes
        guard bytes > 0 else { return }
        if let same = parts.firstIndex(where: { $0.name == name }) { parts[same].bytes += bytes } else { parts.append(Part(name: name, bytes: bytes)) }
    }

    /// Adds every part of `other`.
    public mutating func add(_ other: MemoryEstimate) {
        for part in other.parts { add(part.name, count: part.bytes, elementBytes: 1) }
    }

    /// The sum of the parts, in bytes.
    public var total: Double { parts.reduce(0) { $0 + $1.bytes } }

    /// The largest parts, largest first, as "tables 1.2 GiB, pairs 300 MiB" (at most three).
    public var largestParts: String {
        parts.sorted { $0.bytes > $1.bytes }.prefix(3).map { "\($0.name) \(MemoryBudget.format($0.bytes))" }.joined(separator: ", ")
    }
}

/// The memory check made before a run allocates its big buffers or trains: an estimate of what
/// it needs (`MemoryEstimate`) against what the process may still use, refused in one line with
/// both figures and what to change. Without it, a request that cannot fit (10¹⁰ synthetic
/// interactions, a binary header claiming 2³¹−1 items, `--dim 8192` on 100 M pairs) starts
/// allocating and ends in a trap ("failed to allocate") or with the OOM killer, possibly after
/// a long load.
public enum MemoryBudget {
    /// The environment variable that sets a memory limit for this process, in bytes (a `K`, `M`
    /// or `G` suffix multiplies by 2¹⁰, 2²⁰, 2³⁰), like a cgroup limit: the process's resident
    /// memory counts against it. For tests, and to keep a run well inside a shared machine.
    public static let limitVariable = "HOGWILD_MEMORY_LIMIT"

    /// What the process may still allocate: the smallest of the cgroup v2 limit (`memory.max`
    /// less `memory.current`), the cgroup v1 limit (`memory.limit_in_bytes` less
    /// `memory.usage_in_bytes`), `MemAvailable` in /proc/meminfo, and `HOGWILD_MEMORY_LIMIT`
    /// less the resident set; with where it comes from. `nil` when none is known (not Linux).
    public static func available(environment: [String: String] = ProcessInfo.processInfo.environment) -> (bytes: Double, source: String)? {
        var best: (bytes: Double, source: String)? = nil
        func consider(_ bytes: Double?, _ source: String) {
            guard let bytes else { return }
            if best == nil || bytes < best!.bytes { best = (max(0, bytes), source) }
        }
        if let text = environment[limitVariable], !text.isEmpty {
            consider(parseSize(text).map { $0 - residentBytes() }, "\(limitVariable)")
        }
        consider(meminfoAvailable(), "MemAvailable")
        for (limit, usage) in cgroupFiles(try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) {
            guard let max = readNumber(limit), max < 1e18 else { continue }  // "max" or v1's huge "unlimited"
            consider(max - (readNumber(usage) ?? 0), "cgroup limit")
        }
        return best
    }

    /// Refuses `estimate` when it exceeds `available` (nothing is refused when that is unknown).
    ///
    /// - Parameters:
    ///   - available: by default, what `available()` finds.
    ///   - what: the run, for the message ("this run", "synth").
    ///   - advice: what to change (by default, for training: fewer threads, a smaller dimension).
    ///   - overrideFlag: the flag that skips the check, named in the message.
    /// - Throws: `HogwildError` "training needs about 9.1 GiB (tables 8.0 GiB, …) but only
    ///   3.2 GiB is available (MemAvailable): use …; --ignore-memory-limit runs it anyway".
    public static func check(_ estimate: MemoryEstimate, available: (bytes: Double, source: String)? = available(), what: String = "this run",
                             advice: String = "use fewer --threads, a smaller --dim or less data",
                             overrideFlag: String = "--ignore-memory-limit") throws {
        guard let available, estimate.total > available.bytes else { return }
        throw HogwildError("\(what) needs about \(format(estimate.total)) (\(estimate.largestParts)) but only \(format(available.bytes)) is available (\(available.source)): \(advice); \(overrideFlag) runs it anyway")
    }

    /// Bytes as "512 MiB" or "3.2 GiB" (or TiB, PiB, "≥ 1 EiB").
    public static func format(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if value >= 1024 { return "≥ 1 EiB" }
        return unit >= 3 ? "\((value * 10).rounded() / 10) \(units[unit])" : "\(Int(value.rounded())) \(units[unit])"
    }

    // MARK: - Estimates

    /// What training allocates once the data is loaded: the tables, the trainer's pairs and
    /// workspaces (the full softmax's workspace and the MLP's weights are per worker), the
    /// early-stopping snapshot and the final evaluation's scratch.
    ///
    /// - Parameters:
    ///   - users, items: the model's rows.
    ///   - pairs: training positives (one `TrainingPair` each in the trainer).
    ///   - validation: whether `--validation-fraction` keeps a second copy of the tables.
    ///   - featureRows: rows of the side-feature tables (hybrid models; 0 otherwise).
    public static func training(users: Int, items: Int, pairs: Int, configuration c: TrainingConfiguration,
                                validation: Bool = false, featureRows: Int = 0) -> MemoryEstimate {
        var e = MemoryEstimate()
        let stride = Double(EmbeddingTable.stride(forDimension: c.dimension))
        let rows = Double(users) + Double(items), workers = Double(c.threads)
        e.add("embedding tables", count: rows * stride, elementBytes: 4)
        e.add("feature tables", count: Double(featureRows) * stride, elementBytes: 4)
        if c.optimizer == .adagrad { e.add("Adagrad accumulators", count: rows, elementBytes: 4) }
        // Pairs, per-user weights and the negative sampler's alias table.
        e.add("training pairs", count: Double(pairs), elementBytes: Double(MemoryLayout<TrainingPair>.stride))
        e.add("user weights and sampler", count: Double(users) + (c.negativeExponent > 0 ? 2 * Double(items) : 0), elementBytes: 8)
        if c.loss == .fullSoftmax {
            let perWorker = Double(FullSoftmaxStep.workspaceCount(itemCount: items, stride: Int(stride)))
            e.add("full-softmax workspaces (one per worker)", count: workers * perWorker, elementBytes: 4)
        }
        if c.matcher == .mlp {
            let hidden = Double(c.hidden)
            let layout = (2 * Double(c.dimension) + 2) * hidden
            e.add("MLP weights", count: layout * (c.denseWeights == .averaged && c.threads > 1 ? 1 + workers : 1), elementBytes: 4)
            e.add("MLP item projections", count: Double(items) * hidden, elementBytes: 4)
        }
        if validation {
            e.add("early-stopping snapshot", count: rows * stride, elementBytes: 4)
            e.add("validation split", count: Double(pairs) + 2 * Double(users), elementBytes: 8)
        }
        // Evaluation: item panels, and per worker a 64-user block of scores over every item
        // (`AUCEvaluator.userBlock`) with its masks; per user, the figures.
        let padded = Double(items) + 64
        e.add("evaluation", count: padded * Double(c.dimension) * 4 + workers * (Double(AUCEvaluator.userBlock) * padded * 4 + 2 * padded)
                + Double(users) * 48, elementBytes: 1)
        return e
    }

    /// What reading a text interaction file of `bytes` bytes allocates: the file itself (read
    /// whole), the parsed records and the matrices built from them — 3 bytes per byte of file,
    /// a little above the 2.5 measured at the peak for short `user,item` lines (a 47 MB CSV of
    /// 4 M lines: 117 MB above the process's baseline), where records are densest.
    public static func textFile(bytes: Int) -> MemoryEstimate {
        var e = MemoryEstimate()
        e.add("text file", count: Double(bytes), elementBytes: 1)
        e.add("parsed records", count: Double(bytes), elementBytes: textBytesPerFileByte)
        return e
    }

    /// What loading `source` allocates: a generated set's arrays, a binary file's bytes (read
    /// into its matrices as they are), or each text file's `textFile(bytes:)`. Files that cannot
    /// be read count nothing here; loading them reports why.
    public static func loading(_ source: DataSource) -> MemoryEstimate {
        if let spec = source.synthetic { return synthetic(spec) }
        var e = MemoryEstimate()
        for path in [source.trainFile, source.testFile].compactMap({ $0 }) {
            guard let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int else { continue }
            if InteractionFile.isInteractionFile(path) {
                e.add("binary interaction file", count: Double(bytes), elementBytes: 1)
            } else {
                e.add(textFile(bytes: bytes))
            }
        }
        return e
    }

    /// Bytes of records and matrices per byte of text file (see `textFile(bytes:)`).
    static let textBytesPerFileByte = 2.0

    /// What `SyntheticData.generate` allocates for `spec` at its peak: per item its popularity,
    /// cluster and alias tables; per user its activity, offsets and counts; per interaction the
    /// drawn items twice (the blocks, then the assembled matrices).
    public static func synthetic(_ spec: SyntheticSpec) -> MemoryEstimate {
        var e = MemoryEstimate()
        e.add("items", count: Double(spec.items), elementBytes: 64)
        e.add("users", count: Double(spec.users), elementBytes: 48)
        e.add("interactions", count: Double(spec.interactions), elementBytes: 8)
        return e
    }

    // MARK: - Reading the limits

    /// `"123"`, `"512M"`, `"2G"` → bytes.
    static func parseSize(_ text: String) -> Double? {
        let multipliers: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        var body = Substring(text.trimmingCharacters(in: .whitespaces)), scale = 1.0
        if let last = body.last?.uppercased().first, let m = multipliers[last] { scale = m; body = body.dropLast() }
        guard let value = Double(body), value.isFinite, value >= 0 else { return nil }
        return value * scale
    }

    /// The first number in a file (`nil` when it cannot be read or holds "max").
    static func readNumber(_ path: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Double(text.split(whereSeparator: \.isWhitespace).first ?? "")
    }

    /// `MemAvailable` from /proc/meminfo, in bytes.
    static func meminfoAvailable() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kib = Double(fields[1]) { return kib * 1024 }
        }
        return nil
    }

    /// The resident set of this process, in bytes (0 when unknown).
    static func residentBytes() -> Double {
        guard let pages = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " "),
              pages.count >= 2, let resident = Double(pages[1]) else { return 0 }
        return resident * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Candidate (limit, usage) files, every one that exists counting: this process's cgroup
    /// (v2 `0::path`, v1 `n:memory:path` in /proc/self/cgroup) and the mount's root, which inside
    /// a container is often the container's own group.
    static func cgroupFiles(_ procSelfCgroup: String?) -> [(limit: String, usage: String)] {
        var files: [(limit: String, usage: String)] = []
        if let text = procSelfCgroup {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count == 3, fields[2] != "/" else { continue }
                if fields[1].isEmpty {
                    files.append(("/sys/fs/cgroup\(fields[2])/memory.max", "/sys/fs/cgroup\(fields[2])/memory.current"))
                } else if fields[1].split(separator: ",").contains("memory") {
                    files.append(("/sys/fs/cgroup/memory\(fields[2])/memory.limit_in_bytes", "/sys/fs/cgroup/memory\(fields[2])/memory.usage_in_bytes"))
                }
            }
        }
        files.append(("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"))
        files.append(("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"))
        return files
    }
}
