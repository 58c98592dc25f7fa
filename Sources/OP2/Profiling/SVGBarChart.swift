import Foundation

/// A horizontal bar chart written as a standalone SVG file: one labelled bar per value, on a
/// linear axis from 0 — such as the seconds each loop took (``TimingReport/timeChart(title:)``).
///
/// ```swift
/// try OP2.timingReport().timeChart().write(to: "plots/timings.svg")
/// ```
///
/// Each bar is a `<g class="bar" data-label="…" data-value="…">` holding a `<rect>` whose width
/// is proportional to the value (the axis ends at a multiple of 1, 2 or 5 times a power of ten
/// at or above the largest), the label and the value as text. Bars appear top to bottom in the
/// order given. Cost: linear in the number of bars.
public struct SVGBarChart: Sendable, Equatable {
  /// One bar.
  public struct Bar: Sendable, Equatable {
    /// The name written beside the bar, and its `data-label` attribute.
    public var label: String
    /// The bar's length in axis units: finite and not negative.
    public var value: Double

    /// A bar of length `value`, named `label`.
    public init(label: String, value: Double) {
      self.label = label
      self.value = value
    }
  }

  /// The heading, also the document's `<title>`.
  public var title: String
  /// The quantity along the bars, with its unit (`"seconds"`).
  public var valueLabel: String
  /// The bars, top to bottom.
  public var bars: [Bar]
  /// The picture's width in pixels; the height follows from the number of bars.
  public var width = 720

  /// A chart of `bars`, drawn in the order given.
  public init(title: String, valueLabel: String, bars: [Bar]) {
    self.title = title
    self.valueLabel = valueLabel
    self.bars = bars
  }

  /// The chart as an SVG document.
  ///
  /// - Throws: ``OP2Error/invalidChartData(chart:reason:)`` naming the bar when a value is
  ///   negative or not finite.
  public func svg() throws(OP2Error) -> String {
    for (i, bar) in bars.enumerated() where !(bar.value.isFinite && bar.value >= 0) {
      throw .invalidChartData(chart: title, reason: "bar \(i) (\"\(bar.label)\"): \(bar.value) is not a finite, non-negative length")
    }
    let axis = SVGAxis(scale: .linear, values: bars.map(\.value), includeZero: true)
    let longest = bars.map(\.label.count).max() ?? 0
    let left = 16 + 7 * Double(min(longest, 48)), right = 64.0, top = 40.0, barHeight = 20.0, gap = 6.0
    let plotWidth = Double(width) - left - right
    let plotHeight = Double(bars.count) * (barHeight + gap) + gap
    let height = Int((top + plotHeight + 48).rounded(.up))
    let f = SVGText.px

    var out = SVGText.header(width: width, height: height, title: title)
    out.append(#"<g class="x-ticks" text-anchor="middle">"#)
    for t in axis.ticks {
      let x = left + axis.fraction(t.value) * plotWidth
      out.append(#"<line x1="\#(f(x))" y1="\#(f(top))" x2="\#(f(x))" y2="\#(f(top + plotHeight))" stroke="rgb(221,221,221)"/>"#)
      out.append(#"<text x="\#(f(x))" y="\#(f(top + plotHeight + 16))">\#(SVGText.escape(t.label))</text>"#)
    }
    out.append("</g>")
    out.append(#"<line class="axis" x1="\#(f(left))" y1="\#(f(top))" x2="\#(f(left))" y2="\#(f(top + plotHeight))" stroke="rgb(68,68,68)"/>"#)
    out.append(#"<text class="x-label" x="\#(f(left + plotWidth / 2))" y="\#(height - 12)" text-anchor="middle">\#(SVGText.escape(valueLabel))</text>"#)
    for (i, bar) in bars.enumerated() {
      let y = top + gap + Double(i) * (barHeight + gap)
      let length = axis.fraction(bar.value) * plotWidth
      let label = SVGText.escape(bar.label)
      out.append(#"<g class="bar" data-label="\#(label)" data-value="\#(bar.value)">"#)
      out.append(#"<rect x="\#(f(left))" y="\#(f(y))" width="\#(f(length))" height="\#(f(barHeight))" fill="\#(SVGText.palette[0])"><title>\#(label): \#(bar.value)</title></rect>"#)
      out.append(#"<text class="label" x="\#(f(left - 6))" y="\#(f(y + 14))" text-anchor="end">\#(label)</text>"#)
      out.append(#"<text class="value" x="\#(f(left + length + 4))" y="\#(f(y + 14))">\#(String(format: "%.3g", bar.value))</text>"#)
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

extension TimingReport {
  /// Where the loops' time went: one bar per row, in order of first execution, of its
  /// ``Row/seconds`` (execution, halo exchanges included; plans and compiles excluded — they are
  /// columns of ``csv()``), labelled with the loop's name.
  ///
  /// - Parameter title: The chart's heading.
  public func timeChart(title: String = "Time per loop") -> SVGBarChart {
    SVGBarChart(title: title, valueLabel: ranks > 1 ? "seconds (slowest of \(ranks) ranks)" : "seconds",
                bars: rows.map { .init(label: $0.name, value: $0.seconds) })
  }
}
