import Foundation
import Testing
@testable import OP2

/// The SVG line and bar charts: well-formed XML holding the data given, placed where the axes say.
@Suite("SVG charts")
struct SVGChartTests {
  /// `(x, y, width, height)` of the plot frame of a line chart.
  static func frame(_ xml: ParsedXML) throws -> (x: Double, y: Double, width: Double, height: Double) {
    let rect = try #require(xml.elements.first { $0.name == "rect" && $0.path.last == "g" })
    let a = rect.attributes
    return (Double(a["x"]!)!, Double(a["y"]!)!, Double(a["width"]!)!, Double(a["height"]!)!)
  }

  @Test("a log-log line chart: one polyline point and one marker per value, decades equally spaced, whole decades at the frame's corners")
  func logLog() throws {
    // Error falling as h²: three decades in x, six in y, all whole, so that the first and last
    // points fall on the frame's corners.
    let points = [(1.0, 1.0), (10, 1e-2), (100, 1e-4), (1000, 1e-6)].map { SVGLineChart.Point(x: $0.0, y: $0.1) }
    let chart = SVGLineChart(title: "error <against> h & more", xLabel: "h", yLabel: "error", xScale: .logarithmic,
                             yScale: .logarithmic, series: [.init(name: "P1", points: points)])
    let xml = ParsedXML(try chart.svg())
    #expect(xml.error == nil)
    #expect(xml.elements.first?.name == "svg")
    #expect(xml.all("title").first?.text == "error <against> h & more")
    let series = xml.all("g", class: "series")
    #expect(series.map { $0.attributes["data-name"] } == ["P1"])
    let polyline = try #require(xml.all("polyline").first)
    let vertices = polyline.attributes["points"]!.split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
    #expect(vertices.count == 4)
    let circles = xml.all("circle")
    #expect(circles.map { Double($0.attributes["data-x"]!)! } == [1, 10, 100, 1000])
    #expect(circles.map { Double($0.attributes["data-y"]!)! } == [1, 1e-2, 1e-4, 1e-6])
    // Equal ratios, equal steps: x by a third of the frame, y by a third (falling values go down).
    let frame = try Self.frame(xml)
    for (i, v) in vertices.enumerated() {
      #expect(abs(v[0] - (frame.x + Double(i) * frame.width / 3)) < 0.011, "vertex \(i): \(v)")
      #expect(abs(v[1] - (frame.y + Double(i) * frame.height / 3)) < 0.011, "vertex \(i): \(v)")
      #expect(abs(Double(circles[i].attributes["cx"]!)! - v[0]) < 1e-9 && abs(Double(circles[i].attributes["cy"]!)! - v[1]) < 1e-9)
    }
    // A tick per decade on each axis: 1, 10, 100, 1000 and 1e-6 … 1.
    #expect(xml.elements.filter { $0.name == "text" && $0.path.last == "g" }.map(\.text).contains("1000"))
    #expect(xml.all("text").map(\.text).contains("1e-6"))
  }

  @Test("a linear x axis spans multiples of a 1-2-5 step; a second series adds a legend")
  func linear() throws {
    let rms = [(100.0, 5e-4), (200, 3e-4), (250, 2.5e-4)].map { SVGLineChart.Point(x: $0.0, y: $0.1) }
    let chart = SVGLineChart(title: "rms", xLabel: "iteration", yLabel: "rms", yScale: .logarithmic,
                             series: [.init(name: "rms", points: rms), .init(name: "again", points: rms)])
    let xml = ParsedXML(try chart.svg())
    #expect(xml.error == nil)
    // (250 - 100) / 5 = 30 → step 50: the axis runs 100 … 250 and its ends are the frame's sides.
    let frame = try Self.frame(xml)
    let xs = xml.all("circle").prefix(3).map { Double($0.attributes["cx"]!)! }
    #expect(abs(xs[0] - frame.x) < 0.011 && abs(xs[2] - (frame.x + frame.width)) < 0.011)
    #expect(abs(xs[1] - (frame.x + frame.width * 2 / 3)) < 0.011)
    #expect(xml.all("g", class: "legend").count == 1)
    #expect(xml.all("g", class: "series").count == 2)
  }

