internal import COSIP2

// The two hash functions SIP digest authentication needs. MD5 comes from libosipparser2
// (already linked); SHA-256, which osip2 lacks, is written out so the SIP module carries no
// crypto dependency. Neither is used for anything but digest responses (RFC 3261 §22.4,
// RFC 8760): MD5 is broken for collision resistance, which digest does not rely on.

/// MD5 (RFC 1321) through osip2's `osip_MD5*`, one-shot.
enum MD5 {
    /// The 16-byte digest of `bytes`.
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var context = osip_MD5_CTX()
        osip_MD5Init(&context)
        var input = bytes
        input.withUnsafeMutableBufferPointer { buffer in
            osip_MD5Update(&context, buffer.baseAddress, UInt32(buffer.count))
        }
        var output = [UInt8](repeating: 0, count: 16)
        output.withUnsafeMutableBufferPointer { osip_MD5Final($0.baseAddress, &context) }
        return output
    }

    /// The digest of `bytes` as 32 lowercase hex digits.
    static func hex(_ bytes: [UInt8]) -> String {
        HashPadding.lowercaseHex(digest(bytes))
    }
}

/// SHA-256 (FIPS 180-4 §6.2), one-shot.
enum SHA256 {
    /// The 32-byte digest of `bytes`.
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var state: [UInt32] = [
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
        ]
        let padded = HashPadding.padded(bytes)
        var schedule = [UInt32](repeating: 0, count: 64)
        var blockStart = 0
        while blockStart < padded.count {
            for index in 0..<16 {
                let base = blockStart + index * 4
                schedule[index] = UInt32(padded[base]) << 24
                    | UInt32(padded[base + 1]) << 16
                    | UInt32(padded[base + 2]) << 8
                    | UInt32(padded[base + 3])
            }
            for index in 16..<64 {
                let w15 = schedule[index - 15], w2 = schedule[index - 2]
                let sigma0 = rotateRight(w15, by: 7) ^ rotateRight(w15, by: 18) ^ (w15 >> 3)
                let sigma1 = rotateRight(w2, by: 17) ^ rotateRight(w2, by: 19) ^ (w2 >> 10)
                schedule[index] = schedule[index - 16] &+ sigma0 &+ schedule[index - 7] &+ sigma1
            }
            var a = state[0], b = state[1], c = state[2], d = state[3]
            var e = state[4], f = state[5], g = state[6], h = state[7]
            for round in 0..<64 {
                let bigSigma1 = rotateRight(e, by: 6) ^ rotateRight(e, by: 11) ^ rotateRight(e, by: 25)
                let choose = (e & f) ^ (~e & g)
                let temp1 = h &+ bigSigma1 &+ choose &+ roundConstants[round] &+ schedule[round]
                let bigSigma0 = rotateRight(a, by: 2) ^ rotateRight(a, by: 13) ^ rotateRight(a, by: 22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let temp2 = bigSigma0 &+ majority
                h = g
                g = f
                f = e
                e = d &+ temp1
                d = c
                c = b
                b = a
                a = temp1 &+ temp2
            }
            state[0] = state[0] &+ a
            state[1] = state[1] &+ b
            state[2] = state[2] &+ c
            state[3] = state[3] &+ d
            state[4] = state[4] &+ e
            state[5] = state[5] &+ f
            state[6] = state[6] &+ g
            state[7] = state[7] &+ h
            blockStart += 64
        }
        var output: [UInt8] = []
        output.reserveCapacity(32)
        for word in state {
            output.append(UInt8(truncatingIfNeeded: word >> 24))
            output.append(UInt8(truncatingIfNeeded: word >> 16))
            output.append(UInt8(truncatingIfNeeded: word >> 8))
            output.append(UInt8(truncatingIfNeeded: word))
        }
        return output
    }

    /// The digest of `bytes` as 64 lowercase hex digits.
    static func hex(_ bytes: [UInt8]) -> String {
        HashPadding.lowercaseHex(digest(bytes))
    }

    /// The first 32 bits of the fractional parts of the cube roots of the first 64 primes
    /// (FIPS 180-4 §4.2.2).
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}

/// SHA-256's Merkle–Damgård padding, and hex output for both hashes.
enum HashPadding {
    /// `bytes` followed by 0x80, zeros up to 56 mod 64, then the bit length as 64 big-endian
    /// bits (FIPS 180-4 §5.1.1).
    static func padded(_ bytes: [UInt8]) -> [UInt8] {
        let bitLength = UInt64(bytes.count) &* 8
        var padded = bytes
        padded.reserveCapacity(bytes.count + 72)
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        for index in 0..<8 {
            let shift = UInt64(56 - 8 * index)
            padded.append(UInt8(truncatingIfNeeded: bitLength >> shift))
        }
        return padded
    }

    static func lowercaseHex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

@inline(__always)
private func rotateRight(_ value: UInt32, by amount: UInt32) -> UInt32 {
    (value >> amount) | (value << (32 - amount))
}
