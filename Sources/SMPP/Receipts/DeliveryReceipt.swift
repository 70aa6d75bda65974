// DeliveryReceipt.swift — SMSC delivery receipts: the Appendix B text, the receipt TLVs, and
// matching a receipt's message id to the id a `submit_sm_resp` returned.
//
// Standard library only: no Foundation, no NIO.

// MARK: - network_error_code

/// The value of the `network_error_code` TLV (tag 0x0423, SMPP 3.4 5.3.2.31): one octet of
/// network type followed by a two-octet, big-endian, network-specific error code.
///
/// SMPP 3.4 defines the network types 1 (ANSI-136), 2 (IS-95) and 3 (GSM) and reserves the
/// others; SMPP 5.0 later gave 4…8 meanings of their own (ANSI-136/IS-95 cause codes,
/// ANSI-41, SMPP error, message-centre specific). The type is therefore kept as a raw octet;
/// ``knownNetworkType`` names the SMPP 3.4 values.
public struct NetworkErrorCode: Sendable, Hashable {
    /// The SMPP 3.4 network types (5.3.2.31).
    public enum NetworkType: UInt8, Sendable, Hashable, CaseIterable {
        case ansi136 = 1
        case is95 = 2
        case gsm = 3
    }

    /// The network type octet (1 ANSI-136, 2 IS-95, 3 GSM; other values reserved in 3.4).
    public var networkType: UInt8
    /// The network-specific error code (for GSM, typically a MAP or RP cause).
    public var errorCode: UInt16

    public init(networkType: UInt8, errorCode: UInt16) {
        self.networkType = networkType
        self.errorCode = errorCode
    }

    /// Decodes the three-octet TLV value; `nil` unless `tlvValue` holds exactly 3 octets.
    public init?(tlvValue: some Collection<UInt8>) {
        guard tlvValue.count == 3 else { return nil }
        var iterator = tlvValue.makeIterator()
        guard let type = iterator.next(), let high = iterator.next(), let low = iterator.next() else {
            return nil
        }
        self.init(networkType: type, errorCode: UInt16(high) << 8 | UInt16(low))
    }

    /// The three-octet TLV value: network type, then the error code big-endian.
    public var tlvValue: [UInt8] {
        [networkType, UInt8(truncatingIfNeeded: errorCode >> 8), UInt8(truncatingIfNeeded: errorCode)]
    }

    /// ``networkType`` as an SMPP 3.4 network type, or `nil` for a reserved value.
    public var knownNetworkType: NetworkType? {
        NetworkType(rawValue: networkType)
    }
}

// MARK: - DeliveryReceipt

/// An SMSC delivery receipt, as found in a `deliver_sm` (or `data_sm`) whose `esm_class`
/// marks it as a receipt (SMPP 3.4 5.2.12): the text of SMPP 3.4 Appendix B in
/// `short_message`, optionally accompanied — or replaced — by the `receipted_message_id`
/// (0x001E, 5.3.2.12), `message_state` (0x0427, 5.3.2.35) and `network_error_code`
/// (0x0423, 5.3.2.31) TLVs.
///
/// Appendix B is informative and SMSCs vary a great deal, so every field except the message
/// id and the state word is optional, and date, count and error fields are kept as sent.
public struct DeliveryReceipt: Sendable, Hashable {
    /// The id of the receipted message (`id:`, or the `receipted_message_id` TLV, which wins).
    /// Never empty. Compare it with a `submit_sm_resp` id through ``MessageIDMatching``.
    public var messageID: String
    /// The message state: the `message_state` TLV when present (`nil` if its value is not one
    /// SMPP 3.4 defines), else the `stat:` word mapped by ``MessageState/init(receiptStat:)``
    /// (`nil` for an unrecognised word).
    public var state: MessageState?
    /// The raw `stat:` word of the text (`nil` when the receipt came from TLVs only).
    public var statText: String?
    /// The raw `message_state` TLV octet, when the TLV was present (kept even when it is not a
    /// value ``MessageState`` knows, e.g. SMPP 5.0's SKIPPED = 9).
    public var rawMessageState: UInt8?
    /// `sub:` — the number of short messages originally submitted, when a decimal number.
    public var submitted: Int?
    /// `dlvrd:` — the number of short messages delivered, when a decimal number.
    public var delivered: Int?
    /// `submit date:` as sent, normally 10 or 12 digits `YYMMDDhhmm[ss]`; not validated.
    public var submitDate: String?
    /// `done date:` as sent, normally 10 or 12 digits `YYMMDDhhmm[ss]`; not validated.
    public var doneDate: String?
    /// `err:` as sent, e.g. `"000"`, `"0000"`, `"002"`; network or SMSC specific.
    public var errorCode: String?
    /// `text:` — the rest of the receipt text (usually the first 20 characters of the
    /// original message), surrounding whitespace removed. `nil` when there is no `text:` key.
    public var text: String?
    /// The `network_error_code` TLV, when present.
    public var networkErrorCode: NetworkErrorCode?

