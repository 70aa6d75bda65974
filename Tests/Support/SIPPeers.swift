import Foundation

// The real SIP peers of scripts/sip (Kamailio as the trunk, sipp as scripted callees, baresip as
// a phone), tshark on loopback, and runners for the `tandem call` and `tandem sip listen`
// commands, for the SIP integration tests. Conventions as in SMSCSimulator.swift: children start
// with their signal mask cleared (`Process.withSignalsUnblocked`), launchers print
// `READY name=port …` first, and every launcher stops itself when the test process goes away.

// MARK: - Running processes

/// Collects a child's stdout and stderr on two threads of their own (a full pipe would stall the
/// child), so that nothing waits on the test's cooperative threads.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()
    private var openStreams: Int

    /// Starts reading the given pipes until their end.
    init(stdout: Pipe?, stderr: Pipe?) {
        openStreams = (stdout == nil ? 0 : 1) + (stderr == nil ? 0 : 1)
        if let out = stdout?.fileHandleForReading { Thread { [self] in pump(out, toStdout: true) }.start() }
        if let err = stderr?.fileHandleForReading { Thread { [self] in pump(err, toStdout: false) }.start() }
    }

    private func pump(_ handle: FileHandle, toStdout: Bool) {
        while true {
            let chunk = handle.availableData
            lock.lock()
            if chunk.isEmpty {
                openStreams -= 1
                lock.unlock()
                return
            }
            if toStdout { stdoutData.append(chunk) } else { stderrData.append(chunk) }
            lock.unlock()
        }
    }

    var stdout: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: stdoutData, as: UTF8.self)
    }

    var stderr: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: stderrData, as: UTF8.self)
    }

    /// Both pipes reached their end (every writer closed them).
    var finished: Bool {
        lock.lock(); defer { lock.unlock() }
        return openStreams == 0
    }

    /// The complete stdout lines so far.
    var stdoutLines: [String] {
        let text = stdout
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The last piece is an unterminated line in progress (or "" after a final newline).
        lines.removeLast()
        return lines.filter { !$0.isEmpty }
    }
}

/// The environment for launched peers: the test's, with the sbin directories on PATH (kamailio
/// lives in /usr/sbin, which a non-login PATH may lack).
private func peerEnvironment() -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    let path = environment["PATH"] ?? "/usr/bin:/bin"
    var parts = path.split(separator: ":").map(String.init)
    for directory in ["/usr/local/sbin", "/usr/sbin", "/sbin"] where !parts.contains(directory) { parts.append(directory) }
    environment["PATH"] = parts.joined(separator: ":")
    return environment
}