  @Test("values a log axis cannot show, or not finite, are typed errors naming the series and point")
  func invalidData() {
    let zero = SVGLineChart(title: "rms", xLabel: "i", yLabel: "rms", yScale: .logarithmic,
                            series: [.init(name: "rms", points: [.init(x: 1, y: 1), .init(x: 2, y: 0)])])
    expectError(.invalidChartData(chart: "rms", reason: "series \"rms\", point 1: y = 0.0 cannot be drawn on a logarithmic y axis"),
                message: "chart \"rms\": series \"rms\", point 1: y = 0.0 cannot be drawn on a logarithmic y axis") { () throws(OP2Error) in _ = try zero.svg() }
    let nan = SVGLineChart(title: "t", xLabel: "i", yLabel: "v", series: [.init(name: "s", points: [.init(x: .nan, y: 1)])])
    #expect(throws: OP2Error.invalidChartData(chart: "t", reason: "series \"s\", point 0: x = nan is not a finite number")) { _ = try nan.svg() }
    let bars = SVGBarChart(title: "b", valueLabel: "s", bars: [.init(label: "a", value: -1)])
    #expect(throws: OP2Error.invalidChartData(chart: "b", reason: "bar 0 (\"a\"): -1.0 is not a finite, non-negative length")) { _ = try bars.svg() }
  }

  @Test("a bar chart: one bar per value in order, labelled, lengths proportional to the values")
  func bars() throws {
    // Largest 4 → the axis ends at 4 (step 1), so the longest bar spans the whole axis.
    let chart = SVGBarChart(title: "time", valueLabel: "seconds",
                            bars: [.init(label: "save_soln", value: 1), .init(label: "a<b", value: 2), .init(label: "update", value: 4)])
    let xml = ParsedXML(try chart.svg())
    #expect(xml.error == nil)
    let groups = xml.all("g", class: "bar")
    #expect(groups.map { $0.attributes["data-label"] } == ["save_soln", "a<b", "update"])
    #expect(xml.all("text", class: "label").map(\.text) == ["save_soln", "a<b", "update"])
    let widths = xml.all("rect").filter { $0.attributes["class"] == nil }.map { Double($0.attributes["width"]!)! }
    #expect(widths.count == 3)
    #expect(abs(widths[1] - 2 * widths[0]) < 0.03 && abs(widths[2] - 4 * widths[0]) < 0.03, "\(widths)")
    // The axis line and the last tick (at 4) meet the ends of the longest bar.
    let ticks = xml.all("line").filter { $0.path.last == "g" }.map { Double($0.attributes["x1"]!)! }
    let rect = xml.all("rect").last!
    #expect(abs(Double(rect.attributes["x"]!)! + widths[2] - ticks.last!) < 0.011)
    #expect(xml.all("text").map(\.text).contains("4"))
  }

  @Test("a report's time chart has one bar per loop, named after it, of its seconds")
  func reportChart() throws {
    let rows = [("res_calc", 0.5), ("update", 0.25)].map {
      TimingReport.Row(name: $0.0, count: 1, seconds: $0.1, bytes: 0, planSeconds: 0, colours: 0, blocks: 0)
    }
    let chart = TimingReport(rows: rows, compileSeconds: 0).timeChart()
    #expect(chart.bars == [.init(label: "res_calc", value: 0.5), .init(label: "update", value: 0.25)])
    let xml = ParsedXML(try chart.svg())
    #expect(xml.error == nil)
    #expect(xml.all("g", class: "bar").map { Double($0.attributes["data-value"]!)! } == [0.5, 0.25])
  }
}
