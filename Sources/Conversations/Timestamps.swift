#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds since 1970 (UTC). The v1 API shows times to the second, so the domain keeps them so.
public typealias UnixTime = Int64

/// The v1 timestamp form `YYYY-MM-DDTHH:MM:SSZ` (no fraction, `Z` zone): anything else makes
/// the official client keep the value as a string instead of a `datetime`.
public enum V1Timestamp {
    public static func format(_ time: UnixTime) -> String {
        var seconds = time_t(time)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = Int(parts.tm_year) + 1900
        return "\(year)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ`, also with a fraction (`.123`) or a `+00:00`/`+hh:mm` zone.
    public static func parse(_ text: String) -> UnixTime? {
        let b = Array(text.utf8)
        guard b.count >= 19, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116 || b[10] == 32,
              b[13] == 58, b[16] == 58 else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r { guard (48...57).contains(b[i]) else { return nil }; v = v * 10 + Int(b[i] - 48) }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
              let mi = num(14..<16), let s = num(17..<19),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        if i < b.count, b[i] == 46 {  // fraction: ignored
            i += 1
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
        }
        var offset = 0
        if i == b.count - 1, b[i] == 90 || b[i] == 122 {
            i += 1
        } else if i + 6 == b.count, b[i] == 43 || b[i] == 45, b[i + 3] == 58,
                  let oh = num(i + 1..<i + 3), let om = num(i + 4..<i + 6) {
            offset = (oh * 3600 + om * 60) * (b[i] == 43 ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return daysFromCivil(y, mo, d) * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// ISO 8601 durations as the timers use them (`PT1M`, `PT10M`, `P1D`, `P1DT12H`, `PT90S`).
/// Years and months are not accepted: their length is ambiguous.
public enum ISODuration {
    /// Seconds, or nil when `text` is not a duration of days, hours, minutes and seconds.
    public static func parse(_ text: String) -> Int64? {
        var chars = Substring(text.uppercased())
        guard chars.first == "P" else { return nil }
        chars = chars.dropFirst()
        var total: Int64 = 0
        var inTime = false
        var number = ""
        var sawComponent = false
        var sawTimeComponent = false
        for c in chars {
            switch c {
            case "T":
                guard !inTime, number.isEmpty else { return nil }
                inTime = true
            case "0"..."9":
                number.append(c)
                guard number.count <= 9 else { return nil }
            case "W", "D", "H", "M", "S":
                guard let n = Int64(number) else { return nil }
                number = ""
                sawComponent = true
                if inTime { sawTimeComponent = true }
                switch (c, inTime) {
                case ("W", false): total += n * 604_800
                case ("D", false): total += n * 86_400
                case ("H", true): total += n * 3600
                case ("M", true): total += n * 60
                case ("S", true): total += n
                default: return nil
                }
            default:
                return nil
            }
        }
        guard sawComponent, number.isEmpty, !inTime || sawTimeComponent else { return nil }
        return total
    }

    /// The canonical form of a number of seconds: `PT10M`, `P1DT2H`, `PT0S`.
    public static func format(_ seconds: Int64) -> String {
        var rest = seconds
        let days = rest / 86_400; rest %= 86_400
        let hours = rest / 3600; rest %= 3600
        let minutes = rest / 60; let secs = rest % 60
        var text = "P"
        if days > 0 { text += "\(days)D" }
        if hours > 0 || minutes > 0 || secs > 0 || days == 0 {
            text += "T"
            if hours > 0 { text += "\(hours)H" }
            if minutes > 0 { text += "\(minutes)M" }
            if secs > 0 || (hours == 0 && minutes == 0) { text += "\(secs)S" }
        }
        return text
    }
}
