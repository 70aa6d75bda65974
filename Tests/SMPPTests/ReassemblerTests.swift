import Testing

@testable import SMPP

@Suite struct ReassemblerTests {
    private func key(
        reference: UInt16 = 0x42, total: UInt8 = 3, scheme: ConcatenationInfo.Scheme = .udh8,
        bind: String = "smsc-a", source: String = "447700900001", destination: String = "447700900002"
    ) -> SegmentKey {
        SegmentKey(bind: bind, source: source, destination: destination, reference: reference, total: total, scheme: scheme)
    }

    private func seconds(_ value: Int64) -> Duration { .seconds(value) }

    @Test func completesPartsInOrder() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 100)
        let k = key()
        #expect(reassembler.add("a", key: k, sequence: 1, now: seconds(0)) == .pending(received: 1, total: 3, evicted: []))
        #expect(reassembler.add("b", key: k, sequence: 2, now: seconds(1)) == .pending(received: 2, total: 3, evicted: []))
        #expect(reassembler.add("c", key: k, sequence: 3, now: seconds(2)) == .complete(parts: ["a", "b", "c"]))
        #expect(reassembler.pendingMessageCount == 0)
        #expect(reassembler.pendingSegmentCount == 0)
    }

    @Test func completesPartsArrivingThreeOneTwo() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 100)
        let k = key()
        #expect(reassembler.add("c", key: k, sequence: 3, now: seconds(0)) == .pending(received: 1, total: 3, evicted: []))
        #expect(reassembler.add("a", key: k, sequence: 1, now: seconds(0)) == .pending(received: 2, total: 3, evicted: []))
        #expect(reassembler.add("b", key: k, sequence: 2, now: seconds(0)) == .complete(parts: ["a", "b", "c"]))
    }

    @Test func completesOnCountNotOnLastNumberedPart() {
        var reassembler = Reassembler<Int>(timeout: .seconds(60), maxPendingSegments: 100)
        let k = key(total: 4)
        // The last-numbered part arrives second; completion waits for all four.
        #expect(reassembler.add(2, key: k, sequence: 2, now: seconds(0)) == .pending(received: 1, total: 4, evicted: []))
        #expect(reassembler.add(4, key: k, sequence: 4, now: seconds(0)) == .pending(received: 2, total: 4, evicted: []))
        #expect(reassembler.add(1, key: k, sequence: 1, now: seconds(0)) == .pending(received: 3, total: 4, evicted: []))
        #expect(reassembler.add(3, key: k, sequence: 3, now: seconds(0)) == .complete(parts: [1, 2, 3, 4]))
    }

    @Test func singlePartCompletesImmediately() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 0)
        #expect(reassembler.add("only", key: key(total: 1), sequence: 1, now: seconds(0)) == .complete(parts: ["only"]))
        #expect(reassembler.pendingMessageCount == 0)
    }

    @Test func dropsDuplicatesKeepingTheFirstCopy() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 100)
        let k = key(total: 2)
        #expect(reassembler.add("first", key: k, sequence: 1, now: seconds(0)) == .pending(received: 1, total: 2, evicted: []))
        #expect(reassembler.add("again", key: k, sequence: 1, now: seconds(1)) == .duplicate)
        #expect(reassembler.pendingSegmentCount == 1)
        #expect(reassembler.add("second", key: k, sequence: 2, now: seconds(2)) == .complete(parts: ["first", "second"]))
    }

    @Test func schemesNeverMix() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 100)
        let udh8 = key(reference: 0x42, total: 2, scheme: .udh8)
        let udh16 = key(reference: 0x42, total: 2, scheme: .udh16)
        let sar = key(reference: 0x42, total: 2, scheme: .sar)
        #expect(reassembler.add("8-1", key: udh8, sequence: 1, now: seconds(0)) == .pending(received: 1, total: 2, evicted: []))
        #expect(reassembler.add("16-2", key: udh16, sequence: 2, now: seconds(0)) == .pending(received: 1, total: 2, evicted: []))
        #expect(reassembler.add("sar-2", key: sar, sequence: 2, now: seconds(0)) == .pending(received: 1, total: 2, evicted: []))
        #expect(reassembler.pendingMessageCount == 3)
        #expect(reassembler.add("16-1", key: udh16, sequence: 1, now: seconds(0)) == .complete(parts: ["16-1", "16-2"]))
        #expect(reassembler.add("sar-1", key: sar, sequence: 1, now: seconds(0)) == .complete(parts: ["sar-1", "sar-2"]))
        #expect(reassembler.add("8-2", key: udh8, sequence: 2, now: seconds(0)) == .complete(parts: ["8-1", "8-2"]))
    }

    @Test func eightBitReferenceUsesLowByte() {
        #expect(key(reference: 0x1242, scheme: .udh8) == key(reference: 0x0042, scheme: .udh8))
        #expect(key(reference: 0x1242, scheme: .udh16) != key(reference: 0x0042, scheme: .udh16))
        #expect(key(reference: 0x1242, scheme: .sar).reference == 0x1242)
    }

    @Test func differentTotalsBindsOrAddressesDoNotMix() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 100)
        _ = reassembler.add("x", key: key(total: 2), sequence: 1, now: seconds(0))
        #expect(reassembler.add("y", key: key(total: 3), sequence: 2, now: seconds(0)) == .pending(received: 1, total: 3, evicted: []))
        #expect(reassembler.add("z", key: key(total: 2, bind: "smsc-b"), sequence: 2, now: seconds(0)) == .pending(received: 1, total: 2, evicted: []))
        #expect(reassembler.add("w", key: key(total: 2, source: "other"), sequence: 2, now: seconds(0)) == .pending(received: 1, total: 2, evicted: []))
        #expect(reassembler.pendingMessageCount == 4)
    }

    @Test func rejectsInvalidSequenceNumbers() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 10)
        #expect(reassembler.add("a", key: key(total: 3), sequence: 0, now: seconds(0)) == .invalid(.sequenceZero))
        #expect(reassembler.add("a", key: key(total: 3), sequence: 4, now: seconds(0)) == .invalid(.sequenceExceedsTotal))
        #expect(reassembler.add("a", key: key(total: 0), sequence: 1, now: seconds(0)) == .invalid(.totalZero))
        #expect(reassembler.add("a", key: key(total: 12), sequence: 1, now: seconds(0)) == .invalid(.totalExceedsCapacity))
        #expect(reassembler.pendingMessageCount == 0)
        // total - 1 == cap is still assemblable.
        #expect(reassembler.add("a", key: key(total: 11), sequence: 1, now: seconds(0)) == .pending(received: 1, total: 11, evicted: []))
    }

    @Test func expiryReturnsTheReceivedParts() {
        var reassembler = Reassembler<String>(timeout: .seconds(30), maxPendingSegments: 100)
        let old = key(reference: 1, total: 3)
        let young = key(reference: 2, total: 2)
        _ = reassembler.add("old-3", key: old, sequence: 3, now: seconds(0))
        _ = reassembler.add("young-1", key: young, sequence: 1, now: seconds(10))
        _ = reassembler.add("old-1", key: old, sequence: 1, now: seconds(20))
        #expect(reassembler.nextExpiry == seconds(30))

        #expect(reassembler.expire(now: seconds(29)).isEmpty)
        let expired = reassembler.expire(now: seconds(30))
        #expect(expired.count == 1)
        #expect(expired.first?.key == old)
        #expect(expired.first?.reason == .expired)
        #expect(expired.first?.firstArrival == seconds(0))
        #expect(expired.first?.parts == [SequencedPart(sequence: 1, part: "old-1"), SequencedPart(sequence: 3, part: "old-3")])
        #expect(expired.first?.missingSequences == [2])
        #expect(reassembler.pendingSegmentCount == 1)
        #expect(reassembler.nextExpiry == seconds(40))

        #expect(reassembler.expire(now: seconds(100)).map(\.key) == [young])
        #expect(reassembler.pendingMessageCount == 0)
        #expect(reassembler.nextExpiry == nil)
    }

    @Test func completedMessagesDoNotExpire() {
        var reassembler = Reassembler<String>(timeout: .seconds(30), maxPendingSegments: 100)
        let k = key(total: 2)
        _ = reassembler.add("a", key: k, sequence: 1, now: seconds(0))
        _ = reassembler.add("b", key: k, sequence: 2, now: seconds(1))
        #expect(reassembler.expire(now: seconds(1_000)).isEmpty)
        // The same reference may be reused for a new message after completion.
        #expect(reassembler.add("c", key: k, sequence: 2, now: seconds(1_001)) == .pending(received: 1, total: 2, evicted: []))
        #expect(reassembler.expire(now: seconds(1_031)).map(\.parts) == [[SequencedPart(sequence: 2, part: "c")]])
    }

    @Test func capEvictsTheOldestIncompleteMessage() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 4)
        let first = key(reference: 1, total: 3)
        let second = key(reference: 2, total: 3)
        let third = key(reference: 3, total: 3)
        _ = reassembler.add("1-1", key: first, sequence: 1, now: seconds(0))
        _ = reassembler.add("1-2", key: first, sequence: 2, now: seconds(1))
        _ = reassembler.add("2-1", key: second, sequence: 1, now: seconds(2))
        _ = reassembler.add("3-1", key: third, sequence: 1, now: seconds(3))
        #expect(reassembler.pendingSegmentCount == 4)

        let outcome = reassembler.add("2-2", key: second, sequence: 2, now: seconds(4))
        guard case .pending(let received, let total, let evicted) = outcome else {
            Issue.record("expected .pending, got \(outcome)")
            return
        }
        #expect(received == 2)
        #expect(total == 3)
        #expect(evicted.map(\.key) == [first])
        #expect(evicted.first?.reason == .evicted)
        #expect(evicted.first?.parts.map(\.part) == ["1-1", "1-2"])
        #expect(reassembler.pendingSegmentCount == 3)
        #expect(reassembler.pendingMessageCount == 2)
        #expect(reassembler.add("2-3", key: second, sequence: 3, now: seconds(5)) == .complete(parts: ["2-1", "2-2", "2-3"]))
    }

    @Test func capNeverEvictsTheMessageBeingAddedTo() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 3)
        let oldest = key(reference: 1, total: 4)
        let other = key(reference: 2, total: 2)
        _ = reassembler.add("1-1", key: oldest, sequence: 1, now: seconds(0))
        _ = reassembler.add("1-2", key: oldest, sequence: 2, now: seconds(1))
        _ = reassembler.add("2-1", key: other, sequence: 1, now: seconds(2))
        // The oldest message grows to 3 parts: the younger one has to go instead.
        #expect(reassembler.add("1-3", key: oldest, sequence: 3, now: seconds(3)) == .pending(
            received: 3, total: 4,
            evicted: [IncompleteMessage(key: other, parts: [SequencedPart(sequence: 1, part: "2-1")], firstArrival: seconds(2), reason: .evicted)]
        ))
        #expect(reassembler.add("1-4", key: oldest, sequence: 4, now: seconds(4)) == .complete(parts: ["1-1", "1-2", "1-3", "1-4"]))
    }

    @Test func capEvictsSeveralMessagesWhenNeeded() {
        var reassembler = Reassembler<Int>(timeout: .seconds(60), maxPendingSegments: 3)
        for reference in 1...3 {
            _ = reassembler.add(reference, key: key(reference: UInt16(reference), total: 2), sequence: 1, now: seconds(Int64(reference)))
        }
        let big = key(reference: 9, total: 4)
        _ = reassembler.add(91, key: big, sequence: 1, now: seconds(10))
        _ = reassembler.add(92, key: big, sequence: 2, now: seconds(11))
        let outcome = reassembler.add(93, key: big, sequence: 3, now: seconds(12))
        guard case .pending(_, _, let evicted) = outcome else {
            Issue.record("expected .pending, got \(outcome)")
            return
        }
        #expect(evicted.map(\.key.reference) == [3])
        #expect(reassembler.pendingSegmentCount == 3)
    }

    @Test func removeAllReturnsEverythingOldestFirst() {
        var reassembler = Reassembler<String>(timeout: .seconds(60), maxPendingSegments: 10)
        _ = reassembler.add("b", key: key(reference: 2), sequence: 1, now: seconds(0))
        _ = reassembler.add("a", key: key(reference: 1), sequence: 2, now: seconds(1))
        let removed = reassembler.removeAll()
        #expect(removed.map(\.key.reference) == [2, 1])
        #expect(removed.allSatisfy { $0.reason == .removed })
        #expect(reassembler.pendingMessageCount == 0)
        #expect(reassembler.pendingSegmentCount == 0)
    }

    @Test func timeGoingBackwardsIsClamped() {
        var reassembler = Reassembler<String>(timeout: .seconds(10), maxPendingSegments: 10)
        _ = reassembler.add("a", key: key(reference: 1), sequence: 1, now: seconds(100))
        _ = reassembler.add("b", key: key(reference: 2), sequence: 1, now: seconds(5))
        #expect(reassembler.expire(now: seconds(109)).isEmpty)
        #expect(reassembler.expire(now: seconds(110)).count == 2)
    }

    @Test func detectsUDHAndSARConcatenation() throws {
        let udh8 = try #require(ConcatenationInfo.detect(
            esmClass: 0x40, shortMessage: [0x05, 0x00, 0x03, 0xA7, 0x02, 0x01, 0x48, 0x69],
            sarMsgRefNum: nil, sarTotalSegments: nil, sarSegmentSeqnum: nil
        ))
        #expect(udh8 == ConcatenationInfo(reference: 0xA7, total: 2, sequence: 1, scheme: .udh8, payload: [0x48, 0x69]))

        let udh16 = try #require(ConcatenationInfo.detect(
            esmClass: 0x43, shortMessage: [0x06, 0x08, 0x04, 0x01, 0x02, 0x03, 0x03, 0x41],
            sarMsgRefNum: nil, sarTotalSegments: nil, sarSegmentSeqnum: nil
        ))
        #expect(udh16 == ConcatenationInfo(reference: 0x0102, total: 3, sequence: 3, scheme: .udh16, payload: [0x41]))

        let sar = try #require(ConcatenationInfo.detect(
            esmClass: 0x00, shortMessage: [0x41, 0x42], sarMsgRefNum: 0xABCD, sarTotalSegments: 2, sarSegmentSeqnum: 2
        ))
        #expect(sar == ConcatenationInfo(reference: 0xABCD, total: 2, sequence: 2, scheme: .sar, payload: [0x41, 0x42]))

        // SAR with a header that has only ports: the header is stripped from the payload.
        let sarWithPorts = try #require(ConcatenationInfo.detect(
            esmClass: 0x40, shortMessage: [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x41],
            sarMsgRefNum: 7, sarTotalSegments: 2, sarSegmentSeqnum: 1
        ))
        #expect(sarWithPorts.scheme == .sar)
        #expect(sarWithPorts.payload == [0x41])

        // A 16-bit reference in an 8-bit key field keeps only the low byte.
        #expect(SegmentKey(bind: "b", source: "s", destination: "d", info: udh8).reference == 0xA7)
    }

    @Test func detectReturnsNilForSinglePartMessages() {
        // UDH-looking bytes without UDHI are text.
        #expect(ConcatenationInfo.detect(
            esmClass: 0x00, shortMessage: [0x05, 0x00, 0x03, 0xA7, 0x02, 0x01],
            sarMsgRefNum: nil, sarTotalSegments: nil, sarSegmentSeqnum: nil
        ) == nil)
        // UDHI with only a port element.
        #expect(ConcatenationInfo.detect(
            esmClass: 0x40, shortMessage: [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x41],
            sarMsgRefNum: nil, sarTotalSegments: nil, sarSegmentSeqnum: nil
        ) == nil)
        // Incomplete SAR TLVs.
        #expect(ConcatenationInfo.detect(
            esmClass: 0x00, shortMessage: [0x41], sarMsgRefNum: 1, sarTotalSegments: 2, sarSegmentSeqnum: nil
        ) == nil)
        // Malformed header.
        #expect(ConcatenationInfo.detect(
            esmClass: 0x40, shortMessage: [0x09, 0x00, 0x03],
            sarMsgRefNum: nil, sarTotalSegments: nil, sarSegmentSeqnum: nil
        ) == nil)
    }

    @Test func detectedPartsReassemble() {
        var reassembler = Reassembler<[UInt8]>(timeout: .seconds(60), maxPendingSegments: 10)
        let pdus: [[UInt8]] = [
            [0x05, 0x00, 0x03, 0x10, 0x02, 0x02, 0x43, 0x44],
            [0x05, 0x00, 0x03, 0x10, 0x02, 0x01, 0x41, 0x42],
        ]
        var outcomes: [ReassemblyOutcome<[UInt8]>] = []
        for pdu in pdus {
            guard let info = ConcatenationInfo.detect(
                esmClass: 0x40, shortMessage: pdu, sarMsgRefNum: nil, sarTotalSegments: nil, sarSegmentSeqnum: nil
            ) else {
                Issue.record("no concatenation found")
                return
            }
            let key = SegmentKey(bind: "smsc", source: "a", destination: "b", info: info)
            outcomes.append(reassembler.add(info.payload, key: key, sequence: info.sequence, now: .zero))
        }
        #expect(outcomes.last == .complete(parts: [[0x41, 0x42], [0x43, 0x44]]))
    }
}
