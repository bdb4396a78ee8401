//! Writes laid-out pages as PDF: each face embedded as a subset (a Type0 font over a TrueType
//! CID font, Identity-H, with a ToUnicode map so the text can be searched and copied),
//! streams deflated, no creation date, a document id taken from the minutes' hash.

use std::collections::BTreeMap;
use std::io::Write as _;

use crdt_model::hash::Hash;
use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use super::font::{Face, Fonts, Style};
use super::layout::{Op, PAGE_H, PAGE_W, Page};
use crate::minutes::MinutesError;

/// What the document says about itself.
pub(crate) struct Meta<'a> {
    /// Its title.
    pub title: &'a str,
    /// Its language code.
    pub lang: &'a str,
    /// The minutes' hash: the first 16 bytes are the document's id.
    pub hash: Hash,
}

/// One embedded face: which glyphs it needs and their new numbers.
struct Embedded<'a> {
    style: Style,
    face: &'a Face,
    /// Old glyph → the first character drawn with it.
    chars: BTreeMap<u16, char>,
    remapper: GlyphRemapper,
    resource: &'static [u8],
}

impl Embedded<'_> {
    /// The string a text op shows: two bytes per glyph, in the subset's numbering.
    fn encode(&self, text: &str) -> Vec<u8> {
        text.chars()
            .flat_map(|c| {
                let g = self.remapper.get(self.face.glyph(c)).unwrap_or(0);
                g.to_be_bytes()
            })
            .collect()
    }

    /// `ABCDEF+Name`: the subset tag the format asks for, derived from the glyphs kept.
    fn base_font(&self) -> String {
        let gids: Vec<u8> = self.chars.keys().flat_map(|g| g.to_be_bytes()).collect();
        let h = Hash::of(b"council/pdf-subset\0", &[self.face.name.as_bytes(), &gids]);
        let tag: String = h.0[..6].iter().map(|b| char::from(b'A' + b % 26)).collect();
        format!("{tag}+{}", self.face.name)
    }
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, MinutesError> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::new(6));
    e.write_all(data)
        .and_then(|()| e.finish())
        .map_err(|err| MinutesError::Pdf(format!("compression failed: {err}")))
}

/// Hands out object numbers in order.
struct Refs(i32);

impl Refs {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

/// Writes the pages.
pub(crate) fn write(
    fonts: &Fonts,
    pages: &[Page],
    meta: &Meta<'_>,
) -> Result<Vec<u8>, MinutesError> {
    let mut faces: Vec<Embedded<'_>> = [(Style::Regular, b"F1"), (Style::Bold, b"F2")]
        .into_iter()
        .map(|(style, resource)| Embedded {
            style,
            face: fonts.face(style),
            chars: BTreeMap::new(),
            remapper: GlyphRemapper::new(),
            resource: resource.as_slice(),
        })
        .collect();
    for op in pages.iter().flat_map(|p| &p.ops) {
        if let Op::Text { style, text, .. } = op
            && let Some(e) = faces.iter_mut().find(|e| e.style == *style)
        {
            for c in text.chars() {
                e.chars.entry(e.face.glyph(c)).or_insert(c);
            }
        }
    }
    for e in &mut faces {
        let gids: Vec<u16> = e.chars.keys().copied().collect();
        e.remapper = GlyphRemapper::new_from_glyphs_sorted(&gids);
    }

    let mut refs = Refs(0);
    let catalog = refs.next();
    let tree = refs.next();
    let info = refs.next();
    let font_refs: Vec<[Ref; 5]> = faces
        .iter()
        .map(|_| {
            [
                refs.next(),
                refs.next(),
                refs.next(),
                refs.next(),
                refs.next(),
            ]
        })
        .collect();
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (refs.next(), refs.next())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree).lang(TextStr(meta.lang));
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    for (page, (page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let mut p = pdf.page(*page_ref);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(*content_ref);
        let mut resources = p.resources();
        let mut dict = resources.fonts();
        for (e, r) in faces.iter().zip(&font_refs) {
            dict.pair(Name(e.resource), r[0]);
        }
        dict.finish();
        resources.finish();
        p.finish();
        let content = deflate(&content(page, &faces))?;
        pdf.stream(*content_ref, &content)
            .filter(Filter::FlateDecode);
    }
    for (e, [type0, cid, descriptor, file, cmap]) in faces.iter().zip(font_refs) {
        embed(&mut pdf, e, [type0, cid, descriptor, file, cmap])?;
    }
    pdf.document_info(info)
        .title(TextStr(meta.title))
        .producer(TextStr("Council"));
    let id = meta.hash.0[..16].to_vec();
    pdf.set_file_id((id.clone(), id));
    Ok(pdf.finish())
}

/// The content stream of one page.
fn content(page: &Page, faces: &[Embedded<'_>]) -> Vec<u8> {
    let mut c = Content::new();
    for op in &page.ops {
        match op {
            Op::Text {
                x,
                y,
                style,
                size,
                gray,
                text,
            } => {
                let Some(e) = faces.iter().find(|e| e.style == *style) else {
                    continue;
                };
                c.begin_text();
                c.set_font(Name(e.resource), *size);
                c.set_fill_gray(*gray);
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]);
                c.show(Str(&e.encode(text)));
                c.end_text();
            }
            Op::Line {
                x1,
                y1,
                x2,
                y2,
                width,
                gray,
            } => {
                c.set_line_width(*width);
                c.set_stroke_gray(*gray);
                c.move_to(*x1, *y1);
                c.line_to(*x2, *y2);
                c.stroke();
            }
            Op::Fill { x, y, w, h, gray } => {
                c.set_fill_gray(*gray);
                c.rect(*x, *y, *w, *h);
                c.fill_nonzero();
            }
        }
    }
    c.finish().to_vec()
}

