import Foundation

/// A training curve drawn as a small standalone SVG: per epoch the population's mean and best
/// reward, and the trained policy's evaluation when there is one.
struct TrainingCurve {
    struct Point {
        let epoch: Int
        let mean: Float
        let best: Float
        var evaluation: Float?
    }

    var points: [Point] = []
    let title: String

    func svg() -> String {
        let (width, height, margin) = (720.0, 400.0, 56.0)
        let lastEpoch = Double(max(points.last?.epoch ?? 1, 1))
        let top = Double(max(points.map { max($0.best, $0.evaluation ?? 0) }.max() ?? 1, 1))
        let x = { (epoch: Int) in margin + Double(epoch) / lastEpoch * (width - 2 * margin) }
        let y = { (value: Float) in height - margin - Double(max(value, 0)) / top * (height - 2 * margin) }
        func line(_ values: [(Int, Float)], color: String, dashed: Bool = false) -> String {
            let path = values.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            return #"<polyline fill="none" stroke="\#(color)" stroke-width="2"\#(dashed ? #" stroke-dasharray="5 4""# : "") points="\#(path)"/>"#
        }
        var parts = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" font-family="sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<text x="\#(Int(margin))" y="24" font-size="15">\#(title)</text>"#,
            #"<line x1="\#(margin)" y1="\#(height - margin)" x2="\#(width - margin)" y2="\#(height - margin)" stroke="black"/>"#,
            #"<line x1="\#(margin)" y1="\#(margin)" x2="\#(margin)" y2="\#(height - margin)" stroke="black"/>"#,
            #"<text x="\#(width / 2)" y="\#(height - 16)" text-anchor="middle">epoch</text>"#,
            #"<text x="14" y="\#(height / 2)" transform="rotate(-90 14 \#(height / 2))" text-anchor="middle">return</text>"#,
        ]
        for fraction in stride(from: 0.0, through: 1.0, by: 0.25) {
            let value = Float(top * fraction)
            parts.append(#"<text x="\#(margin - 6)" y="\#(y(value) + 4)" text-anchor="end">\#(Int(value))</text>"#)
            parts.append(##"<line x1="\##(margin)" y1="\##(y(value))" x2="\##(width - margin)" y2="\##(y(value))" stroke="#ddd"/>"##)
        }
        parts.append(#"<text x="\#(width - margin)" y="\#(height - margin + 16)" text-anchor="end">\#(Int(lastEpoch))</text>"#)
        parts.append(line(points.map { ($0.epoch, $0.best) }, color: "#999", dashed: true))
        parts.append(line(points.map { ($0.epoch, $0.mean) }, color: "#1f77b4"))
        parts.append(line(points.compactMap { point in point.evaluation.map { (point.epoch, $0) } }, color: "#2ca02c"))
        let legend = [("#999", "best member"), ("#1f77b4", "population mean"), ("#2ca02c", "trained policy, 20 episodes")]
        // In the band above the plot, so it never covers a curve.
        for (index, (color, label)) in legend.enumerated() {
            let left = margin + Double(index) * 200
            parts.append(#"<rect x="\#(left)" y="33" width="12" height="12" fill="\#(color)"/>"#)
            parts.append(#"<text x="\#(left + 18)" y="44">\#(label)</text>"#)
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n") + "\n"
    }
}
