import HogwildTestSupport
import Foundation
@testable import Hogwild
import Testing

/// Reads `bytes` as the ratings file `name` in a fresh folder; the ids and records as plain
/// values. Errors name the file without its folder.
private func read(_ bytes: [UInt8], name: String = "r.csv", threads: Int = 1, chunkBytes: Int = 1 << 30,
                  users: IDMap = IDMap(), items: IDMap = IDMap(), addNewIDs: Bool = true) throws
    -> (users: [String], items: [String], records: RatingRecords) {
    let folder = try TemporaryFolder()
    defer { folder.cleanup() }
    let path = "\(folder.path)/\(name)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    var u = users, i = items
    do {
        let records = try RatingsReader.read(path, users: &u, items: &i, addNewIDs: addNewIDs, threads: threads, chunkBytes: chunkBytes)
        return (u.ids, i.ids, records)
    } catch let error as HogwildError {
        throw HogwildError(error.description.replacingOccurrences(of: "\(folder.path)/", with: ""))
    }
}

private func read(_ text: String, name: String = "r.csv", threads: Int = 1, chunkBytes: Int = 1 << 30) throws
    -> (users: [String], items: [String], records: RatingRecords) {
    try read(Array(text.utf8), name: name, threads: threads, chunkBytes: chunkBytes)
}

/// The error `body` throws, as its one-line description ("" when it throws none).
private func message(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "" } catch { return "\(error)" }
}

@Suite("Text reader: encodings, quoting, headers, line ends, streams, errors")
struct ReaderTests {
    @Test func byteOrderMarkIsNotPartOfTheFirstID() throws {
        let r = try read([0xEF, 0xBB, 0xBF] + Array("u1,i1\nu2,i2\nu1,i2\n".utf8))
        #expect(r.users == ["u1", "u2"])
        #expect(r.items == ["i1", "i2"])
        // With a header after the mark, the header is still recognised.
        let h = try read([0xEF, 0xBB, 0xBF] + Array("userId,movieId,rating\n1,10,4\n".utf8))
        #expect(h.users == ["1"] && h.records.header?.text == "userId,movieId,rating")
        let utf16 = message { try read([0xFF, 0xFE] + Array("1,2\n".utf8)) }
        #expect(utf16.contains("r.csv") && utf16.contains("UTF-16"))
    }

    @Test func quotedFieldsFollowRFC4180() throws {
        let r = try read("\"a,b\",item1,5\n\"x\"\"y\",\"item,2\",\"3.5\"\n  \"c\" , item1 ,4\n")
        #expect(r.users == ["a,b", "x\"y", "c"])
        #expect(r.items == ["item1", "item,2"])
        #expect(r.records.ratings == [5, 3.5, 4])
        // Tabs and spaces may be quoted too.
        let t = try read("\"new york\"\t\"a\tb\"\n", name: "t.tsv")
        #expect(t.users == ["new york"] && t.items == ["a\tb"])
        // A quoted field cannot span lines; nor can text follow its closing quote.
        let open = message { try read("u1,i1\n\"u2,i2\nmore\",i3\n") }
        #expect(open.contains("r.csv:2:") && open.contains("not closed on this line"), "\(open)")
        let after = message { try read("u1,i1\n\"u2\"x,i2\n") }
        #expect(after.contains("r.csv:2:") && after.contains("after the closing quote"), "\(after)")
    }

    @Test("the header rule, case by case: column names, or numbers below, mark a header",
          arguments: [
            ("customer_id,product_id\nc1,p1\nc2,p1\n", 1, 2),
            ("user,item\nu,i\n", 1, 1),
            ("Customer ID,Product Code\nc1,p1\n", 1, 1),
            ("Customer ID,Product SKU\nc1,p1\n", 1, 1),
            ("src,dst\n1,2\n3,4\n", 1, 2),
            ("alice,bob\ncarol,dave\n", 0, 2),
            ("user1,item1\nuser2,item2\n", 0, 2),
            ("user_id,10\n1,2\n", 0, 2),
            ("1,2\n3,4\n", 0, 2),
            ("\n\n  \nmovieId,userId\n1,2\n", 4, 1),
            ("userId,movieId,rating,timestamp\n1,10,4.0,964982703\n", 1, 1),
            ("user1,item1,5\nuser2,item1,4\n", 0, 2),
          ])
    func headerRule(text: String, headerLine: Int, records: Int) throws {
        let r = try read(text)
        #expect(r.records.count == records)
        #expect((r.records.header?.line ?? 0) == headerLine)
    }

