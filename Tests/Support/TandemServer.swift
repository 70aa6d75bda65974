import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `tandem serve` process on loopback with its own database file, as an operator runs it.
final class TandemServer: @unchecked Sendable {
    static let accountSid = "AC00000000000000000000000000000001"
    static let authToken = "test_auth_token_0123456789abcdef"
    static let apiKeySid = "SK00000000000000000000000000000001"
    static let apiKeySecret = "api_key_secret_0123456789"

    let process: Process
    let port: Int
    let database: String
    let logFile: String

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var binary: String {
        ProcessInfo.processInfo.environment["TANDEM_BINARY"] ?? repositoryRoot.appendingPathComponent(".build/debug/tandem").path
    }

    struct StartError: Error, CustomStringConvertible { var description: String }

    /// A fresh temporary directory for a database.
    static func temporaryDatabase(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-api-\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("tandem.db").path
    }

    /// Starts the server on a free port and waits for its `READY http=PORT` line.
    static func start(database: String, credentials: Bool = true, extra: [String] = []) throws -> TandemServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = ["serve", "--port", "0", "--database", database, "--log-level", "info"]
        if credentials {
            arguments += ["--account-sid", accountSid, "--auth-token", authToken, "--api-key", "\(apiKeySid):\(apiKeySecret)"]
        }
        process.arguments = arguments + extra
        var environment = ProcessInfo.processInfo.environment
        for key in ["TANDEM_ACCOUNT_SID", "TANDEM_AUTH_TOKEN", "TANDEM_API_KEYS"] { environment[key] = nil }
        // A server a suite shares (never stopped explicitly) ends with the test process.
        environment["TANDEM_EXIT_WITH_PARENT"] = "1"
        process.environment = environment
        let out = Pipe()
        let logFile = database + ".log"
        FileManager.default.createFile(atPath: logFile, contents: nil)
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: logFile)
        try process.run()
        let ready = readyLine(from: out, timeout: 30).line.split(separator: "\n").first.map(String.init) ?? ""
        // READY http=PORT [sip=PORT]
        var fields: [String: Int] = [:]
        for field in ready.split(separator: " ").dropFirst() {
            let pair = field.split(separator: "=", maxSplits: 1)
            if pair.count == 2, let value = Int(pair[1].trimmingCharacters(in: .whitespacesAndNewlines)) { fields[String(pair[0])] = value }
        }
        guard ready.hasPrefix("READY http="), let port = fields["http"] else {
            process.terminate()
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw StartError(description: "tandem serve did not report READY (got '\(ready)'); log:\n\(log)")
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        out.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
        return TandemServer(process: process, port: port, sipPort: fields["sip"], database: database, logFile: logFile)
    }

    private init(process: Process, port: Int, sipPort: Int?, database: String, logFile: String) {
        self.process = process; self.port = port; self.sipPort = sipPort; self.database = database; self.logFile = logFile
    }

    /// The SIP port when the configuration has a `sip` section.
    let sipPort: Int?

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// kill -9: no chance to flush or close anything.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        waitGone()
    }

    func stop() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        waitGone()
    }

    private func waitGone() {
        let deadline = Date().addingTimeInterval(10)
        while !processHasExited(process.processIdentifier), Date() < deadline { usleep(20_000) }
        usleep(50_000)
    }

    // MARK: HTTP

    struct HTTPResult: Sendable {
        var status: Int
        var body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    func request(_ method: String, _ path: String, form: String? = nil, body: Data? = nil,
                 authorization: String? = TandemServer.basic(accountSid, authToken)) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let form {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(form.utf8)
        } else if let body {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        let (data, response) = try await Self.session.data(for: request)
        return HTTPResult(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }
}

extension TandemServer {
    static let session = URLSession(configuration: .ephemeral)

    /// One request over a plain socket (`Connection: close`). FoundationNetworking stalls on a
    /// 401 that carries `WWW-Authenticate`, so the authentication tests read the raw answer.
    func rawRequest(_ method: String, _ path: String, authorization: String?) throws -> HTTPResult {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw StartError(description: "connect failed") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let authorization { head += "Authorization: \(authorization)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return HTTPResult(status: status, body: Data(body.utf8))
    }
}

/// Form encoding for test requests.
func form(_ pairs: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
}
