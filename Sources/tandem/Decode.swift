import ArgumentParser
import SMPP

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode one SMPP PDU and print it as JSON.",
        discussion: """
            Prints one JSON object: command, command_id, command_status, sequence_number, every
            mandatory field under its SMPP 3.4 name, tlvs, and for short messages text and udh.
            Invalid input prints the field and offset at fault and exits with status 1.
            """
    )

    @Option(help: "The PDU as hex (whitespace and a leading 0x are ignored).")
    var hex: String

    @Option(help: "What data_coding 0 means: gsm7 (unpacked), gsm7-packed, ascii or latin1.")
    var defaultAlphabet: String = "gsm7"

    @Option(help: "Largest command_length accepted.")
    var maxCommandLength = PDUDecoder.defaultMaxCommandLength

    func run() throws {
        let alphabet: DefaultAlphabet
        switch defaultAlphabet {
        case "gsm7": alphabet = .gsm7Unpacked
        case "gsm7-packed": alphabet = .gsm7Packed
        case "ascii": alphabet = .ascii
        case "latin1": alphabet = .latin1
        default: throw ValidationError("--default-alphabet must be gsm7, gsm7-packed, ascii or latin1")
        }
        guard let bytes = [UInt8](smppHex: hex) else {
            printError("error: --hex is not valid hex (odd number of digits or a non-hex character)")
            throw ExitCode(1)
        }
        do {
            let pdu = try PDUDecoder(maxCommandLength: maxCommandLength).decode(bytes)
            print(pdu.json(defaultAlphabet: alphabet).rendered())
        } catch {
            let report: JSONValue = .object([
                ("error", .string(error.kind.rawValue)),
                ("field", .string(error.field)),
                ("offset", .int(Int64(error.offset))),
                ("detail", .string(error.detail)),
                ("command_status", .int(Int64(error.commandStatus.rawValue))),
                ("command_status_name", .string(error.commandStatus.specName ?? "")),
            ])
            printError("error: \(error)")
            print(report.rendered())
            throw ExitCode(1)
        }
    }
}

func printError(_ message: String) {
    var standardError = StandardError()
    print(message, to: &standardError)
}

/// Writes one line to standard output unbuffered (JSON-lines consumers see it at once).
func writeLine(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress, $0.count) }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