    @Test func lineEndsLFCRLFAndLoneCR() throws {
        let cr = try read("1,10,5\r2,20,3\r3,10,4\r")
        #expect(cr.users == ["1", "2", "3"] && cr.records.ratings == [5, 3, 4])
        let mixed = try read("1,10\r\n2,20\r3,30\n\r\n4,40")
        #expect(mixed.users == ["1", "2", "3", "4"] && mixed.items == ["10", "20", "30", "40"])
        // Line numbers count every kind of line end once.
        let bad = message { try read("1,10,5\r2,20,5\r\n3,30,x\r4,40,5\r") }
        #expect(bad.contains("r.csv:3: rating 'x' is not a number"), "\(bad)")
    }

    @Test func pipesAreReadToTheirEnd() throws {
        // Larger than a pipe's buffer, so the reader must keep reading as the writer writes.
        var text = ""
        for k in 0..<30_000 { text += "u\(k % 977),i\(k % 131),\(1 + k % 5)\n" }
        let pipe = Pipe()
        let data = Data(text.utf8)
        let writer = pipe.fileHandleForWriting
        DispatchQueue.global().async {
            writer.write(data)
            try? writer.close()
        }
        var users = IDMap(), items = IDMap()
        let streamed = try RatingsReader.read("/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)", users: &users, items: &items)
        let file = try read(text)
        #expect(streamed.count == 30_000)
        #expect(users.ids == file.users && items.ids == file.items)
        #expect(streamed.users == file.records.users && streamed.ratings == file.records.ratings)
        // An empty stream is empty, by name.
        var u = IDMap(), i = IDMap()
        let empty = message { try RatingsReader.read("/dev/null", users: &u, items: &i) }
        #expect(empty == "'/dev/null' is empty")
    }

    @Test func errorsAreBoundedAndEscaped() throws {
        let huge = String(repeating: "x", count: 10_000_000)
        for (text, shown) in [("1,2,5\n1,3,\u{1B}[31mred\u{1B}[0m\n", "\\x1B[31mred\\x1B[0m"),
                              ("1,2,5\n1,3,\(huge)\n", "… (10000000 bytes)"),
                              ("1,2,5\n1,3,\u{202E}4\n", "\\u{202E}4")] {
            let error = message { try read(text) }
            #expect(error.hasPrefix("r.csv:2: rating '"), "\(error.prefix(300))")
            #expect(error.contains(shown), "\(error.prefix(300))")
            #expect(error.count < 130, "\(error.count) characters")
            #expect(!error.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x202E })
        }
        // Unknown ids of a saved model's maps are escaped too.
        var users = IDMap(), items = IDMap()
        users.intern("1"); items.intern("2")
        let unknown = message { try read(Array("1,2\n1,\u{07}bell\n".utf8), users: users, items: items, addNewIDs: false) }
        #expect(unknown == "r.csv:2: item id '\\x07bell' is out of range: not one of the model's 1 items")
    }

    @Test func escapedShowsWhatATerminalWouldHide() {
        #expect(HogwildError.escaped("plain id-42 ünï 映画") == "plain id-42 ünï 映画")
        #expect(HogwildError.escaped("a\tb\r\n\u{1B}[2J\u{7F}\\") == "a\\x09b\\x0D\\x0A\\x1B[2J\\x7F\\\\")
        #expect(HogwildError.escaped("\u{85}\u{200B}\u{FEFF}x") == "\\u{0085}\\u{200B}\\u{FEFF}x")
        let invalid: [UInt8] = [0x61, 0xFF, 0xC3, 0x28, 0xE2, 0x82, 0xED, 0xA0, 0x80, 0xF0, 0x9F, 0x98, 0x80]
        #expect(invalid.withUnsafeBufferPointer { HogwildError.escaped($0) } == "a\\xFF\\xC3(\\xE2\\x82\\xED\\xA0\\x80😀")
        #expect(HogwildError.escaped(String(repeating: "é", count: 100), limit: 10) == String(repeating: "é", count: 10) + "… (200 bytes)")
    }

