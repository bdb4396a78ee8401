//! Lays the blocks out on A4 pages: word wrapping by the fonts' advance widths, headings kept
//! with what follows, tables whose header row repeats on every page they run onto.

use super::font::{Fonts, Style};
use crate::minutes::blocks::{Block, Inline, Table};

/// A4 width, in points.
pub(crate) const PAGE_W: f32 = 595.276;
/// A4 height, in points.
pub(crate) const PAGE_H: f32 = 841.89;
/// Left and right margin (20 mm).
pub(crate) const MARGIN_X: f32 = 56.7;
/// Top of the body (below the running header).
const TOP: f32 = PAGE_H - 72.0;
/// Bottom of the body (above the footer).
const BOTTOM: f32 = 62.0;
const BODY: f32 = 10.0;
const TABLE: f32 = 8.5;
const LEADING: f32 = 1.32;
const PAD: f32 = 3.0;

/// One drawing operation on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// A line of text, `y` being its baseline.
    Text {
        /// Left edge.
        x: f32,
        /// Baseline.
        y: f32,
        /// Face.
        style: Style,
        /// Size in points.
        size: f32,
        /// Gray level (0 black, 1 white).
        gray: f32,
        /// The text.
        text: String,
    },
    /// A straight line.
    Line {
        /// From.
        x1: f32,
        /// From.
        y1: f32,
        /// To.
        x2: f32,
        /// To.
        y2: f32,
        /// Width in points.
        width: f32,
        /// Gray level.
        gray: f32,
    },
    /// A filled rectangle.
    Fill {
        /// Left.
        x: f32,
        /// Bottom.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Gray level.
        gray: f32,
    },
}

/// A laid-out page: its body (the header and footer are added when the page count is known).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    /// What is drawn.
    pub ops: Vec<Op>,
}

/// Text runs of one line.
type Runs = Vec<(Style, String)>;

/// Places blocks one after another, opening pages as needed.
struct Flow<'a> {
    fonts: &'a Fonts,
    pages: Vec<Page>,
    /// The top of the free space on the current page.
    y: f32,
}

impl<'a> Flow<'a> {
    fn new(fonts: &'a Fonts) -> Self {
        Flow {
            fonts,
            pages: vec![Page::default()],
            y: TOP,
        }
    }

    fn width(&self) -> f32 {
        PAGE_W - 2.0 * MARGIN_X
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
    }

