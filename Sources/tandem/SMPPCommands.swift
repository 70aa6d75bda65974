import ArgumentParser
import Logging
import NIOCore
import SMPP
import SMPPClient

struct SMPPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smpp",
        abstract: "Talk to an SMSC directly: send a message, or listen for MO messages and receipts.",
        subcommands: [SMPPSend.self, SMPPListen.self]
    )
}

/// The connection options shared by the SMPP commands.
struct SMSCOptions: ParsableArguments {
    @Option(help: "The SMSC as HOST:PORT.")
    var smsc: String

    @Option(help: "system_id to bind with.")
    var systemID: String

    @Option(help: "Password to bind with.")
    var password: String

    @Option(help: "system_type to bind with.")
    var systemType = ""

    @Option(help: "Bind name used in logs.")
    var name = "cli"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "warning"

    @Flag(help: "Connect over TLS.")
    var tls = false

    @Option(help: "PEM file of the CA to trust for TLS (default: the system's roots).")
    var tlsCA: String?

    @Option(help: "PEM client certificate for TLS.")
    var tlsCert: String?

    @Option(help: "PEM private key of the client certificate.")
    var tlsKey: String?

    @Flag(help: "Verify the SMSC's certificate chain but not that it names the host.")
    var tlsNoVerifyHostname = false

    func endpoint() throws -> (host: String, port: Int) {
        guard let colon = smsc.lastIndex(of: ":"), let port = Int(smsc[smsc.index(after: colon)...]),
              (1...65535).contains(port), colon != smsc.startIndex else {
            throw ValidationError("--smsc must be HOST:PORT, got '\(smsc)'")
        }
        return (String(smsc[..<colon]), port)
    }

    func bindConfiguration(_ bindType: BindType, window: Int = 10) throws -> SMPPBindConfiguration {
        let (host, port) = try endpoint()
        var configuration = SMPPBindConfiguration(name: name, host: host, port: port, bindType: bindType,
                                                  systemID: systemID, password: password, systemType: systemType,
                                                  windowSize: window, reconnectInitialDelay: .milliseconds(500),
                                                  reconnectMaxDelay: .seconds(10))
        if tls || tlsCA != nil || tlsCert != nil {
            configuration.tls = SMPPTLSConfiguration(caFile: tlsCA, certificateFile: tlsCert, privateKeyFile: tlsKey,
                                                     verifyHostname: !tlsNoVerifyHostname)
        }
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }
        return configuration
    }

    func logger() -> Logger {
        var logger = Logger(label: "tandem.smpp")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        return logger
    }
}

struct SMPPSend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Submit one message (split if long) and print the SMSC's message id of each part."
    )

    @OptionGroup var smsc: SMSCOptions

    @Option(help: "Sender address (+E.164, digits, or alphanumeric).")
    var from: String

    @Option(help: "Destination address.")
    var to: String

    @Option(help: "Bind type: trx or tx.")
    var bind = "trx"

    @Option(help: "Text coding: auto (GSM 7-bit, else UCS-2), gsm or ucs2.")
    var coding = "auto"

    @Option(help: "How a long text is split: udh, udh16, sar or payload.")
    var split = "udh"

    @Flag(help: "Ask the SMSC for a delivery receipt (registered_delivery 1).")
    var receipt = false

    @Argument(help: "The text to send.")
    var text: String

    func validate() throws {
        guard ["trx", "tx"].contains(bind) else { throw ValidationError("--bind must be trx or tx") }
        guard ["auto", "gsm", "ucs2"].contains(coding) else { throw ValidationError("--coding must be auto, gsm or ucs2") }
        guard ConcatenationMethod(rawValue: split) != nil else { throw ValidationError("--split must be udh, udh16, sar or payload") }
    }

    func run() async throws {
        let configuration = try smsc.bindConfiguration(bind == "tx" ? .transmitter : .transceiver)
        let client = SMPPClient(configuration: configuration, logger: smsc.logger())
        var template = SubmitSM()
        template.setAddresses(source: SMPPAddress.derive(from), destination: SMPPAddress.derive(to))
        template.registeredDelivery = receipt ? 1 : 0
        let choice: CodingChoice = coding == "gsm" ? .gsm7 : coding == "ucs2" ? .ucs2 : .auto
        let parts: [SubmitSM]
        do {
            parts = try SubmitSM.parts(of: text, template: template, choice: choice,
                                       method: ConcatenationMethod(rawValue: split)!, reference: UInt16.random(in: 1...0xFFFF))
        } catch {
            throw ValidationError("cannot encode the text: \(error)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                try await client.waitUntilBound(timeout: .seconds(15))
                for part in parts {
                    let response = try await client.submit(part)
                    print(response.messageID)
                }
            } catch {
                printError("error: \(error)")
                await client.shutdown()
                throw ExitCode(1)
            }
            await client.shutdown()
        }
    }
}

