import Conversations
import Foundation
import TandemStore
import Testing

/// What the bridge records about carrier deliveries: parts, receipts in any order, failures.
@Suite struct CarrierDeliveryTests {
    func messageToOne(_ f: StoreFixture) async throws -> (Conversation, Message, OutboxEntry) {
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550003001", "+15559990001")
        let m = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "long text"))
        let row = try #require(try await f.store.outbox(message: m.sid).first)
        return (a, m, row)
    }

    func status(_ f: StoreFixture, _ a: Conversation, _ m: Message) async throws -> DeliveryStatus? {
        try await f.store.receipts(service: f.service, conversation: a.sid, message: m.sid, PageRequest()).items.first?.status
    }

    @Test func aLongMessageIsDeliveredWhenEveryPartIs() async throws {
        let f = try StoreFixture()
        let (a, m, row) = try await messageToOne(f)
        try await f.store.recordSubmission(row, provider: "p", parts: [SubmittedPart(idKeys: ["t:1a", "n:26"]), SubmittedPart(idKeys: ["t:1b", "n:27"])])
        // The receipt names the first part by its decimal id.
        #expect(try await f.store.applyCarrierReceipt(provider: "p", keys: ["t:26", "n:26"], status: .delivered, errorCode: 0))
        #expect(try await status(f, a, m) == .sent, "one part of two delivered is not the message delivered")
        #expect(try await f.store.applyCarrierReceipt(provider: "p", keys: ["t:1b"], status: .delivered, errorCode: 0))
        #expect(try await status(f, a, m) == .delivered)
    }

    @Test func aFailedPartFailsTheMessageWithItsCode() async throws {
        let f = try StoreFixture()
        let (a, m, row) = try await messageToOne(f)
        try await f.store.recordSubmission(row, provider: "p", parts: [SubmittedPart(idKeys: ["t:x1"]), SubmittedPart(idKeys: ["t:x2"])])
        _ = try await f.store.applyCarrierReceipt(provider: "p", keys: ["t:x1"], status: .delivered, errorCode: 0)
        _ = try await f.store.applyCarrierReceipt(provider: "p", keys: ["t:x2"], status: .undelivered, errorCode: 30003)
        let receipt = try #require(try await f.store.receipts(service: f.service, conversation: a.sid, message: m.sid, PageRequest()).items.first)
        #expect(receipt.status == .undelivered && receipt.errorCode == 30003)
    }

    @Test func aReceiptBeforeItsSubmitResponseIsNotLost() async throws {
        let f = try StoreFixture()
        let (a, m, row) = try await messageToOne(f)
        #expect(try await f.store.applyCarrierReceipt(provider: "p", keys: ["t:early"], status: .delivered, errorCode: 0) == false)
        try await f.store.recordSubmission(row, provider: "p", parts: [SubmittedPart(idKeys: ["t:early"])])
        #expect(try await status(f, a, m) == .delivered)
    }

    @Test func receiptsAreMatchedPerProvider() async throws {
        let f = try StoreFixture()
        let (a, m, row) = try await messageToOne(f)
        try await f.store.recordSubmission(row, provider: "p", parts: [SubmittedPart(idKeys: ["t:same"])])
        #expect(try await f.store.applyCarrierReceipt(provider: "other", keys: ["t:same"], status: .failed, errorCode: 1) == false)
        #expect(try await status(f, a, m) == .sent)
    }

    @Test func reschedulingAndFailingAnOutboxRow() async throws {
        let f = try StoreFixture()
        let (a, m, row) = try await messageToOne(f)
        try await f.store.rescheduleDelivery(row, delay: 30)
        #expect(try await f.store.dueOutbox(limit: 10).isEmpty)
        let later = try #require(try await f.store.dueOutbox(limit: 10, now: f.time + 30).first)
        #expect(later.attempts == 1)
        try await f.store.failDelivery(later, errorCode: 21610)
        #expect(try await f.store.outbox(message: m.sid).isEmpty)
        #expect(try await status(f, a, m) == .failed)
    }
}

@Suite struct PurgeTests {
    @Test func unmatchedReceiptsAndStalePartsAreForgottenOnlyWhenOld() async throws {
        let f = try StoreFixture()
        #expect(try await f.store.applyCarrierReceipt(provider: "p", keys: ["t:lost"], status: .delivered, errorCode: 0) == false)
        let part = InboundSMS(source: "+15550001001", destination: "+15559990001", dataCoding: 0, payload: Array("a".utf8),
                              part: .init(scheme: 0, reference: 9, total: 2, sequence: 1))
        _ = try await f.store.receiveInbound(part, rejectUnrouted: false) { bytes, _ in String(decoding: bytes, as: UTF8.self) }
        #expect(try await f.store.purgeEarlyReceipts(olderThan: 60) == 0)
        #expect(try await f.store.purgeStaleSegments(olderThan: 60) == 0)
        f.advance(61)
        #expect(try await f.store.purgeEarlyReceipts(olderThan: 60) == 1)
        #expect(try await f.store.purgeStaleSegments(olderThan: 60) == 1)
    }
}

@Suite struct PartialSubmissionTests {
    @Test func partsAcceptedBeforeAFailureAreKeptAndTheRestCompletesTheMessage() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550003001", "+15559990001")
        let m = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "three parts"))
        let row = try #require(try await f.store.outbox(message: m.sid).first)
        // Part 1 of 3 accepted by "p", then a failure.
        try await f.store.recordPartialSubmission(RecordedSubmission(entry: row, provider: "p", parts: [SubmittedPart(idKeys: ["t:p1"])],
                                                                     totalParts: 3), delay: 0)
        let retry = try #require(try await f.store.outbox(message: m.sid).first)
        #expect(retry.partsDone == 1 && retry.provider == "p" && retry.attempts == 1)
        // The retry sends parts 2 and 3 only.
        try await f.store.recordSubmission(retry, provider: "p", parts: [SubmittedPart(idKeys: ["t:p2"]), SubmittedPart(idKeys: ["t:p3"])])
        #expect(try await f.store.outbox(message: m.sid).isEmpty)
        for key in ["t:p1", "t:p2"] {
            #expect(try await f.store.applyCarrierReceipt(provider: "p", keys: [key], status: .delivered, errorCode: 0))
        }
        let receipt = { try await f.store.receipts(service: f.service, conversation: a.sid, message: m.sid, PageRequest()).items.first?.status }
        #expect(try await receipt() == .sent, "two of three parts delivered is not delivered")
        #expect(try await f.store.applyCarrierReceipt(provider: "p", keys: ["t:p3"], status: .delivered, errorCode: 0))
        #expect(try await receipt() == .delivered)
    }
}
