import Testing
@testable import SIP

/// Mutated INVITEs through what the endpoint runs on every datagram: the guard, then (when it
/// lets the bytes through) osip2's parser and the RFC checks, then the response skeleton for
/// whatever is refused. Nothing may crash; every input ends in exactly one outcome.
@Suite struct MutationFuzzTests {
    /// A small deterministic generator (xorshift64*), so a failure can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    static let seedMessage = Array(("INVITE sip:+15550001@127.0.0.1:5060 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKfuzz;rport\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Fuzz\" <sip:+15551000@127.0.0.1>;tag=f1\r\n"
        + "To: <sip:+15550001@127.0.0.1>\r\n"
        + "Call-ID: fuzz@127.0.0.1\r\n"
        + "CSeq: 1 INVITE\r\n"
        + "Contact: <sip:+15551000@127.0.0.1:5070>\r\n"
        + "Content-Type: application/sdp\r\n"
        + "Content-Length: 30\r\n\r\n"
        + "v=0\r\nc=IN IP4 127.0.0.1\r\nm=x\r\n").utf8)

    static let interesting: [[UInt8]] = ["\r\n", "\r\n\r\n", ":", ";", ",", "<", ">", "\"", "\\", "%", "\0", " ", "\t",
                                         "SIP/2.0", "z9hG4bK", "Content-Length: ", "-1", "99999999999999999999", "Via: "]
        .map { Array($0.utf8) }

    static func mutate(_ message: [UInt8], using generator: inout Generator) -> [UInt8] {
        var bytes = message
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &generator)
            case 1 where !bytes.isEmpty: bytes.remove(at: position)
            case 2: bytes.insert(contentsOf: interesting.randomElement(using: &generator)!, at: position)
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...40, using: &generator))
                bytes.removeSubrange(position..<end)
            default:
                let start = Int.random(in: 0..<max(1, bytes.count), using: &generator)
                let slice = bytes[start..<min(bytes.count, start + Int.random(in: 1...60, using: &generator))]
                bytes.insert(contentsOf: slice, at: position)
            }
        }
        return bytes
    }

    enum Outcome: Hashable { case keepAlive, refusedByGuard, refusedByParser, parsed }

    static func run(_ bytes: [UInt8], guard datagramGuard: SIPDatagramGuard) -> Outcome {
        bytes.withUnsafeBytes { buffer in
            switch datagramGuard.inspect(buffer) {
            case .keepAlive:
                return .keepAlive
            case .tooLarge, .tooManyHeaderLines, .malformed:
                _ = SIPResponseSkeleton(request: buffer)?.response(status: 400, reason: "Bad Request", toTag: "t")
                return .refusedByGuard
            case .parse:
                do {
                    let message = try SIPMessage(parsing: buffer)
                    // What the transaction user reads of every message must not trap either.
                    _ = (message.cseq, message.topViaBranch, message.fromTag, message.toTag, message.contactURI,
                         message.requestURI.flatMap(SIPURI.init), message.serialized())
                    return .parsed
                } catch {
                    _ = SIPResponseSkeleton(request: buffer)?.response(status: 400, reason: "\(error)", toTag: "t")
                    return .refusedByParser
                }
            }
        }
    }

    @Test func twentyThousandMutatedInvitesNeverCrashAndAreEachClassified() {
        var generator = Generator(state: 0x5eed_7a9d_e3c1_0001)
        var outcomes: [Outcome: Int] = [:]
        let datagramGuard = SIPDatagramGuard()
        for _ in 0..<20_000 {
            outcomes[Self.run(Self.mutate(Self.seedMessage, using: &generator), guard: datagramGuard), default: 0] += 1
        }
        #expect(outcomes.values.reduce(0, +) == 20_000)
        // The mutations reach every stage: some are stopped early, some by osip2 or the RFC
        // checks, and some still parse.
        #expect((outcomes[.refusedByGuard] ?? 0) > 1_000, "\(outcomes)")
        #expect((outcomes[.refusedByParser] ?? 0) > 1_000, "\(outcomes)")
        #expect((outcomes[.parsed] ?? 0) > 1_000, "\(outcomes)")
    }

    @Test func theUnmutatedSeedParses() {
        #expect(Self.run(Self.seedMessage, guard: SIPDatagramGuard()) == .parsed)
    }
}