    /// Makes room for `h` points, on a new page if this one has less (unless it is empty).
    fn ensure(&mut self, h: f32) {
        if self.y - h < BOTTOM && self.y < TOP {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(p) = self.pages.last_mut() {
            p.ops.push(op);
        }
    }

    fn space(&mut self, h: f32) {
        if self.y < TOP {
            self.y -= h;
        }
    }

    /// Draws one line of runs with its top at the cursor, at `x`.
    fn line(&mut self, x: f32, runs: &Runs, size: f32, gray: f32) {
        let lh = size * LEADING;
        self.ensure(lh);
        let baseline = self.y - size;
        let mut cx = x;
        for (style, text) in runs {
            self.push(Op::Text {
                x: cx,
                y: baseline,
                style: *style,
                size,
                gray,
                text: text.clone(),
            });
            cx += self.fonts.face(*style).width(text, size);
        }
        self.y -= lh;
    }

    fn heading(&mut self, text: &str, size: f32, before: f32, after: f32) {
        let lines = wrap(self.fonts, &[(Style::Bold, text)], size, self.width());
        // Keep the heading with at least three lines of what follows.
        self.ensure(before + lines.len() as f32 * size * LEADING + 3.0 * BODY * LEADING);
        self.space(before);
        for l in &lines {
            self.line(MARGIN_X, l, size, 0.0);
        }
        self.y -= after;
    }

    fn para_runs(&self, runs: &[Inline], width: f32) -> Vec<Runs> {
        let styled: Vec<(Style, &str)> = runs
            .iter()
            .map(|r| match r {
                Inline::Text(t) => (Style::Regular, t.as_str()),
                Inline::Strong(t) => (Style::Bold, t.as_str()),
            })
            .collect();
        wrap(self.fonts, &styled, BODY, width)
    }

    fn para_lines(&self, runs: &[Inline], width: f32) -> usize {
        self.para_runs(runs, width).len()
    }

    fn para(&mut self, runs: &[Inline], x: f32, width: f32) {
        for l in self.para_runs(runs, width) {
            self.line(x, &l, BODY, 0.0);
        }
    }

    fn bullets(&mut self, items: &[Vec<Inline>]) {
        let indent = 14.0;
        for item in items {
            // The first line goes where the bullet is: `line` finds the same room.
            self.ensure(BODY * LEADING);
            self.push(Op::Text {
                x: MARGIN_X + 3.0,
                y: self.y - BODY,
                style: Style::Regular,
                size: BODY,
                gray: 0.0,
                text: "•".into(),
            });
            self.para(item, MARGIN_X + indent, self.width() - indent);
            self.y -= 1.5;
        }
        self.y -= 4.0;
    }

    fn quote(&mut self, text: &str) {
        let indent = 12.0;
        let width = self.width() - indent;
        for source in text.split('\n') {
            let source = source.trim_end_matches('\r');
            let lines = if source.trim().is_empty() {
                vec![Vec::new()]
            } else {
                wrap(self.fonts, &[(Style::Regular, source)], BODY, width)
            };
            for l in &lines {
                let lh = BODY * LEADING;
                self.ensure(lh);
                let top = self.y;
                self.push(Op::Line {
                    x1: MARGIN_X + 2.0,
                    y1: top,
                    x2: MARGIN_X + 2.0,
                    y2: top - lh,
                    width: 2.0,
                    gray: 0.55,
                });
                self.line(MARGIN_X + indent, l, BODY, 0.1);
            }
        }
        self.y -= 6.0;
    }

    fn table(&mut self, t: &Table) {
        let total: f32 = t.widths.iter().sum::<f32>().max(f32::EPSILON);
        let cols: Vec<f32> = t.widths.iter().map(|w| w / total * self.width()).collect();
        let lh = TABLE * LEADING;
        let cells = |style: Style, row: &[String]| -> Vec<Vec<Runs>> {
            cols.iter()
                .enumerate()
                .map(|(i, w)| {
                    let text = row.get(i).map(String::as_str).unwrap_or("");
                    wrap(self.fonts, &[(style, text)], TABLE, w - 2.0 * PAD)
                })
                .collect()
        };
        let head = cells(Style::Bold, &t.head);
        let rows: Vec<Vec<Vec<Runs>>> = t.rows.iter().map(|r| cells(Style::Regular, r)).collect();
        let head_h = height(&head, lh);
        // The header with at least one row, or the table starts on the next page.
        let first_h = rows.first().map_or(0.0, |r| height(r, lh));
        self.ensure(head_h + first_h.min(TOP - BOTTOM - head_h));
        self.row(&cols, &head, lh, true);
        for row in &rows {
            let mut rest: Vec<&[Runs]> = row.iter().map(Vec::as_slice).collect();
            loop {
                let needed = height_of(&rest, lh);
                let room = self.y - BOTTOM;
                let fit = ((room - 2.0 * PAD) / lh).floor().max(0.0) as usize;
                if needed <= room || self.y >= TOP - head_h - 0.01 {
                    // It fits, or this page is as empty as any: draw what fits here.
                    let (now, later): (Vec<&[Runs]>, Vec<&[Runs]>) = rest
                        .iter()
                        .map(|c| c.split_at(c.len().min(fit.max(1))))
                        .unzip();
                    let now: Vec<Vec<Runs>> = now.iter().map(|c| c.to_vec()).collect();
                    self.row(&cols, &now, lh, false);
                    if later.iter().all(|c| c.is_empty()) {
                        break;
                    }
                    rest = later;
                }
                self.new_page();
                self.row(&cols, &head, lh, true);
            }
        }
        self.y -= 8.0;
    }

    /// Draws one row of cells with its top at the cursor.
    fn row(&mut self, cols: &[f32], cells: &[Vec<Runs>], lh: f32, head: bool) {
        let h = height(cells, lh);
        let top = self.y;
        let bottom = top - h;
        let right = MARGIN_X + cols.iter().sum::<f32>();
        if head {
            self.push(Op::Fill {
                x: MARGIN_X,
                y: bottom,
                w: right - MARGIN_X,
                h,
                gray: 0.9,
            });
        }
        let mut x = MARGIN_X;
        for (i, lines) in cells.iter().enumerate() {
            let mut y = top - PAD;
            for l in lines {
                let mut cx = x + PAD;
                for (style, text) in l {
                    self.push(Op::Text {
                        x: cx,
                        y: y - TABLE,
                        style: *style,
                        size: TABLE,
                        gray: 0.0,
                        text: text.clone(),
                    });
                    cx += self.fonts.face(*style).width(text, TABLE);
                }
                y -= lh;
            }
            x += cols.get(i).copied().unwrap_or(0.0);
        }
        let rule = |x1, y1, x2, y2| Op::Line {
            x1,
            y1,
            x2,
            y2,
            width: 0.5,
            gray: 0.45,
        };
        self.push(rule(MARGIN_X, top, right, top));
        self.push(rule(MARGIN_X, bottom, right, bottom));
        let mut x = MARGIN_X;
        self.push(rule(x, top, x, bottom));
        for w in cols {
            x += w;
            self.push(rule(x, top, x, bottom));
        }
        self.y = bottom;
    }
}

fn height(cells: &[Vec<Runs>], lh: f32) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
    lines as f32 * lh + 2.0 * PAD
}

