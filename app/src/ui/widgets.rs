//! Small pieces the screens share: labelled fields (every input is named for screen readers and
//! tests), colours for good and bad news, times and countdowns.

use egui::{Color32, Response, RichText, TextEdit, Ui};

/// A labelled one-line text field as a row of a two-column [`egui::Grid`].
pub(crate) fn text_row(ui: &mut Ui, label: &str, value: &mut String) -> Response {
    let l = ui.label(label);
    let r = ui
        .add(TextEdit::singleline(value).desired_width(360.0))
        .labelled_by(l.id);
    ui.end_row();
    r
}

/// A labelled multi-line text field as a row of a two-column [`egui::Grid`].
pub(crate) fn text_area_row(ui: &mut Ui, label: &str, value: &mut String, rows: usize) -> Response {
    let l = ui.label(label);
    let r = ui
        .add(
            TextEdit::multiline(value)
                .desired_rows(rows)
                .desired_width(360.0),
        )
        .labelled_by(l.id);
    ui.end_row();
    r
}

/// A labelled number as a row of a two-column [`egui::Grid`].
pub(crate) fn number_row(
    ui: &mut Ui,
    label: &str,
    value: &mut u32,
    range: std::ops::RangeInclusive<u32>,
) -> Response {
    let l = ui.label(label);
    let r = ui
        .add(egui::DragValue::new(value).range(range).speed(0.2))
        .labelled_by(l.id);
    ui.end_row();
    r
}

/// A drop-down list with its label before it (named for screen readers and tests).
pub(crate) fn combo(
    ui: &mut Ui,
    id_salt: &str,
    label: &str,
    selected: &str,
    contents: impl FnOnce(&mut Ui),
) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        egui::ComboBox::from_id_salt(id_salt)
            .selected_text(selected)
            .show_ui(ui, contents)
            .response
            .labelled_by(l.id);
    });
}

/// The layout of a column's contents: top-down and left-aligned (`Ui::columns` stretches them).
pub(crate) fn column_layout() -> egui::Layout {
    egui::Layout::top_down(egui::Align::Min)
}

/// Green for good news, red for bad, readable in light and dark mode.
pub(crate) fn good_bad(ui: &Ui, good: bool) -> Color32 {
    match (good, ui.visuals().dark_mode) {
        (true, false) => Color32::from_rgb(0x1b, 0x7a, 0x2b),
        (true, true) => Color32::from_rgb(0x6c, 0xd8, 0x7a),
        (false, false) => Color32::from_rgb(0xb3, 0x1b, 0x1b),
        (false, true) => Color32::from_rgb(0xff, 0x7b, 0x72),
    }
}

/// A filled dot, e.g. the online indicator (the bundled fonts have no such glyph).
pub(crate) fn dot(ui: &mut Ui, color: Color32, diameter: f32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(diameter, diameter), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), diameter / 2.0, color);
}

/// Text on a green or red badge, for states that must be seen at a glance.
pub(crate) fn badge(ui: &mut Ui, text: &str, good: bool, size: f32) {
    let fill = good_bad(ui, good);
    let ink = if ui.visuals().dark_mode {
        Color32::BLACK
    } else {
        Color32::WHITE
    };
    egui::Frame::new()
        .fill(fill)
        .inner_margin(egui::Margin::symmetric(10, 4))
        .corner_radius(6.0)
        .show(ui, |ui| {
            ui.label(RichText::new(text).size(size).strong().color(ink));
        });
}

/// A section heading.
pub(crate) fn section(ui: &mut Ui, title: &str) {
    ui.add_space(8.0);
    ui.label(RichText::new(title).heading());
}

/// Milliseconds since the epoch as `2026-11-22 06:45 UTC` (no time-zone database here).
pub(crate) fn format_time(ms: i64) -> String {
    crate::calendar::minute(ms)
}

/// A countdown as `mm:ss`, with a minus sign once over time.
pub(crate) fn mmss(ms: i64) -> String {
    let sign = if ms < 0 { "−" } else { "" };
    let s = ms.unsigned_abs().div_ceil(1000);
    format!("{sign}{:02}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_as_calendar_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn countdowns_show_minutes_and_seconds_and_go_negative() {
        assert_eq!(mmss(125_000), "02:05");
        assert_eq!(mmss(500), "00:01");
        assert_eq!(mmss(0), "00:00");
        assert_eq!(mmss(-61_000), "−01:01");
    }
}
