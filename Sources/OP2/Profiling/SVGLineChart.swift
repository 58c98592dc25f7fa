import Foundation

/// A line chart written as a standalone SVG file: one or more series of (x, y) points, each
/// axis linear or logarithmic — enough for a convergence history or an error-against-h plot
/// without installing a plotting package.
///
/// ```swift
/// let chart = SVGLineChart(title: "L2 error", xLabel: "h", yLabel: "error",
///                          xScale: .logarithmic, yScale: .logarithmic,
///                          series: [.init(name: "P1", points: [.init(x: 0.1, y: 0.01), .init(x: 0.05, y: 0.0025)])])
/// try chart.write(to: "plots/error.svg")
/// ```
///
/// The document is plain SVG 1.1 (it opens in any browser) and easy to check by machine: each
/// series is a `<g class="series" data-name="…">` holding one `<polyline>` through its points
/// and one `<circle>` per point whose `data-x` and `data-y` attributes are the point's values as
/// Swift prints them (the shortest text that reads back as the same `Double`). A logarithmic axis
/// spans whole decades; a linear one, multiples of 1, 2 or 5 times a power of ten. Cost: linear
/// in the number of points.
public struct SVGLineChart: Sendable, Equatable {
  /// How an axis maps values to positions.
  public enum Scale: Sendable, Equatable {
    /// Equal distances for equal differences.
    case linear
    /// Equal distances for equal ratios (base 10); every value on the axis must be positive.
    case logarithmic
  }

  /// One data point.
  public struct Point: Sendable, Equatable {
    /// The position along the horizontal axis.
    public var x: Double
    /// The position along the vertical axis.
    public var y: Double

    /// A point at (`x`, `y`).
    public init(x: Double, y: Double) {
      self.x = x
      self.y = y
    }
  }

  /// A named sequence of points, joined in the order given.
  public struct Series: Sendable, Equatable {
    /// The series' name: its `data-name` attribute, and its legend entry.
    public var name: String
    /// The points, joined by straight segments in this order.
    public var points: [Point]

    /// A series called `name` (shown in the legend when the chart has several).
    public init(name: String, points: [Point]) {
      self.name = name
      self.points = points
    }
  }

  /// The heading, also the document's `<title>`.
  public var title: String
  /// The horizontal axis' name; "(log scale)" is added on a logarithmic axis.
  public var xLabel: String
  /// The vertical axis' name; "(log scale)" is added on a logarithmic axis.
  public var yLabel: String
  /// How x values are placed.
  public var xScale: Scale
  /// How y values are placed.
  public var yScale: Scale
  /// The data, drawn in order with successive colours.
  public var series: [Series]
  /// The picture's size in pixels.
  public var width = 640
  public var height = 420

  /// A chart of `series`; both axes linear unless said otherwise.
  public init(title: String, xLabel: String, yLabel: String, xScale: Scale = .linear, yScale: Scale = .linear, series: [Series]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.xScale = xScale
    self.yScale = yScale
    self.series = series
  }

