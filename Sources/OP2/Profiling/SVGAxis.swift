import Foundation

/// An axis of an SVG chart: its scale, its range (widened to whole decades or "nice" steps) and
/// its ticks, mapping data values to a fraction of the axis length. Shared by ``SVGLineChart``
/// and ``SVGBarChart``.
struct SVGAxis {
  let scale: SVGLineChart.Scale
  /// The range in axis units: values on a linear axis, their base-10 logarithms on a log axis.
  let low: Double
  let high: Double
  /// Tick positions in data units, with their labels.
  let ticks: [(value: Double, label: String)]

  /// An axis covering `values` (finite, and positive on a log axis: callers check).
  /// `includeZero` starts a linear axis at 0 (bar lengths).
  init(scale: SVGLineChart.Scale, values: [Double], includeZero: Bool = false) {
    self.scale = scale
    switch scale {
    case .logarithmic:
      let logs = values.map { log10($0) }
      let lo = (logs.min() ?? 0).rounded(.down)
      var hi = (logs.max() ?? 1).rounded(.up)
      if hi <= lo { hi = lo + 1 }
      low = lo
      high = hi
      let decades = Int(hi - lo)
      let every = max(1, (decades + 7) / 8)  // at most about 8 labels
      ticks = stride(from: Int(lo), through: Int(hi), by: every).map { k in (pow(10, Double(k)), Self.decade(k)) }
    case .linear:
      var lo = values.min() ?? 0, hi = values.max() ?? 1
      if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
      if hi <= lo { (lo, hi) = lo == 0 ? (0, 1) : (lo - abs(lo) / 2, hi + abs(hi) / 2) }
      let step = Self.niceStep((hi - lo) / 5)
      lo = (lo / step).rounded(.down) * step
      hi = (hi / step).rounded(.up) * step
      low = lo
      high = hi
      let count = Int(((hi - lo) / step).rounded())
      ticks = (0...count).map { i in
        let v = lo + Double(i) * step
        return (v, String(format: "%g", abs(v) < step * 1e-9 ? 0 : v))
      }
    }
  }

  /// Where `value` falls along the axis: 0 at its start, 1 at its end.
  func fraction(_ value: Double) -> Double {
    let t = scale == .logarithmic ? log10(value) : value
    return (t - low) / (high - low)
  }

  /// 1, 2 or 5 times a power of ten, at least `raw`.
  static func niceStep(_ raw: Double) -> Double {
    guard raw > 0, raw.isFinite else { return 1 }
    let power = pow(10, log10(raw).rounded(.down))
    for m in [1.0, 2, 5, 10] where m * power >= raw * (1 - 1e-12) { return m * power }
    return 10 * power
  }

  /// `10^k` as a label: `1`, `10`, `1000`, or `1e-4`, `1e5`.
  static func decade(_ k: Int) -> String {
    (0...3).contains(k) ? "1" + String(repeating: "0", count: k) : "1e\(k)"
  }
}

/// Text helpers for the SVG and VTK writers.
enum SVGText {
  /// `text` with XML's five special characters escaped, for element text and attribute values.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.append(c)
      }
    }
    return out
  }

  /// A coordinate in pixels, to 0.01.
  static func px(_ v: Double) -> String { String(format: "%.2f", v) }

  /// The document's opening: XML declaration, `<svg>` with its size, a `<title>`, a white
  /// background and the heading.
  static func header(width: Int, height: Int, title: String) -> [String] {
    [
      #"<?xml version="1.0" encoding="UTF-8"?>"#,
      #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="sans-serif" font-size="12">"#,
      "<title>\(escape(title))</title>",
      #"<rect class="background" x="0" y="0" width="\#(width)" height="\#(height)" fill="white"/>"#,
      #"<text class="title" x="\#(width / 2)" y="22" text-anchor="middle" font-size="15">\#(escape(title))</text>"#,
    ]
  }

  /// Colours of successive series (matplotlib's first ten).
  static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
}
