import Foundation

/// An element-wise function of one value that the int8 model runs as a 256-entry lookup table
/// (`QLookup`): sigmoid, SiLU / swish, tanh, GELU, ELU, softplus, leaky ReLU. The float engine
/// evaluates it directly; conversion tabulates it once on the input and output grids, so any
/// function here costs the same on the microcontroller.
public enum UnaryFunction: Sendable, Equatable {
    case sigmoid
    /// `x · sigmoid(x)` (SiLU, swish).
    case silu
    case tanh
    /// The exact GELU, `x · Φ(x)`; the tanh approximation differs by < 1e-3 (below one int8 step
    /// of any sensible grid).
    case gelu
    /// `x` for x > 0, `alpha · (eᵡ − 1)` otherwise.
    case elu(alpha: Double)
    /// `ln(1 + eᵡ)`.
    case softplus
    /// `x` for x ≥ 0, `alpha · x` otherwise.
    case leakyRelu(alpha: Double)

    /// The function's value, in double precision.
    public func callAsFunction(_ x: Double) -> Double {
        switch self {
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .silu: return x / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .elu(let alpha): return x > 0 ? x : alpha * Foundation.expm1(x)
        case .softplus: return x > 30 ? x : Foundation.log1p(Foundation.exp(x))
        case .leakyRelu(let alpha): return x >= 0 ? x : alpha * x
        }
    }

    /// Lower-case name for listings (`sigmoid`, `silu`, `leaky_relu(0.1)`, ...).
    public var name: String {
        switch self {
        case .sigmoid: return "sigmoid"
        case .silu: return "silu"
        case .tanh: return "tanh"
        case .gelu: return "gelu"
        case .elu(let alpha): return "elu(\(alpha))"
        case .softplus: return "softplus"
        case .leakyRelu(let alpha): return "leaky_relu(\(alpha))"
        }
    }
}