  /// The chart as an SVG document.
  ///
  /// - Throws: ``OP2Error/invalidChartData(chart:reason:)`` naming the series and point when a
  ///   value is not finite, or not positive on a logarithmic axis.
  public func svg() throws(OP2Error) -> String {
    for s in series {
      for (i, p) in s.points.enumerated() {
        for (value, axis, scale) in [(p.x, "x", xScale), (p.y, "y", yScale)] {
          guard value.isFinite else {
            throw .invalidChartData(chart: title, reason: "series \"\(s.name)\", point \(i): \(axis) = \(value) is not a finite number")
          }
          guard scale == .linear || value > 0 else {
            throw .invalidChartData(chart: title, reason: "series \"\(s.name)\", point \(i): \(axis) = \(value) cannot be drawn on a logarithmic \(axis) axis")
          }
        }
      }
    }
    let points = series.flatMap(\.points)
    let xAxis = SVGAxis(scale: xScale, values: points.map(\.x))
    let yAxis = SVGAxis(scale: yScale, values: points.map(\.y))
    let left = 78.0, right = 24.0, top = 40.0, bottom = 52.0
    let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
    func px(_ x: Double) -> Double { left + xAxis.fraction(x) * plotWidth }
    func py(_ y: Double) -> Double { top + (1 - yAxis.fraction(y)) * plotHeight }
    let f = SVGText.px

    var out = SVGText.header(width: width, height: height, title: title)
    out.append(#"<g class="axes" stroke="rgb(68,68,68)" fill="none">"#)
    out.append(#"<rect x="\#(f(left))" y="\#(f(top))" width="\#(f(plotWidth))" height="\#(f(plotHeight))"/>"#)
    out.append("</g>")
    out.append(#"<g class="x-ticks" text-anchor="middle">"#)
    for t in xAxis.ticks {
      let x = px(t.value)
      out.append(#"<line x1="\#(f(x))" y1="\#(f(top + plotHeight))" x2="\#(f(x))" y2="\#(f(top))" stroke="rgb(221,221,221)"/>"#)
      out.append(#"<text x="\#(f(x))" y="\#(f(top + plotHeight + 16))">\#(SVGText.escape(t.label))</text>"#)
    }
    out.append("</g>")
    out.append(#"<g class="y-ticks" text-anchor="end">"#)
    for t in yAxis.ticks {
      let y = py(t.value)
      out.append(#"<line x1="\#(f(left))" y1="\#(f(y))" x2="\#(f(left + plotWidth))" y2="\#(f(y))" stroke="rgb(221,221,221)"/>"#)
      out.append(#"<text x="\#(f(left - 6))" y="\#(f(y + 4))">\#(SVGText.escape(t.label))</text>"#)
    }
    out.append("</g>")
    out.append(#"<text class="x-label" x="\#(f(left + plotWidth / 2))" y="\#(f(Double(height) - 12))" text-anchor="middle">\#(SVGText.escape(xLabel))\#(xScale == .logarithmic ? " (log scale)" : "")</text>"#)
    let yMid = f(top + plotHeight / 2)
    out.append(#"<text class="y-label" x="16" y="\#(yMid)" text-anchor="middle" transform="rotate(-90 16 \#(yMid))">\#(SVGText.escape(yLabel))\#(yScale == .logarithmic ? " (log scale)" : "")</text>"#)
    for (k, s) in series.enumerated() {
      let colour = SVGText.palette[k % SVGText.palette.count]
      out.append(#"<g class="series" data-name="\#(SVGText.escape(s.name))" stroke="\#(colour)" fill="\#(colour)">"#)
      let path = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
      out.append(#"<polyline points="\#(path)" fill="none" stroke-width="1.5"/>"#)
      for p in s.points {
        out.append(#"<circle cx="\#(f(px(p.x)))" cy="\#(f(py(p.y)))" r="2.5" data-x="\#(p.x)" data-y="\#(p.y)"><title>\#(SVGText.escape(s.name)): (\#(p.x), \#(p.y))</title></circle>"#)
      }
      out.append("</g>")
    }
    if series.count > 1 {
      out.append(#"<g class="legend">"#)
      for (k, s) in series.enumerated() {
        let colour = SVGText.palette[k % SVGText.palette.count]
        let y = top + 14 + Double(k) * 16
        out.append(#"<line x1="\#(f(left + plotWidth - 150))" y1="\#(f(y - 4))" x2="\#(f(left + plotWidth - 130))" y2="\#(f(y - 4))" stroke="\#(colour)" stroke-width="2"/>"#)
        out.append(#"<text x="\#(f(left + plotWidth - 124))" y="\#(f(y))">\#(SVGText.escape(s.name))</text>"#)
      }
      out.append("</g>")
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }

  /// Writes ``svg()`` to `path` through ``OutputFile`` (atomically; a symbolic link is followed).
  ///
  /// - Throws: ``OP2Error/invalidChartData(chart:reason:)`` (nothing is written) or
  ///   ``OP2Error/fileError(path:reason:)``.
  public func write(to path: String) throws(OP2Error) {
    try OutputFile.write(try svg(), to: path)
  }
}
