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

/// A round number at or above `max`, for the top of an axis.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= max {
            return m * mag;
        }
    }
    10.0 * mag
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
    let max = nice_max(series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0, f64::max));
    let x = |i: usize| if n == 1 { LEFT + (W - LEFT - RIGHT) / 2.0 } else { LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64 };
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v / max);
    let mut svg = open(title);
    axes(&mut svg, max, fmt);
    // A handful of x labels: first, last and evenly between.
    let step = (n / 6).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % step == 0 || i == n - 1 {
            let _ = write!(svg, r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#555">{}</text>"##, x(i), H - 8.0, esc(l));
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
    let max = nice_max(items.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max));
    let slot = (W - LEFT - RIGHT) / n as f64;
    let mut svg = open(title);
    axes(&mut svg, max, fmt);
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

fn axes(svg: &mut String, max: f64, fmt: &dyn Fn(f64) -> String) {
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let y = TOP + (H - TOP - BOTTOM) * (1.0 - k as f64 / 4.0);
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

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(13.0), 20.0);
        assert_eq!(nice_max(240.0), 250.0);
    }
}