fn height_of(cells: &[&[Runs]], lh: f32) -> f32 {
    let lines = cells.iter().map(|c| c.len()).max().unwrap_or(0).max(1);
    lines as f32 * lh + 2.0 * PAD
}

/// Breaks styled text into lines no wider than `max` at `size`: at spaces, and inside a word
/// only when the word alone is wider than a line. Explicit line breaks become spaces.
pub(crate) fn wrap(fonts: &Fonts, runs: &[(Style, &str)], size: f32, max: f32) -> Vec<Runs> {
    // Words with their trailing space, each with its style.
    let mut atoms: Vec<(Style, String)> = Vec::new();
    for (style, text) in runs {
        let text = text.replace(['\n', '\r', '\t'], " ");
        for word in text.split_inclusive(' ') {
            let face = fonts.face(*style);
            if face.width(word.trim_end(), size) <= max {
                atoms.push((*style, word.to_string()));
                continue;
            }
            // A word longer than a line: cut it where it fills the line.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if face.width(&piece, size) > max && piece.chars().count() > 1 {
                    piece.pop();
                    atoms.push((*style, std::mem::take(&mut piece)));
                    piece.push(c);
                }
            }
            if !piece.is_empty() {
                atoms.push((*style, piece));
            }
        }
    }
    let mut lines: Vec<Runs> = Vec::new();
    let mut line: Runs = Vec::new();
    let mut width = 0.0;
    for (style, atom) in atoms {
        let face = fonts.face(style);
        let w = face.width(&atom, size);
        let trimmed = face.width(atom.trim_end(), size);
        if !line.is_empty() && width + trimmed > max {
            lines.push(finish(std::mem::take(&mut line)));
            width = 0.0;
        }
        width += w;
        match line.last_mut() {
            Some((s, t)) if *s == style => t.push_str(&atom),
            _ => line.push((style, atom)),
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(finish(line));
    }
    lines
}

/// Drops the trailing space of a line.
fn finish(mut line: Runs) -> Runs {
    if let Some((_, t)) = line.last_mut() {
        let len = t.trim_end().len();
        t.truncate(len);
    }
    line.retain(|(_, t)| !t.is_empty());
    line
}

/// Lays out the blocks; returns the pages' bodies.
pub(crate) fn layout(fonts: &Fonts, blocks: &[Block]) -> Vec<Page> {
    let mut f = Flow::new(fonts);
    for (i, b) in blocks.iter().enumerate() {
        // A paragraph that introduces a table or a quoted text stays with its first lines.
        if let (Block::Para(runs), Some(Block::Table(_) | Block::Quote(_))) = (b, blocks.get(i + 1))
        {
            let lines = f.para_lines(runs, f.width());
            f.ensure(lines as f32 * BODY * LEADING + 3.0 * TABLE * LEADING + 4.0 * PAD);
        }
        match b {
            Block::Title(t) => f.heading(t, 16.0, 0.0, 8.0),
            Block::Heading(t) => f.heading(t, 13.0, 14.0, 4.0),
            Block::Subheading(t) => f.heading(t, 11.0, 8.0, 2.0),
            Block::Para(runs) => {
                let w = f.width();
                f.para(runs, MARGIN_X, w);
                f.y -= 2.5;
            }
            Block::Bullets(items) => f.bullets(items),
            Block::Table(t) => f.table(t),
            Block::Quote(text) => f.quote(text),
        }
    }
    f.pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_the_width_and_keep_every_word() {
        let fonts = Fonts::load().expect("fonts");
        let text = "Про затвердження програми розвитку громади на 2026–2028 роки та внесення \
                    змін до бюджету";
        let lines = wrap(&fonts, &[(Style::Regular, text)], 10.0, 150.0);
        assert!(lines.len() > 2);
        for l in &lines {
            let w: f32 = l.iter().map(|(s, t)| fonts.face(*s).width(t, 10.0)).sum();
            assert!(w <= 150.0, "{w}");
        }
        let joined: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|(_, t)| t.as_str()).collect::<String>())
            .collect();
        assert_eq!(joined.join(" "), text);
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut() {
        let fonts = Fonts::load().expect("fonts");
        let hex = "0123456789abcdef".repeat(8);
        let lines = wrap(&fonts, &[(Style::Regular, &hex)], 10.0, 100.0);
        assert!(lines.len() > 1);
        let joined: String = lines
            .iter()
            .flat_map(|l| l.iter().map(|(_, t)| t.clone()))
            .collect();
        assert_eq!(joined, hex);
    }
}
