import Foundation
import ZIPFoundation

/// Zip archives built at test time (the MovieLens files may not be redistributed, so the
/// download tests zip the local copies in `$HOGWILD_DATA` the way GroupLens packs them).
public enum ZipFixture {
    /// A deflated zip holding `entries` in order (paths as given, e.g. "ml-100k/ua.base").
    /// `readOnly` records what zipping a read-only tree does: the top folder as an entry of its
    /// own with mode 0555 before the files, the files 0444.
    public static func zip(_ entries: [(path: String, contents: [UInt8])], readOnly: Bool = false) throws -> [UInt8] {
        let archive = try Archive(accessMode: .create)
        if readOnly {
            for top in Set(entries.compactMap { $0.path.split(separator: "/").first.map(String.init) }).sorted() {
                try archive.addEntry(with: top + "/", type: .directory, uncompressedSize: Int64(0), permissions: 0o555) { _, _ in Data() }
            }
        }
        for (path, contents) in entries {
            let data = Data(contents)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count),
                                 permissions: readOnly ? 0o444 : nil, compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw FixtureError("the in-memory zip has no data") }
        return [UInt8](data)
    }

    /// A zip of the files `names` of folder `folder`, each stored as `<last component of folder>/<name>`.
    public static func zip(folder: String, names: [String]) throws -> [UInt8] {
        let top = URL(fileURLWithPath: folder).lastPathComponent
        return try zip(names.map { ("\(top)/\($0)", [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\($0)")))) })
    }
}
