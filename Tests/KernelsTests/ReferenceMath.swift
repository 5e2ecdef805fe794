import Foundation

/// Independent scalar `Double` implementations of every kernel, written from the formulas and
/// sharing no code with `Kernels`. Gradients are checked against central finite differences of
/// these objectives, not against closed forms.
enum Reference {
    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        let na = norm(a), nb = norm(b)
        return na == 0 || nb == 0 ? 0 : dot(a, b) / (na * nb)
    }

    enum Objective { case cosineMargin, dotMargin, dotBPR }

    /// The per-triplet objective including `λ/2·(|u|²+|p|²+|n|²)`.
    static func loss(_ objective: Objective, u: [Double], p: [Double], n: [Double], margin: Double, l2: Double) -> Double {
        let reg = l2 / 2 * (dot(u, u) + dot(p, p) + dot(n, n))
        switch objective {
        case .cosineMargin: return max(0, margin - cosine(u, p) + cosine(u, n)) + reg
        case .dotMargin: return max(0, margin - dot(u, p) + dot(u, n)) + reg
        case .dotBPR:
            let x = dot(u, p) - dot(u, n)
            return log1p(exp(-x)) + reg
        }
    }

    /// Central finite-difference gradient of `loss` with respect to u, p and n.
    static func gradient(_ objective: Objective, u: [Double], p: [Double], n: [Double], margin: Double, l2: Double)
        -> (u: [Double], p: [Double], n: [Double]) {
        let h = 1e-6
        func partials(_ which: Int) -> [Double] {
            let base = [u, p, n][which]
            return base.indices.map { i in
                var plus = [u, p, n], minus = [u, p, n]
                plus[which][i] += h
                minus[which][i] -= h
                let fp = loss(objective, u: plus[0], p: plus[1], n: plus[2], margin: margin, l2: l2)
                let fm = loss(objective, u: minus[0], p: minus[1], n: minus[2], margin: margin, l2: l2)
                return (fp - fm) / (2 * h)
            }
        }
        return (partials(0), partials(1), partials(2))
    }
}

/// Runs `body` with a copy of `values` placed at float offset `offset` of a fresh allocation,
/// so the kernels see misaligned rows too. Returns the values after `body`.
func withRow<R>(_ values: [Float], offset: Int = 0, _ body: (UnsafeMutablePointer<Float>) -> R) -> (R, [Float]) {
    let storage = UnsafeMutablePointer<Float>.allocate(capacity: values.count + offset + 1)
    defer { storage.deallocate() }
    let row = storage + offset
    for (i, v) in values.enumerated() { row[i] = v }
    let result = body(row)
    return (result, (0..<values.count).map { row[$0] })
}

extension Array where Element == Float {
    var doubles: [Double] { map(Double.init) }
}
