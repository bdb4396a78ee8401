//! The minutes as a paginated A4 PDF for printing and archiving: DejaVu Sans embedded (so
//! Ukrainian and Bulgarian print the same on every machine), a running header with the council
//! and the session, "page N of M" and the minutes' hash in the footer, roll-call tables that
//! repeat their header row across pages. Deterministic: no date of writing, a fixed id.

mod font;
mod layout;
mod write;

use super::blocks::Block;
use super::model::Minutes;
use super::words::words;
use super::{Lang, MinutesError};
use font::{Fonts, Style};
use layout::{MARGIN_X, Op, PAGE_H, PAGE_W, Page};

/// Writes the PDF.
pub(crate) fn render(m: &Minutes, lang: Lang, blocks: &[Block]) -> Result<Vec<u8>, MinutesError> {
    let fonts = Fonts::load()?;
    let mut pages = layout::layout(&fonts, blocks);
    let hash = m.hash();
    let w = words(lang);
    let total = pages.len();
    let header = format!("{} · {}", m.council_name, m.label);
    let footer = format!("{}: {}", w.minutes_hash, hash.to_hex());
    for (i, page) in pages.iter_mut().enumerate() {
        decorate(
            &fonts,
            page,
            &header,
            &footer,
            &format!("{} {} {} {total}", w.page, i + 1, w.of),
        );
    }
    let title = format!("{} — {}", w.minutes, m.label);
    write::write(
        &fonts,
        &pages,
        &write::Meta {
            title: &title,
            lang: lang.code(),
            hash,
        },
    )
}

/// Adds the running header and the footer to a page.
fn decorate(fonts: &Fonts, page: &mut Page, header: &str, footer: &str, number: &str) {
    let width = PAGE_W - 2.0 * MARGIN_X;
    let regular = fonts.face(Style::Regular);
    let number_w = regular.width(number, 8.0);
    let text = |x: f32, y: f32, size: f32, text: String| Op::Text {
        x,
        y,
        style: Style::Regular,
        size,
        gray: 0.35,
        text,
    };
    let rule = |y: f32| Op::Line {
        x1: MARGIN_X,
        y1: y,
        x2: PAGE_W - MARGIN_X,
        y2: y,
        width: 0.5,
        gray: 0.6,
    };
    page.ops.push(text(
        MARGIN_X,
        PAGE_H - 44.0,
        8.0,
        fit(fonts, header, 8.0, width),
    ));
    page.ops.push(rule(PAGE_H - 50.0));
    page.ops.push(rule(46.0));
    page.ops.push(text(
        MARGIN_X,
        34.0,
        6.5,
        fit(fonts, footer, 6.5, width - number_w - 12.0),
    ));
    page.ops.push(text(
        PAGE_W - MARGIN_X - number_w,
        34.0,
        8.0,
        number.to_string(),
    ));
}

/// `text`, cut with an ellipsis to fit `max` points.
fn fit(fonts: &Fonts, text: &str, size: f32, max: f32) -> String {
    let face = fonts.face(Style::Regular);
    if face.width(text, size) <= max {
        return text.to_string();
    }
    let mut out: String = text.to_string();
    while !out.is_empty() && face.width(&format!("{out}…"), size) > max {
        out.pop();
    }
    format!("{}…", out.trim_end())
}
