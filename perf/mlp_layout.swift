// Which weight layout makes the MLP matcher's triplet step faster? A self-contained single-core
// micro-benchmark of two implementations of the same SGD step (hinge loss, dim 64, hidden 128):
//
//   row     Wu, Wi row-major (hidden rows of dim floats): forward = one fused dot per hidden unit
//           (two horizontal sums each); backward = axpys per *active* hidden unit (inactive units
//           skipped). This is Sources/Kernels/MLPStep.swift, transcribed.
//   column  Wu, Wi column-major (dim rows of hidden floats): forward = axpy per input coordinate
//           into 6 register accumulators per 32-unit block (no horizontal sums); backward = three
//           dots per input coordinate and dense axpys over all units.
//
// Both run the same triplets on identical weights; the script checks they agree, then reports
// ns per step with every triplet violating (forward + backward) and with none (forward only).
// Usage: swiftc -O -target-cpu native perf/mlp_layout.swift -o /tmp/mlp_layout && /tmp/mlp_layout

typealias Lane = SIMD16<Float>
let W = Lane.scalarCount

@inline(__always) func load(_ p: UnsafePointer<Float>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }
@inline(__always) func store(_ v: Lane, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }
@inline(__always) func relu(_ x: Float) -> Float { x < 0 ? 0 : x }

struct Splitmix {
    var s: UInt64
    mutating func next() -> Float {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float((z ^ (z >> 31)) >> 40) * 0x1p-24 * 2 - 1
    }
}

let d = 64, H = 128, rows = 256
let scratchCount = 2 * H + 3 * d

/// Row-major step (MLPStep.triplet's algorithm).
@inline(never)
func rowStep(_ wu: UnsafeMutablePointer<Float>, _ wi: UnsafeMutablePointer<Float>, _ b1: UnsafeMutablePointer<Float>,
             _ w2: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>,
             _ u: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>, _ n: UnsafeMutablePointer<Float>,
             margin: Float, lr: Float) -> Float {
    let zps = s, zns = s + H, ug = s + 2 * H, pg = ug + d, ng = pg + d
    var sp: Float = 0, sn: Float = 0
    for h in 0..<H {
        var a = Lane(), bp = Lane(), bn = Lane()
        var k = 0
        while k < d {
            let vu = load(wu + h * d + k), vi = load(wi + h * d + k)
            a = a.addingProduct(vu, load(u + k)); bp = bp.addingProduct(vi, load(p + k)); bn = bn.addingProduct(vi, load(n + k))
            k += W
        }
        let zp = b1[h] + (a + bp).sum(), zn = b1[h] + (a + bn).sum()
        zps[h] = zp; zns[h] = zn
        sp += w2[h] * relu(zp); sn += w2[h] * relu(zn)
    }
    let loss = margin - sp + sn
    if loss <= 0 { return 0 }
    let g: Float = -1
    var k = 0
    while k < d { store(Lane(), ug + k); store(Lane(), pg + k); store(Lane(), ng + k); k += W }
    for h in 0..<H {
        let zp = zps[h], zn = zns[h], o = w2[h]
        w2[h] = o - lr * g * (relu(zp) - relu(zn))
        let dp: Float = zp > 0 ? g * o : 0, dn: Float = zn > 0 ? -g * o : 0
        if dp != 0 || dn != 0 {
            let du = dp + dn
            b1[h] -= lr * du
            let vdu = Lane(repeating: du), vdp = Lane(repeating: dp), vdn = Lane(repeating: dn)
            let su = Lane(repeating: -lr * du), spp = Lane(repeating: -lr * dp), snn = Lane(repeating: -lr * dn)
            k = 0
            while k < d {
                let vwu = load(wu + h * d + k), vwi = load(wi + h * d + k)
                store(load(ug + k).addingProduct(vdu, vwu), ug + k)
                store(load(pg + k).addingProduct(vdp, vwi), pg + k)
                store(load(ng + k).addingProduct(vdn, vwi), ng + k)
                store(vwu.addingProduct(su, load(u + k)), wu + h * d + k)
                store(vwi.addingProduct(spp, load(p + k)).addingProduct(snn, load(n + k)), wi + h * d + k)
                k += W
            }
        }
    }
    let step = Lane(repeating: -lr)
    k = 0
    while k < d {
        store(load(u + k).addingProduct(step, load(ug + k)), u + k)
        store(load(p + k).addingProduct(step, load(pg + k)), p + k)
        store(load(n + k).addingProduct(step, load(ng + k)), n + k)
        k += W
    }
    return loss
}

