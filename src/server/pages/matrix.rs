//! The matrix view: an SVG chart of items by two fields, with the same
//! points as a table.

use super::frame::{Notice, Viewer, error_box, layout};
use crate::engine::MatrixView;
use crate::engine::rules::values::field_text;
use crate::model::invisible::shown;
use crate::model::{Blueprint, FieldType};
use maud::{Markup, html};
use serde_json::Value;

/// How values sit on a matrix axis.
pub(super) enum Scale {
    /// Enum variants, evenly spaced in declaration order.
    Variants(Vec<String>),
    /// Numbers from `lo` to `hi`.
    Range(f64, f64),
}

/// An axis: its scale and tick labels.
pub(super) struct Axis {
    ticks: Vec<(f64, String)>,
    scale: Scale,
}

impl Axis {
    /// Where a value sits, from 0 to 1.
    fn place(&self, v: &Value) -> Option<f64> {
        match &self.scale {
            Scale::Variants(variants) => {
                let step = 1.0 / variants.len().max(1) as f64;
                variants
                    .iter()
                    .position(|x| Some(x.as_str()) == v.as_str())
                    .map(|i| (i as f64 + 0.5) * step)
            }
            Scale::Range(lo, hi) => v.as_f64().map(|x| ((x - lo) / (hi - lo)).clamp(0.0, 1.0)),
        }
    }
}

pub(super) fn axis(blueprint: &Blueprint, field: &str, values: &[&Value]) -> Axis {
    if let Some(FieldType::Enum { variants }) = blueprint.field(field).map(|f| &f.ty) {
        let step = 1.0 / variants.len().max(1) as f64;
        let ticks = variants
            .iter()
            .enumerate()
            .map(|(i, v)| ((i as f64 + 0.5) * step, v.clone()))
            .collect();
        return Axis {
            ticks,
            scale: Scale::Variants(variants.clone()),
        };
    }
    let numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
    let (mut lo, mut hi) = match blueprint.field(field).map(|f| &f.ty) {
        Some(FieldType::Int {
            min: Some(a),
            max: Some(b),
        }) => (*a as f64, *b as f64),
        _ => (
            numbers.iter().copied().fold(f64::INFINITY, f64::min),
            numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ),
    };
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let ticks = (0..=4)
        .map(|i| {
            (
                f64::from(i) / 4.0,
                format!(
                    "{}",
                    ((lo + (hi - lo) * f64::from(i) / 4.0) * 100.0).round() / 100.0
                ),
            )
        })
        .collect();
    Axis {
        ticks,
        scale: Scale::Range(lo, hi),
    }
}

/// Keeps points off the frame: 0..1 maps to 6%..94% of the plot.
pub(super) fn inset(t: f64) -> f64 {
    0.06 + 0.88 * t
}

pub(super) const PALETTE: [&str; 6] = [
    "#1450a3", "#d4682b", "#2e8b57", "#8e3fb0", "#b8860b", "#c0261a",
];

/// The matrix chart: an SVG with a linked point per item, and the same
/// points as a table for screen readers.
pub fn matrix(
    viewer: &Viewer,
    views: &[(String, String, String)],
    shown: Option<&(MatrixView, Blueprint)>,
    notice: Option<&Notice>,
) -> Markup {
    let body = html! {
        h1 { "Matrix" }
        nav.tabs aria-label="Matrix views" {
            @for (b, v, label) in views {
                a href=(format!("/matrix?blueprint={b}&view={v}")) aria-current=[shown.is_some_and(|(m, _)| &m.blueprint == b && &m.view == v).then_some("page")] { (label) " (" (b) ")" }
            }
        }
        (error_box(notice, "matrix"))
        @match shown {
            None if notice.is_some() => {},
            None => p { "No blueprint declares a matrix view." },
            Some((m, blueprint)) => (matrix_chart(m, blueprint)),
        }
    };
    layout("Matrix", Some(viewer), "/matrix", body)
}

