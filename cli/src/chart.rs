//! What the CLI's SVG plots share: a line through (x, y) points with a dot at each, optionally in the
//! legend, and the legend's box. Any pair of f64 axes (linear or log).

use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;

/// A chart of the CLI's plots.
pub type Chart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

/// What drawing a plot can fail with.
pub type Drawn = std::result::Result<(), Box<dyn std::error::Error>>;

/// The line through `points` in `line`, a dot of `dots` at each point, and with `legend` = (label,
/// style) an entry in the legend.
pub fn dotted_line<'a, 'b: 'a, X, Y>(
    chart: &mut Chart<'a, 'b, X, Y>,
    points: &[(f64, f64)],
    line: ShapeStyle,
    dots: RGBColor,
    legend: Option<(String, ShapeStyle)>,
) -> Drawn
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let drawn = chart.draw_series(LineSeries::new(points.to_vec(), line))?;
    if let Some((label, style)) = legend {
        drawn
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    chart.draw_series(
        points
            .iter()
            .map(|&(x, y)| Circle::new((x, y), 3, dots.filled())),
    )?;
    Ok(())
}

/// The legend, in a white box with a black border at `position`.
pub fn legend<'a, 'b: 'a, X, Y>(
    chart: &mut Chart<'a, 'b, X, Y>,
    position: SeriesLabelPosition,
) -> Drawn
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
