import Conversations
import Testing

@Suite struct SIDTests {
    @Test func madeSIDsHaveThePrefixAnd32LowercaseHexDigits() {
        for prefix in SIDPrefix.allCases {
            let sid = SID.make(prefix)
            #expect(sid.count == 34)
            #expect(sid.hasPrefix(prefix.rawValue))
            #expect(sid.dropFirst(2).allSatisfy { "0123456789abcdef".contains($0) }, "\(sid)")
            #expect(SID.isValid(sid, prefix: prefix))
        }
        #expect(SID.make(.conversation) != SID.make(.conversation))
    }

    @Test func validationRejectsWrongPrefixLengthAndDigits() {
        #expect(SID.isValid("CH" + String(repeating: "A", count: 32), prefix: .conversation))
        #expect(!SID.isValid("MB" + String(repeating: "a", count: 32), prefix: .conversation))
        #expect(!SID.isValid("CH" + String(repeating: "a", count: 31), prefix: .conversation))
        #expect(!SID.isValid("CH" + String(repeating: "g", count: 32), prefix: .conversation))
        #expect(SID.looksLikeSID("IS" + String(repeating: "0", count: 32)))
        #expect(!SID.looksLikeSID("ticket-42"))
    }
}

@Suite struct TimestampTests {
    @Test func formatsTheV1ShapeExactly() {
        #expect(V1Timestamp.format(0) == "1970-01-01T00:00:00Z")
        #expect(V1Timestamp.format(1_450_304_317) == "2015-12-16T22:18:37Z")
        #expect(V1Timestamp.format(951_825_600) == "2000-02-29T12:00:00Z")
    }