pub(super) fn matrix_chart(m: &MatrixView, blueprint: &Blueprint) -> Markup {
    let (w, h, left, bottom, top, right) = (720.0, 480.0, 80.0, 60.0, 20.0, 30.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let xf = m.axes.get("x").cloned().unwrap_or_default();
    let yf = m.axes.get("y").cloned().unwrap_or_default();
    let label = |f: &str| {
        blueprint
            .field(f)
            .map_or_else(|| f.to_string(), |x| x.label.clone())
    };
    // For each point: its place among the points of the same cell, and how many share it.
    let cell = |p: &crate::engine::MatrixPoint| (field_text(&p.x), field_text(&p.y));
    let mut shared: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for p in &m.points {
        *shared.entry(cell(p)).or_default() += 1;
    }
    let mut seen: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    let stacking: Vec<(usize, usize)> = m
        .points
        .iter()
        .map(|p| {
            let key = cell(p);
            let n = shared.get(&key).copied().unwrap_or(1);
            let k = seen.entry(key).or_default();
            *k += 1;
            (*k - 1, n)
        })
        .collect();
    let xs: Vec<&Value> = m.points.iter().map(|p| &p.x).collect();
    let ys: Vec<&Value> = m.points.iter().map(|p| &p.y).collect();
    let (xa, ya) = (axis(blueprint, &xf, &xs), axis(blueprint, &yf, &ys));
    let sizes: Vec<&Value> = m.points.iter().filter_map(|p| p.size.as_ref()).collect();
    let size_axis = m.axes.get("size").map(|f| axis(blueprint, f, &sizes));
    let mut colors: Vec<String> = m
        .points
        .iter()
        .filter_map(|p| p.color.as_ref())
        .map(field_text)
        .collect();
    colors.sort();
    colors.dedup();
    let color_of = |v: Option<&Value>| {
        let key = v.map(field_text).unwrap_or_default();
        colors
            .iter()
            .position(|c| *c == key)
            .map_or(PALETTE[0], |i| PALETTE[i % PALETTE.len()])
    };
    html! {
        h2 { (m.label) }
        p.hint { "x: " (label(&xf)) " · y: " (label(&yf)) @if let Some(s) = m.axes.get("size") { " · size: " (label(s)) } @if let Some(c) = m.axes.get("color") { " · colour: " (label(c)) } " · " (m.points.len()) " items with both axes set" }
        svg.matrix xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) role="img" aria-labelledby="matrix-title" {
            title #matrix-title { (m.label) ": " (label(&yf)) " against " (label(&xf)) }
            rect x=(left) y=(top) width=(pw) height=(ph) fill="#fafbfc" stroke="#9aa3b2" {}
            @for (t, text) in &xa.ticks {
                @let x = left + inset(*t) * pw;
                line x1=(x) x2=(x) y1=(top) y2=(top + ph) stroke="#e4e7ec" {}
                text x=(x) y=(top + ph + 20.0) text-anchor="middle" font-size="13" { (text) }
            }
            @for (t, text) in &ya.ticks {
                @let y = top + ph - inset(*t) * ph;
                line x1=(left) x2=(left + pw) y1=(y) y2=(y) stroke="#e4e7ec" {}
                text x=(left - 8.0) y=(y + 4.0) text-anchor="end" font-size="13" { (text) }
            }
            text x=(left + pw / 2.0) y=(h - 12.0) text-anchor="middle" font-size="14" font-weight="600" { (label(&xf)) }
            text x="18" y=(top + ph / 2.0) text-anchor="middle" font-size="14" font-weight="600" transform=(format!("rotate(-90 18 {})", top + ph / 2.0)) { (label(&yf)) }
            @for (i, p) in m.points.iter().enumerate() {
                @if let (Some(x), Some(y)) = (xa.place(&p.x), ya.place(&p.y)) {
                    @let r = match (&size_axis, &p.size) { (Some(a), Some(s)) => 7.0 + 11.0 * a.place(s).unwrap_or(0.5), _ => 9.0 };
                    // Points that share a cell are stacked around it, each still a link.
                    @let (k, n) = stacking[i];
                    @let shift = (k as f64 - (n as f64 - 1.0) / 2.0) * 38.0;
                    @let (cx, cy) = (left + inset(x) * pw, top + ph - inset(y) * ph + shift);
                    // Names of points on the right half read leftwards, so none is cut off.
                    @let (tx, anchor) = if x > 0.5 { (cx - r - 4.0, "end") } else { (cx + r + 4.0, "start") };
                    a href=(format!("/items/{}", p.item)) {
                        title { (shown(&p.name)) " (#" (p.item) "): " (field_text(&p.x)) ", " (field_text(&p.y)) }
                        circle cx=(cx) cy=(cy) r=(r) fill=(color_of(p.color.as_ref())) fill-opacity="0.75" stroke="#1d2430" {}
                        text x=(tx) y=(cy + 4.0) text-anchor=(anchor) font-size="12" { (shown(&p.name)) }
                    }
                }
            }
        }
        table {
            caption.hint { "The same points as a table" }
            thead { tr { th scope="col" { "Item" } th scope="col" { (label(&xf)) } th scope="col" { (label(&yf)) }
                @if let Some(s) = m.axes.get("size") { th scope="col" { (label(s)) } }
                @if let Some(c) = m.axes.get("color") { th scope="col" { (label(c)) } } } }
            tbody {
                @for p in &m.points {
                    tr {
                        td { a href=(format!("/items/{}", p.item)) { (shown(&p.name)) } }
                        td { (field_text(&p.x)) } td { (field_text(&p.y)) }
                        @if m.axes.contains_key("size") { td { (p.size.as_ref().map(field_text).unwrap_or_default()) } }
                        @if m.axes.contains_key("color") { td { (p.color.as_ref().map(field_text).unwrap_or_default()) } }
                    }
                }
            }
        }
    }
}
