import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 for the download tests, so they never touch the
/// network: it serves fixed bodies by path (anything else is 404), one connection at a time on
/// its own thread, and records the paths asked for.
public final class LoopbackHTTPServer: @unchecked Sendable {
    /// The port it listens on (chosen by the system).
    public let port: UInt16
    /// `http://127.0.0.1:PORT`, the base URL to give the downloader.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private let listener: Int32
    private let routes: [String: [UInt8]]
    private let lock = NSLock()
    private var stopping = false
    private var paths: [String] = []
    private let finished = DispatchSemaphore(value: 0)

    /// Starts serving `routes` (path → body, e.g. "/ml-100k.zip").
    public init(routes: [String: [UInt8]]) throws {
        self.routes = routes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw FixtureError("bind/listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.name = "loopback-http"
        thread.start()
    }

    deinit { stop() }

    /// The request paths served so far, in order.
    public var requestedPaths: [String] {
        lock.lock()
        defer { lock.unlock() }
        return paths
    }

    /// Stops serving and closes the socket (the serving thread closes it, so no other thread
    /// touches the descriptor while it may be in use). Idempotent.
    public func stop() {
        lock.lock()
        let first = !stopping
        stopping = true
        lock.unlock()
        if first { finished.wait() }
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func serve() {
        defer {
            close(listener)
            finished.signal()
        }
        while !isStopping {
            // Poll with a short timeout so that `stop` is noticed.
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.containsHeaderEnd {
            let n = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return }
            request += buffer[0..<n]
            if request.count > 65536 { return }
        }
        let requestLine = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = requestLine.split(separator: " ")
        let path = parts.count >= 2 ? String(parts[1]) : ""
        lock.lock()
        paths.append(path)
        lock.unlock()
        let status: String
        let body: [UInt8]
        if parts.first == "GET", let found = routes[path] {
            (status, body) = ("200 OK", found)
        } else {
            (status, body) = ("404 Not Found", Array("not found\n".utf8))
        }
        let head = "HTTP/1.1 \(status)\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        _ = sendAll(connection, Array(head.utf8)) && sendAll(connection, body)
    }

    /// Writes all of `bytes`; false when the client went away (MSG_NOSIGNAL: no SIGPIPE).
    private func sendAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { send(connection, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// A loopback port with nothing listening on it (bound, then closed), for "connection refused".
    public static func closedPort() throws -> UInt16 {
        let server = try LoopbackHTTPServer(routes: [:])
        let port = server.port
        server.stop()
        return port
    }
}

extension [UInt8] {
    fileprivate var containsHeaderEnd: Bool {
        count >= 4 && (0...(count - 4)).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}
