extension OP2 {
  /// One compiled wrapper in the disk cache.
  public struct CacheEntry: Sendable, Equatable {
    /// The entry's key: a hash of the generated source, compiler, resolved target and flags.
    public var key: String
    /// Bytes of its files (library, generated source, compile log).
    public var bytes: Int
    /// When it was last compiled or loaded, in seconds since 1970.
    public var lastUsed: Double
    /// The kernel it wraps ("" when unknown).
    public var kernel: String
  }

  /// The entries of the disk cache of `configuration` (``Configuration/cacheDirectory``), least
  /// recently used first. Reads the folder; loads nothing.
  public static func cacheEntries(_ configuration: Configuration = OP2.configuration) -> [CacheEntry] {
    DiskCache(directory: configuration.cacheDirectory).entries().map(CacheEntry.init)
  }

  /// The number of entries and their bytes in the disk cache of `configuration`.
  public static func cacheStatistics(_ configuration: Configuration = OP2.configuration) -> (entries: Int, bytes: Int) {
    let all = cacheEntries(configuration)
    return (all.count, all.reduce(0) { $0 + $1.bytes })
  }

  /// Removes least recently used entries until the disk cache fits
  /// ``Configuration/cacheMaxBytes`` (what every compile does too), and returns them. Safe while
  /// other processes use the cache: a loaded library stays mapped, and a process that finds its
  /// entry gone compiles it again.
  @discardableResult
  public static func pruneCache(_ configuration: Configuration = OP2.configuration) -> [CacheEntry] {
    DiskCache(directory: configuration.cacheDirectory).evict(toFit: configuration.cacheMaxBytes).map(CacheEntry.init)
  }

  /// Removes every entry of the disk cache and returns how many there were.
  @discardableResult
  public static func cleanCache(_ configuration: Configuration = OP2.configuration) -> Int {
    DiskCache(directory: configuration.cacheDirectory).removeAll()
  }
}

extension OP2.CacheEntry {
  init(_ e: DiskCache.Entry) { self.init(key: e.key, bytes: e.bytes, lastUsed: e.lastUsed, kernel: e.kernel) }
}