extension Process {
    /// `executable` under a small perl watchdog, the way the scripts/sip launchers behave: the
    /// signal mask is cleared, SIGTERM and SIGINT sent to the watchdog are passed on, its exit
    /// status is the program's (128 + signal when killed), and when the test process goes away
    /// (the watchdog's parent changes) the program gets SIGTERM, then SIGKILL 2 s later. For
    /// `tandem` commands, which need not watch their parent themselves.
    static func stoppingWithParent(_ executable: String, _ arguments: [String]) -> Process {
        let watchdog = """
            use POSIX ":sys_wait_h";
            sigprocmask(SIG_SETMASK, POSIX::SigSet->new);
            my $parent = getppid();
            my $child;
            $SIG{TERM} = sub { kill "TERM", $child if $child };
            $SIG{INT} = sub { kill "INT", $child if $child };
            $child = fork() // die "fork: $!";
            if ($child == 0) { exec @ARGV or die "exec $ARGV[0]: $!\\n"; }
            while (1) {
                if (waitpid($child, WNOHANG) == $child) {
                    exit(WIFEXITED($?) ? WEXITSTATUS($?) : 128 + WTERMSIG($?));
                }
                if (getppid() != $parent) {
                    kill "TERM", $child;
                    for (1 .. 20) { exit 0 if waitpid($child, WNOHANG) == $child; select(undef, undef, undef, 0.1); }
                    kill "KILL", $child;
                    exit 0;
                }
                select(undef, undef, undef, 0.1);
            }
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        process.arguments = ["-MPOSIX", "-e", watchdog, executable] + arguments
        return process
    }
}

/// Polls until `process` has been reaped (Foundation reaps on a thread of its own) or `timeout` passes.
@discardableResult
func waitForExit(_ process: Process, timeout: TimeInterval) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, Date() < deadline { usleep(20_000) }
    return !process.isRunning
}

/// The same without blocking a cooperative thread.
@discardableResult
func waitForExit(_ process: Process, timeout: Duration) async -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while process.isRunning, clock.now < end { try? await Task.sleep(for: .milliseconds(20)) }
    return !process.isRunning
}

/// For stopping, where the exit status does not matter: Foundation sometimes reaps late
/// (`isRunning` stayed true for seconds with the launcher already a zombie), so an exited but
/// unreaped process counts as stopped. Never read `terminationStatus` after this alone.
@discardableResult
func waitForStop(_ process: Process, timeout: TimeInterval) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, !processHasExited(process.processIdentifier), Date() < deadline { usleep(20_000) }
    return !process.isRunning || processHasExited(process.processIdentifier)
}

/// Whether `pid` is gone or a zombie (exited, not yet reaped), from /proc/PID/stat.
func processHasExited(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // "PID (comm) STATE …": the state follows the last ')'.
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}

/// Runs a tool to its end (tshark reading a file, …) and returns its status and output.
func runTool(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60) throws
    -> (status: Int32, stdout: String, stderr: String) {
    let process = Process.withSignalsUnblocked(executable, arguments)
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let collector = OutputCollector(stdout: out, stderr: err)
    if !waitForExit(process, timeout: timeout) {
        kill(process.processIdentifier, SIGKILL)
        waitForExit(process, timeout: 5)
        throw SIPPeerError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
    }
    let deadline = Date().addingTimeInterval(5)
    while !collector.finished, Date() < deadline { usleep(5_000) }
    return (process.terminationStatus, collector.stdout, collector.stderr)
}

struct SIPPeerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One directory per test run for everything the SIP tests write (SDP files, listener logs,
/// captures when not recording): `$TMPDIR/tandem-sip-tests-XXXXXXXX`.
private let sipRunDirectory = FileManager.default.temporaryDirectory
    .appendingPathComponent("tandem-sip-tests-\(UUID().uuidString.prefix(8))")

/// A fresh directory of its own in the run's directory.
func sipTemporaryDirectory(_ name: String) -> URL {
    let directory = sipRunDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

// MARK: - The scripts/sip launchers

/// One launcher of scripts/sip (trunk-up, sipp-uas, phone-up) in the foreground: its READY
/// ports, its work directory (the launcher's own temp dir, removed when it stops) and its stderr.
final class SIPPeerProcess: @unchecked Sendable {
    let process: Process
    let script: String
    let readyText: String
    let ports: [String: Int]
    /// The launcher's work directory (logs, configuration) while it runs; nil if it did not say.
    let workdir: String?
    private let errors: OutputCollector

    static var scriptsDirectory: URL { TandemServer.repositoryRoot.appendingPathComponent("scripts/sip") }

    /// Starts `scripts/sip/<script> <arguments>` and waits for its READY line.
    static func launch(_ script: String, _ arguments: [String], timeout: TimeInterval = 40) throws -> SIPPeerProcess {
        let path = scriptsDirectory.appendingPathComponent(script).path
        let process = Process.withSignalsUnblocked(path, arguments)
        process.environment = peerEnvironment()
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = OutputCollector(stdout: nil, stderr: err)
        let (line, ports) = readyLine(from: out, timeout: timeout)
        // Keep draining stdout (launchers print nothing more, but a full pipe must never block them).
        out.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
        guard line.hasPrefix("READY "), !ports.isEmpty else {
            kill(process.processIdentifier, SIGTERM)
            waitForExit(process, timeout: 5)
            usleep(100_000)
            throw SIPPeerError("\(script) \(arguments.joined(separator: " ")) did not become ready: '\(line)'\n\(errors.stderr)")
        }
        // "…: <peer> pid N (…), work dir /tmp/tandem-…" follows READY on stderr.
        var workdir: String?
        let deadline = Date().addingTimeInterval(3)
        while workdir == nil, Date() < deadline {
            if let range = errors.stderr.range(of: "work dir ") {
                let rest = errors.stderr[range.upperBound...]
                if let end = rest.firstIndex(of: "\n") { workdir = String(rest[..<end]) }
            }
            if workdir == nil { usleep(10_000) }
        }
        return SIPPeerProcess(process: process, script: script, readyText: line.trimmingCharacters(in: .whitespacesAndNewlines),
                              ports: ports, workdir: workdir, errors: errors)
    }

    private init(process: Process, script: String, readyText: String, ports: [String: Int], workdir: String?,
                 errors: OutputCollector) {
        self.process = process
        self.script = script
        self.readyText = readyText
        self.ports = ports
        self.workdir = workdir
        self.errors = errors
    }

    /// The launcher's own diagnostics.
    var stderr: String { errors.stderr }

    var isRunning: Bool { process.isRunning }

    /// A file of the work directory ("" when missing).
    func workFile(_ name: String) -> String {
        guard let workdir else { return "" }
        return (try? String(contentsOfFile: workdir + "/" + name, encoding: .utf8)) ?? ""
    }

    /// SIGTERM: the launcher stops its peer (the whole process group) and removes its work dir.
    func stop() {
        guard process.isRunning, !processHasExited(process.processIdentifier) else { return }
        kill(process.processIdentifier, SIGTERM)
        if !waitForStop(process, timeout: 8) {
            kill(process.processIdentifier, SIGKILL)
            waitForStop(process, timeout: 2)
        }
    }

    deinit { stop() }
}

/// Kamailio as the carrier trunk (scripts/sip/trunk-up): three ports, each UDP and TCP.
final class SIPTrunk: @unchecked Sendable {
    static let user = "tandem"
    static let password = "secret"
    static let realm = "trunk.tandem.test"

    let peer: SIPPeerProcess
    /// No authentication.
    let open: Int
    /// Initial requests challenged with 407 Proxy Authentication Required.
    let auth407: Int
    /// Initial requests challenged with 401 Unauthorized.
    let auth401: Int

    /// `routes`: number → target (`127.0.0.1:P`, `127.0.0.1:P;transport=tcp`, `sip:user@127.0.0.1:P`).
    /// `answer`: numbers the trunk answers itself, statelessly (none: `--no-answer`).
    /// `ringTimeout`: seconds a ringing INVITE may wait before the trunk cancels it (408 to the caller).
    static func start(routes: [String: String], answer: [String] = ["+15559999"], ringTimeout: Int? = nil,
                      user: String = SIPTrunk.user, password: String = SIPTrunk.password, realm: String = SIPTrunk.realm,
                      extraArguments: [String] = []) throws -> SIPTrunk {
        var arguments: [String] = []
        for number in routes.keys.sorted() { arguments += ["--route", "\(number)=\(routes[number]!)"] }
        if answer.isEmpty {
            arguments.append("--no-answer")
        } else {
            for number in answer { arguments += ["--answer", number] }
        }
        if let ringTimeout { arguments += ["--ring-timeout", "\(ringTimeout)"] }
        arguments += ["--user", user, "--password", password, "--realm", realm] + extraArguments
        let peer = try SIPPeerProcess.launch("trunk-up", arguments)
        guard let open = peer.ports["open"], let auth407 = peer.ports["auth407"], let auth401 = peer.ports["auth401"] else {
            peer.stop()
            throw SIPPeerError("trunk-up printed '\(peer.readyText)'")
        }
        return SIPTrunk(peer: peer, open: open, auth407: auth407, auth401: auth401)
    }

    private init(peer: SIPPeerProcess, open: Int, auth407: Int, auth401: Int) {
        self.peer = peer
        self.open = open
        self.auth407 = auth407
        self.auth401 = auth401
    }

    var ports: [Int] { [open, auth407, auth401] }

    /// Kamailio's log (its stderr).
    var log: String { peer.workFile("kamailio.log") }

    func stop() { peer.stop() }
}

/// sipp as a scripted callee (scripts/sip/sipp-uas), tracing every SIP message it sees.
final class SIPPUAS: @unchecked Sendable {
    let peer: SIPPeerProcess
    let port: Int
    let scenario: String

    /// `scenario`: answer, answer-bye, ring or busy; `extraArguments` e.g. `["--hold-ms", "1000"]`,
    /// `["--transport", "tcp"]`, `["--rtp-echo"]`.
    static func start(scenario: String = "answer", extraArguments: [String] = []) throws -> SIPPUAS {
        let peer = try SIPPeerProcess.launch("sipp-uas", ["--scenario", scenario, "--trace"] + extraArguments)
        guard let port = peer.ports["sip"] else {
            peer.stop()
            throw SIPPeerError("sipp-uas printed '\(peer.readyText)'")
        }
        return SIPPUAS(peer: peer, port: port, scenario: scenario)
    }

    private init(peer: SIPPeerProcess, port: Int, scenario: String) {
        self.peer = peer
        self.port = port
        self.scenario = scenario
    }

    /// Every message sipp sent and received (`-trace_msg`).
    var messages: String { peer.workFile("messages.log") }

    /// How many requests of `method` sipp has received (retransmissions included).
    func receivedRequests(_ method: String) -> Int {
        var count = 0
        var expectStartLine = false
        for line in messages.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.contains("message received") {
                expectStartLine = true
            } else if expectStartLine {
                if line.hasPrefix("\(method) ") { count += 1 }
                expectStartLine = false
            }
        }
        return count
    }

    /// sipp's own counters, written every second (`SuccessfulCall(C)`, `FailedCall(C)`, …).
    var statistics: String { peer.workFile("stats.csv") }

    func stop() { peer.stop() }
}

/// baresip as an auto-answering phone sending RTP (scripts/sip/phone-up), tracing SIP.
final class SIPPhone: @unchecked Sendable {
    let peer: SIPPeerProcess
    let port: Int
    let user: String
    /// baresip's ctrl_tcp port (netstring JSON commands), when started with `ctrlPort: true`.
    let ctrlPort: Int?

    /// `user`: the Request-URI user it answers (route a number to it with
    /// `--route NUMBER=127.0.0.1:PORT` when `user` is that number).
    static func start(user: String = "phone", ctrlPort: Bool = false, extraArguments: [String] = []) throws -> SIPPhone {
        var arguments = ["--user", user, "--trace"]
        if ctrlPort { arguments += ["--ctrl-port", "0"] }
        let peer = try SIPPeerProcess.launch("phone-up", arguments + extraArguments)
        guard let port = peer.ports["sip"] else {
            peer.stop()
            throw SIPPeerError("phone-up printed '\(peer.readyText)'")
        }
        return SIPPhone(peer: peer, port: port, user: user, ctrlPort: peer.ports["ctrl"])
    }

    private init(peer: SIPPeerProcess, port: Int, user: String, ctrlPort: Int?) {
        self.peer = peer
        self.port = port
        self.user = user
        self.ctrlPort = ctrlPort
    }

    /// baresip's output, SIP messages included (`baresip -s`).
    var log: String { peer.workFile("baresip.log") }

    /// How many requests of `method` reached the phone: `baresip -s` logs each message after a
    /// line `UDP 127.0.0.1:A -> 127.0.0.1:B` (or TCP), B being the phone's port when it receives.
    func receivedRequests(_ method: String) -> Int {
        var count = 0
        var incoming = false
        for line in log.split(separator: "\n", omittingEmptySubsequences: true) {
            if (line.hasPrefix("UDP ") || line.hasPrefix("TCP ")) && line.contains(" -> ") {
                incoming = line.hasSuffix(":\(port)") || line.hasSuffix(":\(port)\r")
            } else if incoming {
                if line.hasPrefix("\(method) ") { count += 1 }
                incoming = false
            }
        }
        return count
    }

    func stop() { peer.stop() }
}

// MARK: - tshark

/// tshark capturing on an interface into a file, with a capture (BPF) filter.
final class PacketCapture: @unchecked Sendable {
    let process: Process
    let file: String
    private let output: OutputCollector

    /// Starts tshark and returns once it really captures: "Capturing on" comes before its dumpcap
    /// child has the socket open, but dumpcap writes the file's header only after opening the
    /// interface and setting the filter. `maxSeconds` ends a capture nobody stops (`-a duration`).
    static func start(interface: String = "lo", filter: String, file: String, maxSeconds: Int = 300) throws -> PacketCapture {
        try? FileManager.default.removeItem(atPath: file)
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: file).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        let process = Process.withSignalsUnblocked("/usr/bin/tshark", ["-i", interface, "-f", filter, "-w", file, "-q",
                                                                        "-a", "duration:\(maxSeconds)"])
        process.environment = peerEnvironment()
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = OutputCollector(stdout: out, stderr: err)
        let capture = PacketCapture(process: process, file: file, output: output)
        let deadline = Date().addingTimeInterval(20)
        func headerWritten() -> Bool {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
            return size > 0
        }
        while Date() < deadline, process.isRunning, !(output.stderr.contains("Capturing on") && headerWritten()) {
            usleep(10_000)
        }
        guard process.isRunning, output.stderr.contains("Capturing on"), headerWritten() else {
            capture.stop()
            throw SIPPeerError("tshark -i \(interface) -f '\(filter)' did not start capturing: \(output.stderr)")
        }
        return capture
    }

    private init(process: Process, file: String, output: OutputCollector) {
        self.process = process
        self.file = file
        self.output = output
    }

    /// Lets the last packets reach the capture, then SIGTERM; returns once the file is complete.
    func stop() {
        guard process.isRunning else { return }
        usleep(300_000)
        kill(process.processIdentifier, SIGTERM)
        if !waitForExit(process, timeout: 10) {
            kill(process.processIdentifier, SIGKILL)
            waitForExit(process, timeout: 2)
        }
    }

    deinit { stop() }
}

/// One RTP stream found in a capture: UDP source and destination port, packet count.
struct RTPStream: Hashable, Sendable, CustomStringConvertible {
    var sourcePort: Int
    var destinationPort: Int
    var packets: Int

    var description: String { "\(sourcePort)→\(destinationPort): \(packets) packets" }
}

/// The RTP packets in a capture per (source port, destination port), RTP found heuristically
/// (no SIP/SDP needed to tell tshark where it is), most packets first.
func rtpPacketCounts(pcap: String) throws -> [RTPStream] {
    let result = try runTool("/usr/bin/tshark", ["-r", pcap, "-o", "rtp.heuristic_rtp:TRUE", "-Y", "rtp",
                                                 "-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport"])
    guard result.status == 0 else { throw SIPPeerError("tshark -r \(pcap) failed: \(result.stderr)") }
    var counts: [[Int]: Int] = [:]
    for line in result.stdout.split(separator: "\n") {
        let fields = line.split(separator: "\t").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard fields.count == 2 else { continue }
        counts[fields, default: 0] += 1
    }
    return counts.map { RTPStream(sourcePort: $0.key[0], destinationPort: $0.key[1], packets: $0.value) }
        .sorted { ($0.packets, $0.sourcePort) > ($1.packets, $1.sourcePort) }
}

/// The `m=` ports of every SDP body in a capture (SIP over UDP or TCP), in capture order,
/// optionally only from SIP messages to or from `sipPorts`.
func sdpMediaPorts(pcap: String, sipPorts: [Int] = []) throws -> [Int] {
    var filter = "sdp"
    if !sipPorts.isEmpty {
        let set = sipPorts.map(String.init).joined(separator: ", ")
        filter += " && (udp.port in {\(set)} || tcp.port in {\(set)})"
    }
    let result = try runTool("/usr/bin/tshark", ["-r", pcap, "-Y", filter, "-T", "fields", "-e", "sdp.media.port"])
    guard result.status == 0 else { throw SIPPeerError("tshark -r \(pcap) failed: \(result.stderr)") }
    return result.stdout.split(whereSeparator: { $0 == "\n" || $0 == "," }).compactMap {
        Int($0.trimmingCharacters(in: .whitespaces))
    }
}

/// Copies the packets of `pcap` that match a display filter into `destination` (pcapng).
func filterCapture(pcap: String, displayFilter: String, into destination: String) throws {
    try? FileManager.default.removeItem(atPath: destination)
    let result = try runTool("/usr/bin/tshark", ["-r", pcap, "-Y", displayFilter, "-F", "pcapng", "-w", destination])
    guard result.status == 0 else { throw SIPPeerError("tshark -r \(pcap) -Y '\(displayFilter)' failed: \(result.stderr)") }
}

/// The capture of one SIP scenario. With `TANDEM_RECORD_CAPTURES=1` it goes to
/// `Captures/sip/<name>.pcapng` (see Captures/sip/README.md); otherwise a capture is taken only
/// when the test needs one (to count RTP), into a temporary directory.
final class ScenarioCapture: @unchecked Sendable {
    static var recording: Bool { ProcessInfo.processInfo.environment["TANDEM_RECORD_CAPTURES"] == "1" }
    static var directory: URL { TandemServer.repositoryRoot.appendingPathComponent("Captures/sip") }

    let name: String
    /// Where the finished capture is.
    let file: String
    private let capture: PacketCapture
    private let sipPorts: [Int]
    private let mediaFromSDP: Bool

    /// `sipPorts`: the scenario's SIP ports (UDP and TCP; traffic through the trunk always has a
    /// trunk port on one side). `mediaPorts`: UDP ports known beforehand (a test's RTP socket).
    /// `mediaFromSDP`: the RTP ports are only known from the SDP (two phones): all UDP is captured,
    /// and `finish()` keeps the SIP ports and the SDP's media ports (and their RTCP ports, +1).
    /// `extraFilter`: more of the capture filter, or-ed (e.g. `icmp` for port unreachable).
    /// Returns nil when not recording and not `needed`.
    static func begin(_ name: String, sipPorts: [Int], mediaPorts: [Int] = [], mediaFromSDP: Bool = false,
                      alsoCapture extraFilter: String? = nil, needed: Bool = false) throws -> ScenarioCapture? {
        guard recording || needed else { return nil }
        let file = recording ? directory.appendingPathComponent("\(name).pcapng").path
            : sipTemporaryDirectory("sip-capture").appendingPathComponent("\(name).pcapng").path
        let portList = sipPorts.map { "port \($0)" }
        let filter: String
        let raw: String
        if mediaFromSDP {
            filter = (["udp", "(tcp and (\(portList.joined(separator: " or "))))"] + (extraFilter.map { [$0] } ?? []))
                .joined(separator: " or ")
            raw = sipTemporaryDirectory("sip-capture-raw").appendingPathComponent("\(name).pcapng").path
        } else {
            filter = (portList + mediaPorts.map { "udp port \($0)" } + (extraFilter.map { [$0] } ?? [])).joined(separator: " or ")
            raw = file
        }
        let capture = try PacketCapture.start(filter: filter, file: raw)
        return ScenarioCapture(name: name, file: file, capture: capture, sipPorts: sipPorts, mediaFromSDP: mediaFromSDP)
    }

    private init(name: String, file: String, capture: PacketCapture, sipPorts: [Int], mediaFromSDP: Bool) {
        self.name = name
        self.file = file
        self.capture = capture
        self.sipPorts = sipPorts
        self.mediaFromSDP = mediaFromSDP
    }

    /// Stops tshark and writes the final file; returns its path.
    @discardableResult
    func finish() throws -> String {
        capture.stop()
        if mediaFromSDP {
            let media = try sdpMediaPorts(pcap: capture.file, sipPorts: sipPorts).filter { $0 > 0 }
            let udp = Set(sipPorts + media + media.map { $0 + 1 }).sorted().map(String.init).joined(separator: ", ")
            let tcp = sipPorts.map(String.init).joined(separator: ", ")
            try filterCapture(pcap: capture.file, displayFilter: "udp.port in {\(udp)} || tcp.port in {\(tcp)}", into: file)
            try? FileManager.default.removeItem(atPath: capture.file)
        }
        if Self.recording { chmod(file, 0o644) }
        return file
    }
}

// MARK: - UDP sockets (Glibc)

/// close(2), callable where a `close()` method hides the C function.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// A UDP socket on 127.0.0.1 for talking SIP by hand and for receiving RTP.
final class UDPSocket: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private let lock = NSLock()
    private var closed = false

    /// Binds 127.0.0.1:`port` (0: a free port).
    init(port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SIPPeerError("socket: errno \(errno)") }
        var address = Self.loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let error = errno
            closeDescriptor(fd)
            throw SIPPeerError("bind 127.0.0.1:\(port): errno \(error)")
        }
        // Room for a burst of RTP or a 64 KiB answer.
        var size: Int32 = 1 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: local.sin_port))
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Sends one datagram to 127.0.0.1:`port`.
    func send(_ bytes: [UInt8], to port: Int) throws {
        var address = Self.loopback(port: port)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == bytes.count else { throw SIPPeerError("sendto 127.0.0.1:\(port): \(sent) of \(bytes.count) bytes, errno \(errno)") }
    }

    func send(_ text: String, to port: Int) throws { try send(Array(text.utf8), to: port) }

    /// The next datagram and its source port, or nil after `timeout` seconds.
    func receive(timeout: TimeInterval) -> (bytes: [UInt8], sourcePort: Int)? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, min(left * 1000, 1000))))
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var source = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &source) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) }
                }
            }
            // A refused earlier send (ICMP) shows up as an error here: skip it.
            if count < 0 { continue }
            return (Array(buffer[0..<count]), Int(UInt16(bigEndian: source.sin_port)))
        }
    }

    func close() {
        lock.lock(); defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        closeDescriptor(fd)
    }

    deinit { close() }

    /// A loopback port with nothing listening on it (UDP and TCP), for "the trunk is down".
    static func unusedPort() throws -> Int {
        let probe = try UDPSocket()
        let port = probe.port
        probe.close()
        return port
    }
}

/// Counts the datagrams arriving on a UDP socket of its own (an RTP sink), on a thread.
final class UDPPacketCounter: @unchecked Sendable {
    let socket: UDPSocket
    private let lock = NSLock()
    private var counts: [Int: Int] = [:]
    private var running = true
    private var done = false

    init() throws {
        socket = try UDPSocket()
        Thread { [self] in
            while isRunning {
                if let (_, source) = socket.receive(timeout: 0.1) {
                    lock.lock()
                    counts[source, default: 0] += 1
                    lock.unlock()
                }
            }
            lock.lock()
            done = true
            lock.unlock()
        }.start()
    }

    var port: Int { socket.port }

    private var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        return running
    }

    /// Datagrams received so far, per source port.
    var packetsBySource: [Int: Int] {
        lock.lock(); defer { lock.unlock() }
        return counts
    }

    var packets: Int { packetsBySource.values.reduce(0, +) }

    func stop() {
        lock.lock()
        running = false
        lock.unlock()
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            lock.lock()
            let finished = done
            lock.unlock()
            if finished { break }
            usleep(10_000)
        }
        socket.close()
    }

    deinit { stop() }
}

// MARK: - tandem call

/// `tandem call …` run as a user runs it: its JSON lines, exit status and stderr.
final class TandemCall: @unchecked Sendable {
    /// What a finished `tandem call` printed.
    struct Result: @unchecked Sendable, CustomStringConvertible {
        /// Every stdout line that is a JSON object, in order.
        var events: [[String: Any]]
        /// The `"event":"final"` object, when the last line is one.
        var final: [String: Any]?
        var exitCode: Int32
        var stdout: String
        var stderr: String
        /// Seconds from start to exit.
        var elapsed: TimeInterval
        /// It had to be killed (still running at the timeout).
        var timedOut: Bool

        /// The state lines (`"event":"state"`), of one leg ("to" or "connect-to") when given.
        func states(leg: String? = nil) -> [[String: Any]] {
            events.filter { $0["event"] as? String == "state" && (leg == nil || $0["leg"] as? String == leg) }
        }

        /// The statuses a leg went through, in order.
        func statuses(leg: String = "to") -> [String] { states(leg: leg).compactMap { $0["status"] as? String } }

        /// A leg's last state line that carries a final status.
        func finalState(leg: String = "to") -> [String: Any]? {
            states(leg: leg).last { TandemCall.finalStatuses.contains($0["status"] as? String ?? "") }
        }

        var finalStatus: String? { final?["status"] as? String }
        var finalSIPCode: Int? { final?["sipCode"] as? Int }
        var finalDuration: Int? { final?["duration"] as? Int }
        var finalReason: String? { final?["reason"] as? String }

        var description: String {
            "exit \(exitCode)\(timedOut ? " (killed at the timeout)" : ""), \(String(format: "%.2f", elapsed)) s\n"
                + "stdout:\n\(stdout)stderr:\n\(stderr)"
        }
    }

    static let finalStatuses: Set<String> = ["completed", "busy", "no-answer", "failed", "canceled"]

    let process: Process
    let arguments: [String]
    private let output: OutputCollector
    private let started = Date()

    /// Starts `tandem call <arguments>` in the background, under the watchdog of
    /// `Process.stoppingWithParent`: its signal mask cleared (the tests send it SIGINT and
    /// SIGTERM, which a mask inherited from the test process would hold back; the watchdog
    /// passes them on), and stopped if the test process dies.
    static func start(arguments: [String]) throws -> TandemCall {
        let process = Process.stoppingWithParent(TandemServer.binary, ["call"] + arguments)
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_EXIT_WITH_PARENT"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = OutputCollector(stdout: out, stderr: err)
        return TandemCall(process: process, arguments: arguments, output: output)
    }

    /// Runs `tandem call <arguments>` to its end (killed after `timeout` seconds).
    static func run(arguments: [String], timeout: TimeInterval = 30) async throws -> Result {
        try await start(arguments: arguments).wait(timeout: timeout)
    }

    private init(process: Process, arguments: [String], output: OutputCollector) {
        self.process = process
        self.arguments = arguments
        self.output = output
    }

    /// The JSON objects printed so far.
    var events: [[String: Any]] {
        output.stdoutLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Waits until a printed line satisfies `condition` (true) or `timeout` passes or the process ends (false).
    func waitForEvent(timeout: Duration = .seconds(10), _ condition: ([String: Any]) -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if events.contains(where: condition) { return true }
            if !process.isRunning && output.finished { return events.contains(where: condition) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return events.contains(where: condition)
    }

    /// Waits for a state line of `leg` with `status`.
    func waitForState(_ status: String, leg: String = "to", timeout: Duration = .seconds(10)) async -> Bool {
        await waitForEvent(timeout: timeout) {
            $0["event"] as? String == "state" && $0["leg"] as? String == leg && $0["status"] as? String == status
        }
    }

    /// Sends a signal (SIGINT, SIGTERM) to the command.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the end (SIGKILL after `timeout` seconds) and returns what it printed.
    func wait(timeout: TimeInterval = 30) async -> Result {
        var timedOut = false
        if !(await waitForExit(process, timeout: .milliseconds(Int(timeout * 1000)))) {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            await waitForExit(process, timeout: .seconds(5))
        }
        let elapsed = Date().timeIntervalSince(started)
        let clock = ContinuousClock()
        let end = clock.now + .seconds(5)
        while !output.finished, clock.now < end { try? await Task.sleep(for: .milliseconds(10)) }
        let events = self.events
        let last = events.last
        return Result(events: events, final: last?["event"] as? String == "final" ? last : nil,
                      exitCode: process.isRunning ? -1 : process.terminationStatus,
                      stdout: output.stdout, stderr: output.stderr, elapsed: elapsed, timedOut: timedOut)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

// MARK: - tandem sip listen

/// `tandem sip listen …` (a UAS for inbound traffic) on loopback, its stderr in a log file.
final class TandemSIPListener: @unchecked Sendable {
    let process: Process
    let port: Int
    let logFile: String

    /// Starts `tandem sip listen <arguments>` (with `--listen 127.0.0.1:0` unless `arguments`
    /// has `--listen`) and waits for `READY sip=PORT`.
    static func start(arguments: [String] = []) throws -> TandemSIPListener {
        let listen = arguments.contains("--listen") ? [] : ["--listen", "127.0.0.1:0"]
        // Signal mask cleared (it must end on SIGTERM), and stopped with the test process: a
        // suite's listener is never stopped explicitly.
        let process = Process.stoppingWithParent(TandemServer.binary, ["sip", "listen"] + listen + arguments)
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_EXIT_WITH_PARENT"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let logFile = sipTemporaryDirectory("sip-listen").appendingPathComponent("stderr.log").path
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: logFile)
        try process.run()
        let (line, ports) = readyLine(from: out, timeout: 30)
        guard line.hasPrefix("READY sip="), let port = ports["sip"] else {
            kill(process.processIdentifier, SIGKILL)
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw SIPPeerError("tandem sip listen did not report READY (got '\(line)'); stderr:\n\(log)")
        }
        out.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
        return TandemSIPListener(process: process, port: port, logFile: logFile)
    }

    private init(process: Process, port: Int, logFile: String) {
        self.process = process
        self.port = port
        self.logFile = logFile
    }

    var isRunning: Bool { process.isRunning }

    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM (it exits on it), SIGKILL if it lingers.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if !waitForExit(process, timeout: 5) {
            kill(process.processIdentifier, SIGKILL)
            waitForExit(process, timeout: 2)
        }
    }

    deinit { stop() }
}