    @Test func ratingsParseAsStrtodDoesAndMustFitAFloat() throws {
        var rng = TestRandom(5)
        var text = "", expected: [Float] = []
        for k in 0..<3_000 {
            let spelled: String
            switch k % 4 {
            case 0: spelled = "\(rng.below(10))"
            case 1: spelled = "\(rng.below(100)).\(rng.below(1000))"
            case 2: spelled = "-0.\(rng.below(1_000_000_000))\(rng.below(1_000_000))"
            default: spelled = "\(rng.below(1000))e-\(rng.below(30))"
            }
            text += "u,i\(k),\(spelled)\n"
            expected.append(Float(Double(spelled)!))  // Foundation's conversion as the reference
        }
        #expect(try read(text).records.ratings == expected)
        for (value, problem) in [("1e40", "out of range"), ("-1e39", "out of range"), ("inf", "not a finite number"),
                                 ("nan", "not a finite number"), ("4,5", ""), ("4 5", "not a number"), ("0x", "not a number")] {
            let error = message { try read("u,i,4\nu,j,\(value)\n") }
            if problem.isEmpty { #expect(error.isEmpty, "\(value): \(error)"); continue }
            #expect(error.hasPrefix("r.csv:2: rating '\(value)'") && error.contains(problem), "\(value): \(error)")
        }
    }

    /// A file mixing every layout feature, long enough for many chunks.
    static func mixedFile(lines: Int, seed: UInt64) -> String {
        var rng = TestRandom(seed)
        var text = "\u{FEFF}user,item,rating\n"
        let ends = ["\n", "\r\n", "\r"]
        for k in 0..<lines {
            let user: String
            switch rng.below(5) {
            case 0: user = "\(rng.below(3000))"
            case 1: user = "0\(rng.below(300))"  // leading zero: a different id from its value
            case 2: user = "\"name, \(rng.below(500))\""
            case 3: user = "a-very-long-user-identifier-\(rng.below(700))"
            default: user = "\"q\"\"\(rng.below(50))\""
            }
            let item = rng.below(4) == 0 ? "i\(rng.below(100_000))" : "\(rng.below(5_000_000))"
            text += "\(user),\(item),\(1 + rng.below(5)).\(rng.below(10))" + ends[rng.below(3)]
            if k % 97 == 0 { text += "  \n" }
        }
        return text
    }

    @Test func parallelChunksGiveTheSerialResult() throws {
        let text = Self.mixedFile(lines: 20_000, seed: 3)
        let serial = try read(text)
        for (threads, chunkBytes) in [(2, 1 << 16), (3, 4_096), (8, 1)] {
            let parallel = try read(text, threads: threads, chunkBytes: chunkBytes)
            #expect(parallel.users == serial.users && parallel.items == serial.items)
            #expect(parallel.records.users == serial.records.users && parallel.records.items == serial.records.items)
            #expect(parallel.records.ratings == serial.records.ratings)
        }
        // Against an independent reading: split by hand, ids in order of first appearance.
        var users: [String] = [], items: [String] = [], seenUsers: [String: Int32] = [:], seenItems: [String: Int32] = [:]
        var rows: [Int32] = []
        for line in text.dropFirst().split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).dropFirst() {
            guard !line.allSatisfy({ $0 == " " }) else { continue }
            var fields: [String] = [], field = "", quoted = false
            var chars = Array(line)[...]
            while let c = chars.popFirst() {
                if c == "\"" { if quoted && chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted.toggle() } }
                else if c == "," && !quoted { fields.append(field); field = "" }
                else { field.append(c) }
            }
            fields.append(field)
            let u = seenUsers[fields[0]] ?? { users.append(fields[0]); seenUsers[fields[0]] = Int32(users.count - 1); return Int32(users.count - 1) }()
            if seenItems[fields[1]] == nil { items.append(fields[1]); seenItems[fields[1]] = Int32(items.count - 1) }
            rows.append(u)
        }
        #expect(serial.users == users && serial.items == items && serial.records.users == rows)
    }

    @Test func parallelChunksReportTheFirstErrorOfTheFile() throws {
        var lines = (0..<5_000).map { "u\($0 % 300),i\($0 % 70),4" }
        lines[3_100] = "u1,i1,bad"
        lines[4_200] = "u1"
        let text = lines.joined(separator: "\n") + "\n"
        let serial = message { try read(text) }
        #expect(serial == "r.csv:3101: rating 'bad' is not a number")
        for chunkBytes in [1, 1_000, 10_000] {
            #expect(message { try read(text, threads: 4, chunkBytes: chunkBytes) } == serial)
        }
        // With a model's maps, an unknown id before the bad line is the first error.
        var users = IDMap(), items = IDMap()
        for k in 0..<300 { users.intern("u\(k)") }
        for k in 0..<70 where k != 33 { items.intern("i\(k)") }
        for chunkBytes in [1 << 30, 1, 10_000] {
            let error = message { try read(Array(text.utf8), threads: 4, chunkBytes: chunkBytes, users: users, items: items, addNewIDs: false) }
            #expect(error == "r.csv:34: item id 'i33' is out of range: not one of the model's 69 items", "\(error)")
        }
    }

    @Test func internerAgreesWithADictionary() throws {
        var rng = TestRandom(8)
        var map = IDMap()
        var reference: [String: Int32] = [:], order: [String] = []
        for _ in 0..<50_000 {
            let id: String
            switch rng.below(6) {
            case 0: id = "\(rng.below(5_000))"
            case 1: id = "00\(rng.below(50))"
            case 2: id = "\(4_194_300 + rng.below(10))"  // both sides of the direct array's limit
            case 3: id = String(repeating: "k", count: rng.below(12))  // empty to 11 bytes
            case 4: id = "long-identifier-number-\(rng.below(2_000))"
            default: id = "é\(rng.below(100))"
            }
            let expected = reference[id] ?? { order.append(id); reference[id] = Int32(order.count - 1); return Int32(order.count - 1) }()
            #expect(map.intern(id) == expected)
        }
        #expect(map.ids == order)
        for id in order.prefix(500) { #expect(map.index(of: id) == reference[id]) }
        #expect(map.index(of: "never") == nil && map.index(of: "4194310") == nil)
        let rebuilt = try IDMap(ids: order)
        #expect(map == rebuilt)
        // A dense map turns named with the same ids first.
        var dense = IDMap(denseCount: 3)
        #expect(dense.intern("x") == 3 && dense.ids == ["0", "1", "2", "x"] && dense.index(of: "2") == 2)
    }
}

