//! The fonts shipped with Council for the PDF minutes (DejaVu Sans, regular and bold, which
//! cover Latin and Cyrillic; licence in `app/assets/fonts/LICENSE-DejaVu.txt`): character to
//! glyph mapping and advance widths for layout.

use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::{GlyphMetrics, Metrics};
use skrifa::{FontRef, GlyphId, MetadataProvider};

use super::super::MinutesError;

/// DejaVu Sans.
pub(crate) const REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub(crate) const BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Which of the two faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Style {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
}

/// One face, parsed once.
pub(crate) struct Face {
    /// The font file.
    pub data: &'static [u8],
    /// PostScript name, for the PDF.
    pub name: &'static str,
    charmap: Charmap<'static>,
    glyphs: GlyphMetrics<'static>,
    /// Font-wide metrics, in font units.
    pub metrics: Metrics,
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Result<Face, MinutesError> {
        let font = FontRef::new(data)
            .map_err(|e| MinutesError::Pdf(format!("the font {name} cannot be read: {e}")))?;
        Ok(Face {
            data,
            name,
            charmap: font.charmap(),
            glyphs: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            metrics: font.metrics(Size::unscaled(), LocationRef::default()),
        })
    }

    /// The glyph for `c` (0, the "missing" glyph, if the font has none).
    pub fn glyph(&self, c: char) -> u16 {
        self.charmap
            .map(c)
            .and_then(|g| u16::try_from(g.to_u32()).ok())
            .unwrap_or(0)
    }

    /// A glyph's advance in thousandths of the font size.
    pub fn advance(&self, glyph: u16) -> f32 {
        let units = self
            .glyphs
            .advance_width(GlyphId::new(u32::from(glyph)))
            .unwrap_or(0.0);
        units * 1000.0 / f32::from(self.metrics.units_per_em.max(1))
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// A font-unit value in thousandths of the font size.
    pub fn scale(&self, units: f32) -> f32 {
        units * 1000.0 / f32::from(self.metrics.units_per_em.max(1))
    }
}

/// Both faces.
pub(crate) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    /// Parses the shipped fonts.
    pub fn load() -> Result<Fonts, MinutesError> {
        Ok(Fonts {
            regular: Face::load(REGULAR, "DejaVuSans")?,
            bold: Face::load(BOLD, "DejaVuSans-Bold")?,
        })
    }

    /// The face of a style.
    pub fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }
}
