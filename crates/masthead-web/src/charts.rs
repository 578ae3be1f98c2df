//! Charts as server-rendered SVG: no scripts, no requests to anyone, text
//! escaped. Colours and lines are SVG attributes, not inline CSS, which the
//! content security policy forbids.

use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

pub const COLORS: [&str; 4] = ["#1d4ed8", "#b45309", "#047857", "#7a1f1f"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// An axis for values up to `max`: a round step (1, 2 or 5 times a power
/// of ten) and a top that is a whole number of steps (two to five) at or
/// above `max`, so every gridline falls on a round value: 0, 2, 4, 6, 8,
/// 10%, never 2.5% shown as "2%".
fn nice_scale(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 0.25);
    }
    let mag = 10f64.powf((max / 5.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|step| step * 5.0 >= max * (1.0 - 1e-9)).unwrap_or(10.0 * mag);
    let steps = ((max / step) - 1e-9).ceil().max(2.0);
    (step * steps, step)
}

/// A series of a line chart: a name and one value per x label.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<f64>,
}

/// A line chart over labelled x positions (days, months). `fmt` labels the
/// y axis.
pub fn line(title: &str, labels: &[String], series: &[Series<'_>], fmt: &dyn Fn(f64) -> String) -> String {
    let n = labels.len().max(1);
    let (max, step) = nice_scale(series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0, f64::max));
    let x = |i: usize| if n == 1 { LEFT + (W - LEFT - RIGHT) / 2.0 } else { LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64 };
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v / max);
    let mut svg = open(title);
    axes(&mut svg, max, step, fmt);
    // A handful of x labels: first, last and evenly between; the last one
    // ends at the plot's right edge instead of running past the picture,
    // and one that would crowd it is left out.
    let every = (n / 6).max(1);
    for (i, l) in labels.iter().enumerate() {
        let last = i == n - 1;
        if last || (i % every == 0 && i + every / 2 < n - 1) {
            let anchor = if last && n > 1 { "end" } else { "middle" };
            let _ = write!(svg, r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="{anchor}" fill="#555">{}</text>"##, x(i), H - 8.0, esc(l));
        }
    }
    for (k, s) in series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let points: Vec<String> = s.values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect();
        if points.len() == 1 {
            let _ = write!(svg, r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"#, x(0), y(s.values[0]));
        } else if !points.is_empty() {
            let _ = write!(svg, r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"><title>{}</title></polyline>"#, points.join(" "), esc(s.name));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Bars, one per labelled value, horizontal (for a funnel or a top list).
pub fn bars(title: &str, items: &[(String, f64)], fmt: &dyn Fn(f64) -> String) -> String {
    let row = 28.0;
    let h = TOP + row * items.len().max(1) as f64 + 8.0;
    let label_w = 170.0;
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1e-9);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h:.0}" width="100%" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let top = TOP + row * i as f64;
        let w = (W - label_w - 90.0) * (v / max);
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#1a1a1a">{}</text><rect x="{label_w:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#1a1a1a">{}</text>"##,
            label_w - 8.0,
            top + 15.0,
            esc(label),
            top + 2.0,
            row - 8.0,
            COLORS[0],
            label_w + w + 6.0,
            top + 15.0,
            esc(&fmt(*v)),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical columns over labelled x positions (months).
pub fn columns(title: &str, items: &[(String, Option<f64>)], fmt: &dyn Fn(f64) -> String) -> String {
    let n = items.len().max(1);
    let (max, step) = nice_scale(items.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max));
    let slot = (W - LEFT - RIGHT) / n as f64;
    let mut svg = open(title);
    axes(&mut svg, max, step, fmt);
    for (i, (label, v)) in items.iter().enumerate() {
        let cx = LEFT + slot * (i as f64 + 0.5);
        if let Some(v) = v {
            let top = TOP + (H - TOP - BOTTOM) * (1.0 - v / max);
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                cx - slot * 0.3,
                slot * 0.6,
                (H - BOTTOM - top).max(0.0),
                COLORS[1],
                esc(label),
                esc(&fmt(*v))
            );
        }
        let _ = write!(svg, r##"<text x="{cx:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#555">{}</text>"##, H - 8.0, esc(label));
    }
    svg.push_str("</svg>");
    svg
}

fn open(title: &str) -> String {
    format!(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#, t = esc(title))
}

/// Gridlines and their labels, one per `step` from 0 to `max`.
fn axes(svg: &mut String, max: f64, step: f64, fmt: &dyn Fn(f64) -> String) {
    let steps = (max / step).round() as u32;
    for k in 0..=steps {
        let v = step * f64::from(k);
        let y = TOP + (H - TOP - BOTTOM) * (1.0 - f64::from(k) / f64::from(steps));
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#e2e2e2"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#555">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            esc(&fmt(v))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_escaped_text() {
        let s = line("Reads <daily>", &["Jan 1".into(), "Jan 2".into()], &[Series { name: "a&b", values: vec![1.0, 3.0] }], &|v| format!("{v:.0}"));
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("Reads &lt;daily&gt;") && s.contains("a&amp;b"));
        assert!(!s.contains("<script") && !s.contains("style="));
        let b = bars("Funnel", &[("Offers <shown>".into(), 10.0), ("Trials".into(), 2.0)], &|v| format!("{v:.0}"));
        assert!(b.contains("Offers &lt;shown&gt;") && b.matches("<rect").count() == 2);
        let c = columns("Churn", &[("Jan".into(), Some(0.1)), ("Feb".into(), None)], &|v| format!("{:.0}%", v * 100.0));
        assert_eq!(c.matches("<rect").count(), 1);
    }

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn axes_end_on_round_numbers_with_round_steps() {
        for (max, want) in [
            (0.0, (1.0, 0.25)),
            (7.0, (8.0, 2.0)),
            (10.0, (10.0, 2.0)),
            (13.0, (15.0, 5.0)),
            (69.0, (80.0, 20.0)),
            (240.0, (250.0, 50.0)),
            (1540.0, (2000.0, 500.0)),
            (15_690.0, (20_000.0, 5_000.0)),
            // Churn as a fraction: 9.7% is drawn up to 10% in steps of 2%,
            // never in quarters that "{:.0}%" would print as 2% and 8%.
            (0.097, (0.1, 0.02)),
            (0.1, (0.1, 0.02)),
            (0.031, (0.04, 0.01)),
        ] {
            assert!(close(nice_scale(max), want), "{max}: {:?}, not {want:?}", nice_scale(max));
        }
        for k in 1..2000 {
            let max = f64::from(k) * 0.37;
            let (top, step) = nice_scale(max);
            let steps = top / step;
            assert!(top >= max * (1.0 - 1e-9) && (steps - steps.round()).abs() < 1e-6 && (2.0..=5.0 + 1e-9).contains(&steps), "{max}: {top}, {step}");
        }
    }

    #[test]
    fn percent_gridlines_are_labelled_truly() {
        let c = columns("Churn", &[("Jan".into(), Some(0.097)), ("Feb".into(), Some(0.04))], &|v| format!("{:.0}%", v * 100.0));
        for label in [">0%<", ">2%<", ">4%<", ">6%<", ">8%<", ">10%<"] {
            assert!(c.contains(label), "{label} in {c}");
        }
        assert!(!c.contains(">12%<") && !c.contains(">3%<"));
    }

    #[test]
    fn the_last_day_ends_inside_the_chart() {
        let labels: Vec<String> = (1..=30).map(|d| format!("Nov {d}")).collect();
        let s = line("Reads", &labels, &[Series { name: "a", values: vec![1.0; 30] }], &|v| format!("{v:.0}"));
        assert!(s.contains(r##"text-anchor="end" fill="#555">Nov 30<"##), "{s}");
        assert!(s.contains(">Nov 1<"));
    }
}
