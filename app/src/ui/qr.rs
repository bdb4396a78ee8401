//! A QR code drawn with the painter: one filled square per dark module, on a light square with
//! the quiet zone the standard asks for.

use egui::{Color32, Rect, Sense, Ui, pos2, vec2};
use qrcode::{Color, EcLevel, QrCode};

/// The modules of a QR code, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Qr {
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    /// Encodes `text` (low error correction, the most room); `None` if it is too long.
    pub fn new(text: &str) -> Option<Qr> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
        Some(Qr {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// Draws the code `side` points wide.
    pub fn show(&self, ui: &mut Ui, side: f32) {
        const QUIET: usize = 4;
        let (rect, _) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, Color32::WHITE);
        let cells = self.width + 2 * QUIET;
        let cell = side / cells as f32;
        for (i, dark) in self.dark.iter().enumerate() {
            if !dark {
                continue;
            }
            let (x, y) = (i % self.width + QUIET, i / self.width + QUIET);
            let min = pos2(rect.left() + x as f32 * cell, rect.top() + y as f32 * cell);
            // A hair wider than a cell so that neighbours leave no seam.
            painter.rect_filled(
                Rect::from_min_size(min, vec2(cell + 0.5, cell + 0.5)),
                0.0,
                Color32::BLACK,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Qr;

    #[test]
    fn a_ticket_sized_text_fits_and_an_oversized_one_does_not() {
        let qr = Qr::new(&"a".repeat(500)).expect("fits");
        assert_eq!(qr.dark.len(), qr.width * qr.width);
        assert!(qr.dark.iter().any(|d| *d));
        assert!(Qr::new(&"x".repeat(5000)).is_none());
    }
}