struct SMPPListen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Bind and print every MO message and delivery receipt as a JSON line until interrupted.",
        discussion: "Parts of long messages are printed as they arrive, and the reassembled message once complete."
    )

    @OptionGroup var smsc: SMSCOptions

    @Option(help: "Bind type: trx or rx.")
    var bind = "trx"

    @Option(help: "What data_coding 0 means: gsm7, ascii or latin1.")
    var defaultAlphabet = "gsm7"

    func validate() throws {
        guard ["trx", "rx"].contains(bind) else { throw ValidationError("--bind must be trx or rx") }
        guard ["gsm7", "ascii", "latin1"].contains(defaultAlphabet) else { throw ValidationError("--default-alphabet must be gsm7, ascii or latin1") }
    }

    func run() async throws {
        let configuration = try smsc.bindConfiguration(bind == "rx" ? .receiver : .transceiver)
        let alphabet: DefaultAlphabet = defaultAlphabet == "ascii" ? .ascii : defaultAlphabet == "latin1" ? .latin1 : .gsm7Unpacked
        let printer = InboundPrinter(alphabet: alphabet)
        let client = SMPPClient(configuration: configuration, logger: smsc.logger()) { message in
            await printer.print(message)
        }
        await client.run()
    }
}

/// Prints inbound messages as JSON lines and reassembles long ones.
actor InboundPrinter {
    let alphabet: DefaultAlphabet
    var reassembler = Reassembler<InboundMessage.MobileOriginated>(timeout: .seconds(600), maxPendingSegments: 10_000)
    let clock = ContinuousClock()
    let start: ContinuousClock.Instant

    init(alphabet: DefaultAlphabet) {
        self.alphabet = alphabet
        start = clock.now
    }

    func print(_ message: InboundMessage) {
        switch message {
        case .deliveryReceipt(let receipt, let base):
            var fields: [(String, JSONValue)] = [("type", .string("receipt")), ("bind", .string(base.bind)),
                                                 ("source", .string(base.source)), ("destination", .string(base.destination)),
                                                 ("id", .string(receipt.messageID)),
                                                 ("normalized_id", .string(MessageIDMatching.normalized(receipt.messageID))),
                                                 ("state", receipt.state.map { .string($0.specName) } ?? .null)]
            if let stat = receipt.statText { fields.append(("stat", .string(stat))) }
            if let err = receipt.errorCode { fields.append(("err", .string(err))) }
            if let code = receipt.networkErrorCode {
                fields.append(("network_error_code", .object([("network_type", .int(Int64(code.networkType))),
                                                              ("error_code", .int(Int64(code.errorCode)))])))
            }
            emit(.object(fields))
        case .mobileOriginated(let mo):
            var fields: [(String, JSONValue)] = [("type", .string("mo")), ("bind", .string(mo.bind)),
                                                 ("source", .string(mo.source)), ("destination", .string(mo.destination)),
                                                 ("data_coding", .int(Int64(mo.dataCoding)))]
            if let info = mo.concatenation {
                fields.append(("part", .object([("reference", .int(Int64(info.reference))), ("total", .int(Int64(info.total))),
                                                 ("sequence", .int(Int64(info.sequence))), ("scheme", .string("\(info.scheme)"))])))
            }
            fields.append(("text", mo.text(defaultAlphabet: alphabet).map(JSONValue.string) ?? .null))
            emit(.object(fields))
            guard let info = mo.concatenation else { return }
            let now = clock.now - start
            let key = SegmentKey(bind: mo.bind, source: mo.source, destination: mo.destination, info: info)
            if case .complete(let parts) = reassembler.add(mo, key: key, sequence: info.sequence, now: now) {
                let payload = parts.flatMap(\.payload)
                let text = ShortMessageText.decode(payload, dataCoding: mo.dataCoding, defaultAlphabet: alphabet)
                emit(.object([("type", .string("mo_reassembled")), ("bind", .string(mo.bind)), ("source", .string(mo.source)),
                              ("destination", .string(mo.destination)), ("parts", .int(Int64(parts.count))),
                              ("text", text.map(JSONValue.string) ?? .null)]))
            }
        }
    }

    private func emit(_ value: JSONValue) {
        writeLine(value.rendered())
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