/// Column-major step: wuT[k·H + h] = Wu[h][k].
@inline(never)
func columnStep(_ wuT: UnsafeMutablePointer<Float>, _ wiT: UnsafeMutablePointer<Float>, _ b1: UnsafeMutablePointer<Float>,
                _ w2: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>,
                _ u: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>, _ n: UnsafeMutablePointer<Float>,
                margin: Float, lr: Float) -> Float {
    let zps = s, zns = s + H, ug = s + 2 * H, pg = ug + d, ng = pg + d
    var spv = Lane(), snv = Lane()
    var block = 0
    while block < H {  // 32 hidden units (two lanes) per block, six register accumulators
        var a0 = load(b1 + block), a1 = load(b1 + block + W)
        var p0 = Lane(), p1 = Lane(), n0 = Lane(), n1 = Lane()
        for k in 0..<d {
            let bu = Lane(repeating: u[k]), bp = Lane(repeating: p[k]), bn = Lane(repeating: n[k])
            let cu = wuT + k * H + block, ci = wiT + k * H + block
            let u0 = load(cu), u1 = load(cu + W), i0 = load(ci), i1 = load(ci + W)
            a0 = a0.addingProduct(bu, u0); a1 = a1.addingProduct(bu, u1)
            p0 = p0.addingProduct(bp, i0); p1 = p1.addingProduct(bp, i1)
            n0 = n0.addingProduct(bn, i0); n1 = n1.addingProduct(bn, i1)
        }
        let zp0 = a0 + p0, zp1 = a1 + p1, zn0 = a0 + n0, zn1 = a1 + n1
        store(zp0, zps + block); store(zp1, zps + block + W); store(zn0, zns + block); store(zn1, zns + block + W)
        let o0 = load(w2 + block), o1 = load(w2 + block + W)
        spv = spv.addingProduct(o0, zp0.replacing(with: 0, where: zp0 .< 0)).addingProduct(o1, zp1.replacing(with: 0, where: zp1 .< 0))
        snv = snv.addingProduct(o0, zn0.replacing(with: 0, where: zn0 .< 0)).addingProduct(o1, zn1.replacing(with: 0, where: zn1 .< 0))
        block += 2 * W
    }
    let loss = margin - spv.sum() + snv.sum()
    if loss <= 0 { return 0 }
    let g: Float = -1
    // δ vectors over hidden units (reuse the pre-activation buffers), w2 and b1 updates.
    let dps = zps, dns = zns
    var h = 0
    while h < H {
        let zp = load(zps + h), zn = load(zns + h), o = load(w2 + h)
        let rp = zp.replacing(with: 0, where: zp .< 0), rn = zn.replacing(with: 0, where: zn .< 0)
        store(o - Lane(repeating: lr * g) * (rp - rn), w2 + h)
        let dp = (Lane(repeating: g) * o).replacing(with: 0, where: .!(zp .> 0))
        let dn = (Lane(repeating: -g) * o).replacing(with: 0, where: .!(zn .> 0))
        store(load(b1 + h) - Lane(repeating: lr) * (dp + dn), b1 + h)
        store(dp, dps + h); store(dn, dns + h)
        h += W
    }
    for k in 0..<d {
        var gu = Lane(), gp = Lane(), gn = Lane()
        let bu = Lane(repeating: -lr * u[k]), bp = Lane(repeating: -lr * p[k]), bn = Lane(repeating: -lr * n[k])
        let cu = wuT + k * H, ci = wiT + k * H
        h = 0
        while h < H {
            let dp = load(dps + h), dn = load(dns + h), du = dp + dn
            let vu = load(cu + h), vi = load(ci + h)
            gu = gu.addingProduct(du, vu); gp = gp.addingProduct(dp, vi); gn = gn.addingProduct(dn, vi)
            store(vu.addingProduct(bu, du), cu + h)
            store(vi.addingProduct(bp, dp).addingProduct(bn, dn), ci + h)
            h += W
        }
        ug[k] = gu.sum(); pg[k] = gp.sum(); ng[k] = gn.sum()
    }
    for k in 0..<d { u[k] -= lr * ug[k]; p[k] -= lr * pg[k]; n[k] -= lr * ng[k] }
    return loss
}

func nanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

#if canImport(Glibc)
import Glibc
#endif

func buffer(_ count: Int, _ rng: inout Splitmix, scale: Float) -> UnsafeMutablePointer<Float> {
    let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
    for i in 0..<count { b[i] = rng.next() * scale }
    return b
}

var rng = Splitmix(s: 1)
let wu = buffer(H * d, &rng, scale: 0.2), wi = buffer(H * d, &rng, scale: 0.2)
let b1 = buffer(H, &rng, scale: 0.1), w2 = buffer(H, &rng, scale: 0.1)
let table = buffer(rows * d, &rng, scale: 0.3)
let wuT = UnsafeMutablePointer<Float>.allocate(capacity: H * d), wiT = UnsafeMutablePointer<Float>.allocate(capacity: H * d)
let b1c = UnsafeMutablePointer<Float>.allocate(capacity: H), w2c = UnsafeMutablePointer<Float>.allocate(capacity: H)
let tableC = UnsafeMutablePointer<Float>.allocate(capacity: rows * d)
let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount), scratchC = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
func reset() {
    var r = Splitmix(s: 1)
    for i in 0..<(H * d) { wu[i] = r.next() * 0.2 }
    for i in 0..<(H * d) { wi[i] = r.next() * 0.2 }
    for i in 0..<H { b1[i] = r.next() * 0.1 }
    for i in 0..<H { w2[i] = r.next() * 0.1 }
    for i in 0..<(rows * d) { table[i] = r.next() * 0.3 }
    for h in 0..<H { for k in 0..<d { wuT[k * H + h] = wu[h * d + k]; wiT[k * H + h] = wi[h * d + k] } }
    b1c.update(from: b1, count: H); w2c.update(from: w2, count: H); tableC.update(from: table, count: rows * d)
}
@inline(__always) func triplet(_ i: Int) -> (Int, Int, Int) { ((i &* 7) & 127, 128 + ((i &* 13) & 63), 192 + ((i &* 29) & 63)) }

// Agreement: a few hundred violated steps on both layouts give the same tables (to rounding).
reset()
var maxDiff: Float = 0
for i in 0..<300 {
    let (a, b, c) = triplet(i)
    let l1 = rowStep(wu, wi, b1, w2, scratch, table + a * d, table + b * d, table + c * d, margin: 100, lr: 1e-3)
    let l2 = columnStep(wuT, wiT, b1c, w2c, scratchC, tableC + a * d, tableC + b * d, tableC + c * d, margin: 100, lr: 1e-3)
    maxDiff = max(maxDiff, abs(l1 - l2))
}
for i in 0..<(rows * d) { maxDiff = max(maxDiff, abs(table[i] - tableC[i])) }
print("agreement: max |row − column| over losses and rows after 300 steps = \(maxDiff)")

let steps = 400_000
for (name, margin) in [("forward + backward (every triplet violates)", Float(100)), ("forward only (every triplet satisfied)", Float(-1e9))] {
    var best = (Double.infinity, Double.infinity)
    for _ in 0..<5 {
        reset()
        var sink: Float = 0
        var t0 = nanoseconds()
        for i in 0..<steps {
            let (a, b, c) = triplet(i)
            sink += rowStep(wu, wi, b1, w2, scratch, table + a * d, table + b * d, table + c * d, margin: margin, lr: 1e-6)
        }
        let row = Double(nanoseconds() - t0) / Double(steps)
        t0 = nanoseconds()
        for i in 0..<steps {
            let (a, b, c) = triplet(i)
            sink += columnStep(wuT, wiT, b1c, w2c, scratchC, tableC + a * d, tableC + b * d, tableC + c * d, margin: margin, lr: 1e-6)
        }
        let column = Double(nanoseconds() - t0) / Double(steps)
        best = (min(best.0, row), min(best.1, column))
        if sink.isNaN { print("NaN") }
    }
    print("\(name): row-major \(Int(best.0.rounded())) ns/step, column-major \(Int(best.1.rounded())) ns/step (best of 5)")
}