    public init(
        messageID: String,
        state: MessageState?,
        statText: String? = nil,
        rawMessageState: UInt8? = nil,
        submitted: Int? = nil,
        delivered: Int? = nil,
        submitDate: String? = nil,
        doneDate: String? = nil,
        errorCode: String? = nil,
        text: String? = nil,
        networkErrorCode: NetworkErrorCode? = nil
    ) {
        self.messageID = messageID
        self.state = state
        self.statText = statText
        self.rawMessageState = rawMessageState
        self.submitted = submitted
        self.delivered = delivered
        self.submitDate = submitDate
        self.doneDate = doneDate
        self.errorCode = errorCode
        self.text = text
        self.networkErrorCode = networkErrorCode
    }

    /// Whether an `esm_class` marks the PDU as a receipt (SMPP 3.4 5.2.12, bits 5–2 of a
    /// `deliver_sm`'s esm_class): `xx0001xx` SMSC Delivery Receipt or `xx1000xx` Intermediate
    /// Delivery Notification. SME delivery and manual/user acknowledgements are not receipts.
    public static func esmClassIndicatesReceipt(_ esmClass: UInt8) -> Bool {
        let messageType = esmClass & 0x3C
        return messageType == 0x04 || messageType == 0x20
    }

    // MARK: Text form

    /// Parses the receipt text of SMPP 3.4 Appendix B:
    ///
    ///     id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text: ...
    ///
    /// Tolerance, since real SMSCs depart from the appendix in every direction:
    /// - Keys match in any case and any order; unknown keys and stray words are ignored. When
    ///   a key appears twice, the first occurrence wins.
    /// - `submit date`, `submit_date`, `submitdate` (and `-`) are one key; likewise `done date`.
    /// - A value is the whitespace-delimited token after the colon (`id:123`). When the colon
    ///   is followed by whitespace (`id: 123`), the next token is the value unless it is itself
    ///   a key.
    /// - `text:` takes the whole rest of the input (spaces included, surrounding whitespace
    ///   trimmed) and ends parsing, so keys after it are part of the text.
    /// - Whitespace is any Unicode whitespace and NUL (a C-string terminator left in the data).
    /// - `sub:`/`dlvrd:` that are not decimal numbers give `nil` counts; dates and `err:` are
    ///   kept raw.
    ///
    /// - Returns: `nil` when the text has no non-empty `id:` or no non-empty `stat:` — it is
    ///   then not a receipt. An unrecognised `stat:` word still gives a receipt, with
    ///   ``state`` `nil` and the word in ``statText``.
    ///
    /// Only call this for PDUs flagged as receipts (``esmClassIndicatesReceipt(_:)``) or
    /// carrying receipt TLVs: an ordinary message such as "id:7 stat:ok" parses too.
    /// Never traps, whatever the input.
    public static func parse(text: String) -> DeliveryReceipt? {
        let tokens = tokenize(text)
        var id: Substring?
        var stat: Substring?
        var sub: Substring?
        var dlvrd: Substring?
        var submitDate: Substring?
        var doneDate: Substring?
        var err: Substring?
        var receiptText: Substring?

        var index = 0
        while index < tokens.count {
            let token = text[tokens[index]]
            let key: String
            var value: Substring
            var valueStart: String.Index
            var consumed = 1

            if let colon = token.firstIndex(of: ":") {
                key = normalizedKey(token[token.startIndex..<colon])
                valueStart = token.index(after: colon)
                value = token[valueStart...]
            } else if let merged = splitDateKey(at: index, tokens: tokens, in: text) {
                // "submit date:…" / "done date:…" arrive as two tokens.
                key = merged.key
                valueStart = merged.valueStart
                value = text[valueStart..<tokens[index + 1].upperBound]
                consumed = 2
            } else {
                index += 1
                continue
            }

            if key == "text" {
                receiptText = trimmed(text[valueStart...])
                break
            }

            if value.isEmpty, index + consumed < tokens.count,
               !isKeyStart(at: index + consumed, tokens: tokens, in: text)
            {
                value = text[tokens[index + consumed]]
                consumed += 1
            }

            if !value.isEmpty {
                switch key {
                case "id": if id == nil { id = value }
                case "stat": if stat == nil { stat = value }
                case "sub": if sub == nil { sub = value }
                case "dlvrd": if dlvrd == nil { dlvrd = value }
                case "submitdate": if submitDate == nil { submitDate = value }
                case "donedate": if doneDate == nil { doneDate = value }
                case "err": if err == nil { err = value }
                default: break
                }
            }
            index += consumed
        }

        guard let id, let stat else { return nil }
        let statWord = String(stat)
        return DeliveryReceipt(
            messageID: String(id),
            state: MessageState(receiptStat: statWord),
            statText: statWord,
            submitted: sub.flatMap(decimalInt),
            delivered: dlvrd.flatMap(decimalInt),
            submitDate: submitDate.map(String.init),
            doneDate: doneDate.map(String.init),
            errorCode: err.map(String.init),
            text: receiptText.map(String.init)
        )
    }