    @Test func parsesZuluFractionsAndOffsets() {
        #expect(V1Timestamp.parse("2015-12-16T22:18:37Z") == 1_450_304_317)
        #expect(V1Timestamp.parse("2015-12-16T22:18:37.123Z") == 1_450_304_317)
        #expect(V1Timestamp.parse("2015-12-16T23:18:37+01:00") == 1_450_304_317)
        #expect(V1Timestamp.parse("2015-12-16T21:18:37-01:00") == 1_450_304_317)
        for bad in ["2015-12-16", "2015-13-16T22:18:37Z", "2015-12-16T22:18:37", "yesterday", "2015-12-16T22:18:37Zjunk", ""] {
            #expect(V1Timestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func roundTripsAcrossCenturies() {
        for t: UnixTime in [0, 86_399, 946_684_800, 4_102_444_800, 1_790_000_000] {
            #expect(V1Timestamp.parse(V1Timestamp.format(t)) == t)
        }
    }

    @Test func durationsOfDaysHoursMinutesSeconds() {
        #expect(ISODuration.parse("PT1M") == 60)
        #expect(ISODuration.parse("PT10M") == 600)
        #expect(ISODuration.parse("P1D") == 86_400)
        #expect(ISODuration.parse("P1DT12H") == 129_600)
        #expect(ISODuration.parse("PT90S") == 90)
        #expect(ISODuration.parse("P2W") == 1_209_600)
        for bad in ["", "P", "PT", "1M", "P1M", "PT1Y", "PT-1M", "PTM", "P1DT", "PT1M1"] {
            #expect(ISODuration.parse(bad) == nil, "\(bad)")
        }
        #expect(ISODuration.format(600) == "PT10M")
        #expect(ISODuration.format(129_600) == "P1DT12H")
        #expect(ISODuration.format(0) == "PT0S")
        #expect(ISODuration.parse(ISODuration.format(3_723)) == 3_723)
    }
}

@Suite struct ValidationTests {
    @Test func attributesMustBeJSONWithinTheLimit() throws {
        try Validate.attributes(#"{"a":1}"#, max: 100)
        try Validate.attributes("[1,2]", max: 100)
        try Validate.attributes(#""text""#, max: 100)
        #expect(throws: ConversationsError.invalidParameter("Attributes", "not valid JSON")) { try Validate.attributes("{nope", max: 100) }
        #expect(throws: ConversationsError.invalidParameter("Attributes", "larger than 4 bytes")) { try Validate.attributes("[1,2,3]", max: 4) }
    }

    @Test func addressesAreE164OrChannelPrefixedWithoutSpaces() throws {
        try Validate.address("+15551230001", parameter: "A")
        try Validate.address("whatsapp:+15551230001", parameter: "A")
        try Validate.address("12345", parameter: "A")
        for bad in ["", "+1555 123", "+1234567890123456", "+15a5"] {
            #expect(throws: ConversationsError.self, "\(bad)") { try Validate.address(bad, parameter: "A") }
        }
    }

    @Test func timersHaveTheirMinimums() throws {
        #expect(try Validate.timer("PT1M", minimum: ConversationLimits.minimumInactiveTimer, parameter: "Timers.Inactive") == 60)
        #expect(throws: ConversationsError.self) { try Validate.timer("PT30S", minimum: ConversationLimits.minimumInactiveTimer, parameter: "Timers.Inactive") }
        #expect(throws: ConversationsError.self) { try Validate.timer("PT5M", minimum: ConversationLimits.minimumClosedTimer, parameter: "Timers.Closed") }
        #expect(try Validate.timer(nil, minimum: 60, parameter: "X") == nil)
    }
}

@Suite struct LifecycleTests {
    @Test func closedIsFinal() {
        for to in ConversationState.allCases {
            #expect(ConversationLifecycle.canTransition(from: .closed, to: to) == (to == .closed))
            #expect(ConversationLifecycle.canTransition(from: .active, to: to))
        }
    }

    @Test func timersAreCountedFromTheLastActivity() {
        let timers = ConversationTimers(inactiveAfter: 60, closedAfter: 600)
        let active = ConversationLifecycle.schedule(timers, state: .active, activityAt: 1000)
        #expect(active.dateInactive == 1060)
        #expect(active.dateClosed == 1600)
        let inactive = ConversationLifecycle.schedule(timers, state: .inactive, activityAt: 1000)
        #expect(inactive.dateInactive == nil, "an inactive conversation has no inactive timer running")
        #expect(inactive.dateClosed == 1600)
        let closed = ConversationLifecycle.schedule(timers, state: .closed, activityAt: 1000)
        #expect(closed.dateInactive == nil && closed.dateClosed == nil)
    }

    @Test func dueTimersMoveActiveToInactiveAndAnythingToClosed() {
        var c = Conversation(sid: SID.make(.conversation), serviceSid: SID.make(.service), dateCreated: 0, dateUpdated: 0)
        c.timers = ConversationLifecycle.schedule(ConversationTimers(inactiveAfter: 60, closedAfter: 600), state: .active, activityAt: 0)
        #expect(ConversationLifecycle.due(c, at: 59) == nil)
        #expect(ConversationLifecycle.due(c, at: 60) == .inactive)
        #expect(ConversationLifecycle.due(c, at: 600) == .closed)
        c.state = .closed
        #expect(ConversationLifecycle.due(c, at: 10_000) == nil)
    }
}

@Suite struct DeliverySummaryTests {
    @Test func laterStatusesCountForEarlierOnes() {
        let s = DeliverySummary(statuses: [.delivered, .read, .sent])
        #expect(s.total == 3)
        #expect(s.sent == .all)
        #expect(s.delivered == .some)
        #expect(s.read == .some)
        #expect(s.failed == .none)
    }

    @Test func queuedCountsForNothingYet() {
        let s = DeliverySummary(statuses: [.queued, .queued])
        #expect(s.total == 2)
        #expect(s.sent == .none && s.delivered == .none && s.failed == .none && s.undelivered == .none)
        let mixed = DeliverySummary(statuses: [.failed, .undelivered])
        #expect(mixed.failed == .some)
        #expect(mixed.undelivered == .some)
        #expect(mixed.sent == .some, "an undelivered message was sent")
    }
}

@Suite struct PageCursorTests {
    @Test func tokensRoundTripAndRejectForeignText() {
        for cursor in [PageCursor(.after, key: 0), PageCursor(.after, key: 123_456), PageCursor(.before, key: 42)] {
            #expect(PageCursor(token: cursor.token) == cursor)
        }
        for bad in ["", "PT", "XX12", "PTzz", "PT" + String(repeating: "f", count: 30)] {
            #expect(PageCursor(token: bad) == nil, "\(bad)")
        }
    }
}