@Suite("Unseen test positives and nothing to evaluate")
struct UnseenTestTests {
    @Test func unseenUsersAndItemsAreLeftOutAndCounted() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // Train: users a, b, c (c only rated low); items x, y, z (z only rated low).
        let train = try folder.file("train.csv", "a,x,5\nb,y,4\nc,z,2\na,y,5\n")
        // Test: a–x (in train), b–x (fine), d–x (user d unseen), a–w (item w unseen),
        // d–w (both), c–y (c seen, rated low), b–z (z seen, rated low).
        let test = try folder.file("test.csv", "a,x,5\nb,x,5\nd,x,5\na,w,4\nd,w,5\nc,y,5\nb,z,4\n")
        let source = DataSource(name: "t", trainFile: train, testFile: test)
        let d = try Dataset.load(source, minRating: 4, holdout: 0, seed: 1)
        func pairs(_ m: InteractionMatrix, _ d: Dataset) -> Set<String> {
            Set((0..<d.users.count).flatMap { u in m.items(of: u).map { "\(d.users.id(at: u))-\(d.items.id(at: Int($0)))" } })
        }
        #expect(pairs(d.test, d) == ["a-x", "b-x", "c-y", "b-z"])
        #expect(d.unseenTest == { var u = UnseenTestPositives(); u.users = 1; u.items = 1; u.positives = 3; return u }())
        #expect(d.notes == ["left out 3 of 7 test positives, of 1 user and 1 item never seen in training (their vectors are untrained; --keep-unseen-test keeps them)"])
        let kept = try Dataset.load(source, minRating: 4, holdout: 0, seed: 1, keepUnseenTest: true)
        #expect(kept.test.nonZeroCount == 7 && kept.unseenTest == UnseenTestPositives() && kept.notes.isEmpty)
        try d.requireSomethingToEvaluate()
    }

    /// ua.test has one positive (user 675, item 1653) whose item is nowhere in ua.base:
    /// `awk 'NR==FNR {seen[$2]=1; next} $3>=4 && !($2 in seen)' ua.base ua.test`.
    @Test(.needsMovieLens, .tags(.movieLens)) func movieLensUATestHasOneUnseenItem() throws {
        let root = try MovieLens.require()
        let source = try DataCatalog.resolve("ml-100k", test: nil, environment: ["HOGWILD_DATA": root])
        let d = try Dataset.load(source, minRating: 4, holdout: 10, seed: 1)
        #expect(d.test.nonZeroCount == 5_468)
        #expect(d.unseenTest.users == 0 && d.unseenTest.items == 1 && d.unseenTest.positives == 1)
        #expect(d.test.items(of: Int(d.users.index(of: "675")!)).contains(d.items.index(of: "1653")!) == false)
        #expect(try Dataset.load(source, minRating: 4, holdout: 10, seed: 1, keepUnseenTest: true).test.nonZeroCount == 5_469)
    }

    @Test func nothingToEvaluateIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let train = try folder.file("train.csv", "a,x,5\nb,y,4\na,y,2\n")
        let cases: [(String, String)] = [
            ("a,x,5\nb,y,4\n", "is also a training positive of the same user (is the test file the training file?)"),
            ("d,x,5\na,w,5\n", "all 2 test positives of '\(folder.path)/t.csv' are of users or items never seen in training"),
            ("a,x,1\nb,x,2\n", "has no test positives"),
        ]
        for (text, problem) in cases {
            let test = try folder.file("t.csv", text)
            let d = try Dataset.load(DataSource(name: "t", trainFile: train, testFile: test), minRating: 4, holdout: 0, seed: 1)
            let error = message { try d.requireSomethingToEvaluate() }
            #expect(error.hasPrefix("nothing to evaluate: ") && error.contains(problem), "\(error)")
            #expect(AUCEvaluator.evaluableUsers(train: d.train, test: d.test) == 0)
        }
        // No test set asked for: nothing to refuse.
        try Dataset.load(DataSource(name: "t", trainFile: train), minRating: 4, holdout: 0, seed: 1).requireSomethingToEvaluate()
    }

    @Test func evaluableUsersAreTheUsersTheEvaluatorRanks() {
        var rng = TestRandom(21)
        let users = 60, items = 12
        var tu: [Int32] = [], ti: [Int32] = [], su: [Int32] = [], si: [Int32] = []
        for u in 0..<users {
            // Some users have every item in training, some test only training items.
            let trainCount = u % 5 == 0 ? items : rng.below(items)
            for i in 0..<trainCount { tu.append(Int32(u)); ti.append(Int32(i)) }
            for _ in 0..<rng.below(3) { su.append(Int32(u)); si.append(Int32(u % 3 == 0 ? rng.below(max(trainCount, 1)) : rng.below(items))) }
        }
        let train = InteractionMatrix(userCount: users, itemCount: items, users: tu, items: ti)
        let test = InteractionMatrix(userCount: users, itemCount: items, users: su, items: si)
        let reference = (0..<users).filter { u in
            let fresh = Set(test.items(of: u)).subtracting(train.items(of: u))
            return !fresh.isEmpty && items - train.items(of: u).count - fresh.count > 0
        }.count
        #expect(AUCEvaluator.evaluableUsers(train: train, test: test) == reference)
        #expect(AUCEvaluator.evaluate(.popularity, train: train, test: test, threads: 2).usersEvaluated == reference)
        #expect(reference > 0 && reference < users)
    }
}
