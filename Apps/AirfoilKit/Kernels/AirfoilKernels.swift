import OP2

/// The five kernels of OP2's airfoil application, as C source, one file per kernel
/// (`Kernels/<name>.swift`), in the numerical scheme and floating-point order of OP2-Common's
/// `apps/c/airfoil` so that the rms history agrees with OP2's digit for digit.
///
/// The kernels use the Consts `gam`, `gm1`, `cfl`, `eps` and `qinf` declared by ``AirfoilConstants``.
public enum AirfoilKernels {}