    // MARK: Text + TLVs

    /// Combines the receipt text with the receipt TLVs of a `deliver_sm`/`data_sm`
    /// (SMPP 3.4 5.3.2.12 `receipted_message_id`, 5.3.2.35 `message_state`,
    /// 5.3.2.31 `network_error_code`).
    ///
    /// - When `text` parses (``parse(text:)``), the result is that receipt with the TLVs laid
    ///   over it: a non-empty `receiptedMessageID` replaces the id; a `messageState` replaces
    ///   the state — a value SMPP 3.4 does not define makes ``state`` `nil` (the text's word
    ///   stays in ``statText``, the octet in ``rawMessageState``) and the PDU is still a
    ///   receipt; `networkErrorCode` is attached.
    /// - When `text` is absent or does not parse, the PDU is a receipt only if both
    ///   `receiptedMessageID` (non-empty) and `messageState` are present ("TLV-only"); the
    ///   result then has no text fields, and ``state`` is `nil` for an undefined value.
    /// - Otherwise the PDU is not a receipt: `nil`.
    ///
    /// `receiptedMessageID` is trimmed of whitespace and NUL octets (a C-octet string's
    /// terminator may have been left in by a lenient decoder).
    public static func make(
        text: String?,
        receiptedMessageID: String?,
        messageState: UInt8?,
        networkErrorCode: NetworkErrorCode?
    ) -> DeliveryReceipt? {
        let tlvID: String? = receiptedMessageID.flatMap { raw in
            let value = trimmed(raw[...])
            return value.isEmpty ? nil : String(value)
        }

        if var receipt = text.flatMap({ parse(text: $0) }) {
            if let tlvID { receipt.messageID = tlvID }
            if let messageState {
                receipt.rawMessageState = messageState
                receipt.state = MessageState(rawValue: messageState)
            }
            if let networkErrorCode { receipt.networkErrorCode = networkErrorCode }
            return receipt
        }

        guard let tlvID, let messageState else { return nil }
        return DeliveryReceipt(
            messageID: tlvID,
            state: MessageState(rawValue: messageState),
            rawMessageState: messageState,
            networkErrorCode: networkErrorCode
        )
    }

    // MARK: Parsing helpers

    private static func isSeparator(_ character: Character) -> Bool {
        character.isWhitespace || character == "\0"
    }

    /// Ranges of the maximal runs of non-separator characters.
    private static func tokenize(_ text: String) -> [Range<String.Index>] {
        var tokens: [Range<String.Index>] = []
        var index = text.startIndex
        while index < text.endIndex {
            if isSeparator(text[index]) {
                index = text.index(after: index)
                continue
            }
            let start = index
            while index < text.endIndex, !isSeparator(text[index]) {
                index = text.index(after: index)
            }
            tokens.append(start..<index)
        }
        return tokens
    }

    /// Lower-cased key with `_`, `-` and spaces removed: "Submit_Date" → "submitdate".
    private static func normalizedKey(_ raw: Substring) -> String {
        var key = ""
        for character in raw.lowercased() where character != "_" && character != "-" && character != " " {
            key.append(character)
        }
        return key
    }

    /// For a token "submit" or "done" followed by a token beginning "date:", the merged key
    /// and where its value starts.
    private static func splitDateKey(
        at index: Int, tokens: [Range<String.Index>], in text: String
    ) -> (key: String, valueStart: String.Index)? {
        guard index + 1 < tokens.count else { return nil }
        let word = text[tokens[index]].lowercased()
        guard word == "submit" || word == "done" else { return nil }
        let next = text[tokens[index + 1]]
        guard let colon = next.firstIndex(of: ":"),
              normalizedKey(next[next.startIndex..<colon]) == "date"
        else { return nil }
        return (word + "date", next.index(after: colon))
    }