/// Writes one face's font objects: Type0 font, CID font, descriptor, font file, ToUnicode.
fn embed(pdf: &mut Pdf, e: &Embedded<'_>, refs: [Ref; 5]) -> Result<(), MinutesError> {
    let [type0, cid, descriptor, file, cmap] = refs;
    let base = e.base_font();
    let base = Name(base.as_bytes());
    let info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let widths: Vec<f32> = e
        .remapper
        .remapped_gids()
        .map(|old| e.face.advance(old).round())
        .collect();
    let mut c = pdf.cid_font(cid);
    c.subtype(CidFontType::Type2)
        .base_font(base)
        .system_info(info)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    c.widths().consecutive(0, widths);
    c.finish();

    let m = &e.face.metrics;
    let bbox = m
        .bounds
        .map_or(Rect::new(0.0, -250.0, 1000.0, 1000.0), |b| {
            Rect::new(
                e.face.scale(b.x_min).round(),
                e.face.scale(b.y_min).round(),
                e.face.scale(b.x_max).round(),
                e.face.scale(b.y_max).round(),
            )
        });
    let ascent = e.face.scale(m.ascent).round();
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(FontFlags::SYMBOLIC)
        .bbox(bbox)
        .italic_angle(0.0)
        .ascent(ascent)
        .descent(e.face.scale(m.descent).round())
        .cap_height(m.cap_height.map_or(ascent, |h| e.face.scale(h).round()))
        .stem_v(if e.style == Style::Bold { 140.0 } else { 80.0 })
        .font_file2(file);

    let subset = subsetter::subset(e.face.data, 0, &e.remapper)
        .map_err(|err| MinutesError::Pdf(format!("font subset failed: {err}")))?;
    let packed = deflate(&subset)?;
    pdf.stream(file, &packed).filter(Filter::FlateDecode).pair(
        Name(b"Length1"),
        i32::try_from(subset.len()).unwrap_or(i32::MAX),
    );

    let mut map = UnicodeCmap::new(Name(b"Council-UTF16"), info);
    for (old, ch) in &e.chars {
        if let Some(new) = e.remapper.get(*old)
            && *old != 0
        {
            map.pair(new, *ch);
        }
    }
    let map = deflate(map.finish().as_slice())?;
    pdf.cmap(cmap, &map).filter(Filter::FlateDecode);
    Ok(())
}
