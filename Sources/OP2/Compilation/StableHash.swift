/// A 128-bit hash that is the same in every process and on every machine (unlike `Hasher`,
/// which is seeded per process), for disk-cache keys and cache-file checksums.
///
/// Two FNV-1a 64-bit streams with different offsets, each finished with a strong 64-bit mixer.
/// Not cryptographic: it guards against accidental collisions and corrupted files, not attackers.
package enum StableHash {
  package static func hex(of text: String) -> String {
    var h = State()
    h.combine(text.utf8)
    return h.hex
  }

  package struct State {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x8422_2325_cbf2_9ce4
    package init() {}

    package mutating func combine<C: Sequence>(_ bytes: C) where C.Element == UInt8 {
      for byte in bytes {
        a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 ^ (b >> 29)
      }
    }

    package var words: (UInt64, UInt64) { (Self.mix(a), Self.mix(b &+ a)) }

    package var hex: String {
      let (x, y) = words
      return Self.hex16(x) + Self.hex16(y)
    }

    private static func mix(_ v: UInt64) -> UInt64 {
      var z = v
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      return z ^ (z >> 31)
    }

    private static func hex16(_ v: UInt64) -> String {
      let s = String(v, radix: 16)
      return String(repeating: "0", count: 16 - s.count) + s
    }
  }
}