    /// Whether the token at `index` begins a `key:` pair.
    private static func isKeyStart(at index: Int, tokens: [Range<String.Index>], in text: String) -> Bool {
        text[tokens[index]].contains(":") || splitDateKey(at: index, tokens: tokens, in: text) != nil
    }

    private static func trimmed(_ value: Substring) -> Substring {
        var result = value
        while let first = result.first, isSeparator(first) { result.removeFirst() }
        while let last = result.last, isSeparator(last) { result.removeLast() }
        return result
    }

    /// A non-negative decimal number of ASCII digits only ("007" → 7); `nil` otherwise or on
    /// overflow.
    private static func decimalInt(_ value: Substring) -> Int? {
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(value)
    }
}

// MARK: - Message id matching

/// Matching the message id of a receipt to the id returned in `submit_sm_resp`.
///
/// SMPP 3.4 says the receipt's `id:` is the SMSC message id (Appendix B) and
/// `receipted_message_id` (5.3.2.12) is that id too, but SMSCs commonly return the id in hex
/// in `submit_sm_resp` and in decimal in the receipt text, pad with leading zeros, or change
/// letter case. Index pending submissions under **every** key of
/// ``keys(forSubmitResponseID:)``, then look a receipt up by trying the keys of
/// ``keys(forReceiptID:)`` **in order**; the first hit is the match.
///
/// Keys:
/// - text key `"t:" + normalized(id)` — trimmed, lower-cased, leading zeros stripped
///   ("0" stays "0"); always first, so an exact textual match is preferred.
/// - numeric key `"n:<decimal>"` — for a submit id made only of hex digits that fits in
///   `UInt64`, its hexadecimal value written in decimal; for a receipt id made only of
///   decimal digits that fits in `UInt64`, its value written in decimal.
///
/// Collision caveat: the numeric keys are a heuristic. A submit id that happens to be all
/// decimal digits also gets a hex-interpreted key ("12345" → "n:74565"), so a receipt
/// "74565" for a *different* message would match it if no submission has the text key
/// "t:74565"; and leading-zero stripping merges "042" with "42". Keep one table per SMSC
/// bind (ids are only unique per SMSC), remove entries once a final receipt arrives, and
/// expire them after the validity period so such collisions stay unlikely. Text-only ids
/// (e.g. Jasmin's 36-character UUIDs) get only the text key.
public enum MessageIDMatching {
    /// The text key without its `"t:"` prefix: whitespace and NUL trimmed, lower-cased,
    /// leading `0`s removed — but an all-zero id becomes `"0"`, and an empty id stays `""`.
    public static func normalized(_ id: String) -> String {
        var scalars = Substring(id).unicodeScalars[...]
        while let first = scalars.first, isTrimmed(first) { scalars.removeFirst() }
        while let last = scalars.last, isTrimmed(last) { scalars.removeLast() }
        guard !scalars.isEmpty else { return "" }
        while scalars.first == "0" { scalars.removeFirst() }
        guard !scalars.isEmpty else { return "0" }
        return String(String.UnicodeScalarView(scalars)).lowercased()
    }

    /// Keys under which to index a pending submission whose `submit_sm_resp` carried `id`:
    /// the text key, then — when `id` is all hex digits and fits in `UInt64` — the numeric
    /// key of its hexadecimal value. Empty for an empty id.
    public static func keys(forSubmitResponseID id: String) -> [String] {
        let text = normalized(id)
        guard !text.isEmpty else { return [] }
        var keys = ["t:" + text]
        if let value = number(text, radix: 16) {
            keys.append("n:" + String(value))
        }
        return keys
    }

    /// Keys to try, in order, for a receipt whose message id is `id`: the text key, then —
    /// when `id` is all decimal digits and fits in `UInt64` — the numeric key of its value.
    /// Empty for an empty id.
    public static func keys(forReceiptID id: String) -> [String] {
        let text = normalized(id)
        guard !text.isEmpty else { return [] }
        var keys = ["t:" + text]
        if let value = number(text, radix: 10) {
            keys.append("n:" + String(value))
        }
        return keys
    }

    private static func isTrimmed(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\0" || scalar.properties.isWhitespace
    }

    /// `text` (already normalised: lower case, no leading zeros) read as an unsigned number
    /// in `radix` (10 or 16), if it consists only of that radix's ASCII digits and fits.
    private static func number(_ text: String, radix: Int) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20 else { return nil }
        // Checked explicitly: UInt64(_:radix:) would also accept a leading "+".
        for octet in text.utf8 {
            let isDecimal = octet >= 0x30 && octet <= 0x39
            let isHexLetter = radix == 16 && octet >= 0x61 && octet <= 0x66
            guard isDecimal || isHexLetter else { return nil }
        }
        return UInt64(text, radix: radix)
    }
}
