/// The rms that OP2's own airfoil computed on known grids, and how a run finds the one for its
/// grid: by the grid's content (``fingerprint(counts:x:)``), not its size, so that a generated
/// grid with OP2's counts is never judged against OP2's file.
///
/// Sources:
/// - OP2's `new_grid.dat`: the check at the end of OP2-Common's
///   `apps/c/airfoil/airfoil_plain/dp/airfoil.cpp` (rms 0.0001060114637578 after 1000
///   iterations, relative difference below 1e-10).
/// - The built-in grids: `shared/data/builtin-rms.md` beside this repository, "OP2's own rms on
///   the built-in grids": OP2-Common's sequential airfoil (double precision, rms printed at full
///   precision) run on the files `airfoil generate-grid --cells 19200` (md5
///   f78e5d469c699f799c12837d20a3a840) and `--cells 720000` (md5 038154a1dee50229ba9ec74d4c7ac041)
///   write. The tables are copied below unchanged.
public struct AirfoilReferenceRMS: Sendable {
  /// What the grid is, for the verdict line.
  public var grid: String
  /// Nodes, cells, edges and boundary edges.
  public var counts: [Int]
  /// ``fingerprint(counts:x:)`` of the grid.
  public var fingerprint: UInt64
  /// The reference rms by iteration.
  public var rms: [Int: Double]
  /// Who computed it.
  public var source: String

  /// The largest relative difference from the reference that passes: OP2's own check.
  public static let tolerance = 1e-10

  /// Every known grid.
  public static let all: [AirfoilReferenceRMS] = [
    AirfoilReferenceRMS(
      grid: "OP2's new_grid.dat", counts: [721_801, 720_000, 1_438_600, 2800], fingerprint: 0x45a1_ba99_a7c5_142f,
      rms: [1000: 0.0001060114637578], source: "OP2-Common airfoil.cpp's reference"),
    AirfoilReferenceRMS(
      grid: "the built-in grid (--cells 19200)", counts: [19404, 19110, 37992, 456], fingerprint: 0xdbb7_f1bd_06af_2f0f,
      rms: [
        100: 6.61561281392433840e-04, 200: 4.25716190420375785e-04, 300: 2.97061397448902776e-04,
        400: 2.16737375475170807e-04, 500: 1.50486217549995592e-04, 600: 1.21982724796498290e-04,
        700: 9.36672660871824489e-05, 800: 7.21010041874851090e-05, 900: 5.14910745007809840e-05,
        1000: 3.52453479295683811e-05,
      ], source: "OP2-Common's airfoil on this grid (builtin-rms.md)"),
    AirfoilReferenceRMS(
      grid: "the built-in grid (--cells 720000)", counts: [721_801, 720_000, 1_438_600, 2800], fingerprint: 0x299e_e0c1_f69d_6d9d,
      rms: [
        100: 6.13614247928241804e-04, 200: 4.47463992151358569e-04, 300: 3.54183086025545621e-04,
        400: 2.92563232854254186e-04, 500: 2.49145927822015439e-04, 600: 2.17631623137895644e-04,
        700: 1.94363484740732955e-04, 800: 1.77113432430459262e-04, 900: 1.64524901201842087e-04,
        1000: 1.54793313691168249e-04,
      ], source: "OP2-Common's airfoil on this grid (builtin-rms.md)"),
  ]

  /// The reference for a grid with these counts and node coordinates, if it is a known grid.
  public static func matching(counts: [Int], x: [Double]) -> AirfoilReferenceRMS? {
    let print = fingerprint(counts: counts, x: x)
    return all.first { $0.fingerprint == print && $0.counts == counts }
  }

  /// A 64-bit FNV-1a hash over 64-bit words: the four counts, then the bit pattern of every
  /// coordinate in node order. Two grids with the same counts and connectivity but other
  /// coordinates (OP2's file and the built-in grid at 720000 cells) differ in it.
  public static func fingerprint(counts: [Int], x: [Double]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for c in counts { h = (h ^ UInt64(truncatingIfNeeded: c)) &* 0x100_0000_01b3 }
    for v in x { h = (h ^ v.bitPattern) &* 0x100_0000_01b3 }
    return h
  }

  /// The outcome of comparing a run's rms with the reference at every iteration it has.
  public struct Verdict: Sendable {
    /// Iterations compared (those of the run that the reference has).
    public var compared: [Int]
    /// The largest relative difference among them, and where.
    public var worst: (iteration: Int, difference: Double)?
    /// Whether every compared value is within ``AirfoilReferenceRMS/tolerance``.
    public var passed: Bool { !compared.isEmpty && (worst.map { $0.difference < AirfoilReferenceRMS.tolerance } ?? false) }
  }

  /// Compares `printed` (iteration → the run's rms) with the reference.
  public func verdict(for printed: [Int: Double]) -> Verdict {
    var verdict = Verdict(compared: [], worst: nil)
    for (iteration, reference) in rms.sorted(by: { $0.key < $1.key }) {
      guard let value = printed[iteration] else { continue }
      verdict.compared.append(iteration)
      // NaN compares as an infinite difference.
      let difference = value.isFinite ? abs(value - reference) / reference : .infinity
      if verdict.worst.map({ difference > $0.difference }) ?? true { verdict.worst = (iteration, difference) }
    }
    return verdict
  }
}
