import Foundation
import SMPP
import SMPPClient
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real third-party SMSC (smpp.twisted3, wrapped by `scripts/smsc/simulator.py`) on
/// loopback, started per test, with its JSON control channel.
final class SMSCSimulator: @unchecked Sendable {
    let process: Process
    let smppPort: Int
    let controlPort: Int
    /// The SMPP-over-TLS port, when started with `tls: true`.
    private(set) var tlsPort: Int?
    let arguments: [String]
    private var tshark: TrafficCapture?

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the simulator; `smppPort` 0 picks a free port. With `TANDEM_CAPTURE_DIR` set
    /// (see `scripts/record-captures`), the SMPP traffic is also recorded with tshark into
    /// `<dir>/<capture>.pcapng` until the simulator is stopped.
    static func start(smppPort: Int = 0, extra: [String] = [], capture: String? = nil, tls: TestCertificates? = nil) throws -> SMSCSimulator {
        let python = repositoryRoot.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw StartError(description: "\(python.path) is missing: run scripts/bootstrap --test (scripts/test does it)")
        }
        let arguments = [repositoryRoot.appendingPathComponent("scripts/smsc/simulator.py").path,
                         "--smpp-port", "\(smppPort)", "--control-port", "0",
                         "--account", "tandem:secret", "--enquire-link-interval", "0"] + extra
            + (tls.map { ["--tls-port", "0", "--tls-cert", $0.serverCertificate, "--tls-key", $0.serverKey] } ?? [])
        let process = Process()
        process.executableURL = python
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        // "READY smpp=P control=C [tls=T]"
        let (line, ports) = readyLine(from: out, timeout: 20)
        guard let smpp = ports["smpp"], let control = ports["control"] else {
            process.terminate()
            throw StartError(description: "the SMSC simulator did not become ready: '\(line)'")
        }
        let simulator = SMSCSimulator(process: process, smppPort: smpp, controlPort: control, arguments: arguments)
        simulator.tlsPort = ports["tls"]
        if let capture {
            simulator.tshark = try TrafficCapture.startIfRequested(capture, port: smpp)
        }
        return simulator
    }

    private init(process: Process, smppPort: Int, controlPort: Int, arguments: [String]) {
        self.process = process
        self.smppPort = smppPort
        self.controlPort = controlPort
        self.arguments = arguments
    }

    /// SIGKILL: the SMSC vanishes at once, its sockets with it. Foundation reaps the child
    /// later; waiting for that (`waitUntilExit()`) can stall on a test's cooperative thread.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        usleep(100_000)
    }

    func stop() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        tshark?.stop()
        tshark = nil
    }

    deinit { stop() }

    // MARK: Control channel

    var controlChannel: SMSCControl { SMSCControl(port: controlPort) }

    @discardableResult
    func control(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        try await controlChannel.control(method, path, body)
    }

    func submitted() async throws -> [[String: Any]] { try await controlChannel.submitted() }

    func binds() async throws -> [[String: Any]] { try await controlChannel.binds() }

    /// Sends a deliver_sm and returns the command_status the ESME answered.
    @discardableResult
    func mo(source: String, destination: String, dataCoding: UInt8 = 0, esmClass: UInt8 = 0, shortMessage: [UInt8],
            tlvs: TLVList = []) async throws -> Int {
        let result = try await control("POST", "/mo", Self.moBody(source: source, destination: destination, dataCoding: dataCoding,
                                                                  esmClass: esmClass, shortMessage: shortMessage, tlvs: tlvs))
        return (result as? [String: Any])?["command_status"] as? Int ?? -1
    }

    static func moBody(source: String, destination: String, dataCoding: UInt8 = 0, esmClass: UInt8 = 0, shortMessage: [UInt8],
                       tlvs: TLVList = []) -> [String: Any] {
        ["source": source, "destination": destination, "data_coding": Int(dataCoding), "esm_class": Int(esmClass),
         "short_message_hex": shortMessage.smppHex,
         "tlvs": tlvs.map { ["tag": Int($0.tag.rawValue), "hex": $0.value.smppHex] }]
    }
}

