import Dispatch
import Foundation
import Hogwild
import Kernels

/// Single-core micro-benchmarks of the kernels on rows that stay in L1/L2, so the figures are
/// compute costs: nanoseconds per dot product, cosine, or fused triplet step (every step
/// updating: the margin is set high enough that every triplet violates it).
enum KernelBench {
    struct Row: Codable {
        var kernel: String
        var dim: Int
        var nsPerOp: Double
        var runs: [Double]

        enum CodingKeys: String, CodingKey {
            case kernel, dim, runs
            case nsPerOp = "ns_per_op"
        }
    }

    static let kernels = ["dot", "cosine", "cosine-margin step", "dot-margin step", "bpr step"]

    static func run(dims: [Int], repeats: Int) -> [Row] {
        var rows: [Row] = []
        for dim in dims {
            let table = EmbeddingTable(rowCount: 64, dimension: dim)
            table.randomize(seed: 1, standardDeviation: 1 / Float(dim).squareRoot())
            var rng = RandomSource(seed: 2)
            let operations = 2_000_000
            let picks = (0..<(3 * 4096)).map { _ in Int32(rng.next(below: 64)) }
            for kernel in kernels {
                var runs: [Double] = []
                for _ in 0..<repeats {
                    let seconds = table.withUnsafeHandle { t in
                        picks.withUnsafeBufferPointer { pick in
                            time(kernel, t, stride: t.stride, pick: pick, operations: operations)
                        }
                    }
                    runs.append(seconds / Double(operations) * 1e9)
                }
                rows.append(Row(kernel: kernel, dim: dim, nsPerOp: median(runs), runs: runs))
                // Keep every table healthy between kernels (updates move rows).
                table.randomize(seed: 1, standardDeviation: 1 / Float(dim).squareRoot())
            }
        }
        return rows
    }

    private static func time(_ kernel: String, _ t: EmbeddingTable.UnsafeHandle, stride: Int,
                             pick: UnsafeBufferPointer<Int32>, operations: Int) -> Double {
        var sink: Float = 0
        let mask = 4095
        let started = DispatchTime.now().uptimeNanoseconds
        for i in 0..<operations {
            let j = (i & mask) * 3
            var a = Int(pick[j]), b = Int(pick[j + 1]), c = Int(pick[j + 2])
            if b == c { c = (c + 1) & 63 }
            if a == b || a == c { a = (max(b, c) + 1) & 63; if a == b || a == c { a = (a + 1) & 63 } }
            switch kernel {
            case "dot": sink += Vector.dot(t.row(a), t.row(b), count: stride)
            case "cosine": sink += Vector.cosine(t.row(a), t.row(b), count: stride)
            case "cosine-margin step":
                sink += TripletStep.cosineMargin(user: t.row(a), positive: t.row(b), negative: t.row(c), count: stride,
                                                 margin: 3, learningRate: 1e-4, l2: 0)
            case "dot-margin step":
                sink += TripletStep.dotMargin(user: t.row(a), positive: t.row(b), negative: t.row(c), count: stride,
                                              margin: 1e3, learningRate: 1e-6, l2: 1e-3)
            default:
                sink += TripletStep.dotBPR(user: t.row(a), positive: t.row(b), negative: t.row(c), count: stride,
                                           learningRate: 1e-6, l2: 1e-3)
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if sink.isNaN { say("(kernel produced NaN)") }  // keeps `sink` alive
        return seconds
    }
}

/// Peak resident memory of this process, from getrusage.
var peakResidentBytes: Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
