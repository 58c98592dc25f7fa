/// Seconds between successive calls: each phase of a solve is timed from the end of the last.
struct Laps {
  private var start = ContinuousClock.now

  /// The seconds since the previous call (or since this value was made).
  mutating func next() -> Double {
    let now = ContinuousClock.now
    defer { start = now }
    return Double((now - start) / .nanoseconds(1)) / 1e9
  }
}