/// Collects what a client's consumer received.
actor Inbox {
    private(set) var messages: [InboundMessage] = []
    var refuseNext = 0

    func take(_ message: InboundMessage) throws {
        if refuseNext > 0 {
            refuseNext -= 1
            throw RefusedForTest()
        }
        messages.append(message)
    }

    func refuse(_ count: Int) { refuseNext = count }

    struct RefusedForTest: Error {}
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while clock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// A CA and a server certificate for 127.0.0.1 / localhost, made by `scripts/smsc/make-test-cert`.
struct TestCertificates {
    let directory: String
    var ca: String { directory + "/ca.pem" }
    var serverCertificate: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server-key.pem" }

    /// Makes (or reuses) the certificates in a directory of their own.
    static func make(_ name: String = "tls") throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-test-\(name)").path
        let process = Process()
        process.executableURL = SMSCSimulator.repositoryRoot.appendingPathComponent("scripts/smsc/make-test-cert")
        process.arguments = [directory]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SMSCSimulator.StartError(description: "make-test-cert failed with status \(process.terminationStatus)")
        }
        return TestCertificates(directory: directory)
    }
}

extension Process {
    /// A process for `executable` whose signal mask is cleared first. Children of the test
    /// process inherit its blocked signals, so SIGTERM would never reach them (and their
    /// clean-up traps would never run): perl clears the mask and then becomes the program.
    static func withSignalsUnblocked(_ executable: String, _ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        process.arguments = ["-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV or die", executable]
            + arguments
        return process
    }
}

/// The simulator's JSON control channel (scripts/smsc/README.md).
struct SMSCControl: Sendable {
    let port: Int

    @discardableResult
    func control(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        guard (200..<300).contains(status) else {
            throw SMSCSimulator.StartError(description: "\(method) \(path) answered \(status): \(json)")
        }
        return json
    }

    func submitted() async throws -> [[String: Any]] {
        try await control("GET", "/submitted") as? [[String: Any]] ?? []
    }

    func binds() async throws -> [[String: Any]] {
        try await control("GET", "/binds") as? [[String: Any]] ?? []
    }
}

/// tshark recording one TCP port on loopback into a pcapng file, for `Captures/`.
final class TrafficCapture {
    private let process: Process

    private init(process: Process) { self.process = process }

    /// Starts tshark and returns once it captures.
    static func start(port: Int, file: URL) throws -> TrafficCapture {
        try? FileManager.default.removeItem(at: file)
        let tshark = Process.withSignalsUnblocked("/usr/bin/tshark", ["-i", "lo", "-f", "tcp port \(port)", "-w", file.path, "-q"])
        let err = Pipe()
        tshark.standardError = err
        tshark.standardOutput = FileHandle.nullDevice
        try tshark.run()
        var said = ""
        let deadline = Date().addingTimeInterval(15)
        while !said.contains("Capturing on"), Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        guard said.contains("Capturing on") else { throw SMSCSimulator.StartError(description: "tshark did not start: \(said)") }
        // tshark announces itself before its dumpcap child has the socket open.
        usleep(1_000_000)
        return TrafficCapture(process: tshark)
    }

    /// The capture named `name` in `TANDEM_CAPTURE_DIR`, when that is set (scripts/record-captures).
    static func startIfRequested(_ name: String, port: Int) throws -> TrafficCapture? {
        guard let directory = ProcessInfo.processInfo.environment["TANDEM_CAPTURE_DIR"] else { return nil }
        return try start(port: port, file: URL(fileURLWithPath: directory).appendingPathComponent("\(name).pcapng"))
    }

    func stop() {
        usleep(500_000)  // let the last packets reach the capture
        kill(process.processIdentifier, SIGTERM)
        usleep(1_000_000)
    }
}

/// Reads a peer launcher's first stdout line (`READY name=port …`) and its ports by name.
func readyLine(from pipe: Pipe, timeout: TimeInterval) -> (line: String, ports: [String: Int]) {
    var line = ""
    let deadline = Date().addingTimeInterval(timeout)
    while !line.contains("\n"), Date() < deadline {
        let chunk = pipe.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        line += String(decoding: chunk, as: UTF8.self)
    }
    var ports: [String: Int] = [:]
    for field in line.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
        let parts = field.split(separator: "=")
        if parts.count == 2, let value = Int(parts[1]) { ports[String(parts[0])] = value }
    }
    return (line, ports)
}

/// Reading the simulator's `/submitted` records.
extension Dictionary where Key == String, Value == Any {
    /// The record's short_message octets (UDH included).
    var shortMessage: [UInt8] { [UInt8](smppHex: self["short_message_hex"] as? String ?? "") ?? [] }

    /// Whether the simulator accepted it (it gave a message_id).
    var wasAccepted: Bool { self["message_id"] is String }
}

/// The texts of submits (ASCII/GSM 7-bit unpacked, no UDH), accepted or refused ones.
func submittedTexts(_ records: [[String: Any]], accepted: Bool = true) -> [String] {
    records.filter { $0.wasAccepted == accepted }.map { String(decoding: $0.shortMessage, as: UTF8.self) }
}
