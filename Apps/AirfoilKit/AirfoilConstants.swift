import Foundation
import OP2

/// The flow constants of OP2's airfoil: Mach 0.4, angle of attack 3°, CFL 0.9, dissipation 0.05.
///
/// OP2-Common writes them as C `float` literals assigned to `double` (`gam = 1.4f`), so their
/// values are those floats widened; we do the same so the results agree digit for digit.
public enum AirfoilConstants {
  /// Ratio of specific heats, `1.4f`.
  public static let gam = Double(Float(1.4))
  /// `gam - 1`.
  public static let gm1 = gam - 1.0
  /// CFL number, `0.9f`.
  public static let cfl = Double(Float(0.9))
  /// Artificial dissipation coefficient, `0.05f`.
  public static let eps = Double(Float(0.05))
  /// Free-stream Mach number, `0.4f`.
  public static let mach = Double(Float(0.4))
  /// Angle of attack in radians (3°); declared like OP2's, but the free stream is along x, as in OP2.
  public static let alpha = 3.0 * atan(1.0) / 45.0
  /// Free-stream state (density, x-momentum, y-momentum, energy) for p = r = 1.
  public static let qinf: [Double] = {
    let p = 1.0, r = 1.0
    let u = (gam * p / r).squareRoot() * mach
    let e = p / (r * gm1) + 0.5 * u * u
    return [r, r * u, 0.0, r * e]
  }()

  /// The Consts the kernels use, declared once per process (Consts are global C names).
  /// - Throws: ``OP2Error/duplicateConst(name:)`` if another part of the program declared one of these names.
  public static func declare() throws -> [any Sendable] {
    try declared.get()
  }

  private static let declared: Result<[any Sendable], OP2Error> = Result { () throws(OP2Error) -> [any Sendable] in
    [
      try Const<Double>(name: "gam", value: gam),
      try Const<Double>(name: "gm1", value: gm1),
      try Const<Double>(name: "cfl", value: cfl),
      try Const<Double>(name: "eps", value: eps),
      try Const<Double>(name: "mach", value: mach),
      try Const<Double>(name: "alpha", value: alpha),
      try Const<Double>(name: "qinf", dim: 4, value: qinf),
    ]
  }
}
