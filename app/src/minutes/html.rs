//! One self-contained HTML page: inline CSS, no script, nothing fetched, readable on a phone.

use super::Lang;
use super::blocks::{Block, Inline, Table};
use super::model::Minutes;
use super::words::words;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;\
line-height:1.45;color:#1a1a1a;background:#fff;margin:0 auto;max-width:52rem;padding:1rem}\
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.75rem 0 .5rem;\
border-bottom:1px solid #ccc;padding-bottom:.2rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}\
p{margin:.35rem 0}ul{margin:.35rem 0;padding-left:1.4rem}\
.table{overflow-x:auto;margin:.5rem 0}table{border-collapse:collapse;min-width:60%}\
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#eee}blockquote{margin:.5rem 0;padding:.25rem .9rem;border-left:3px solid #888;\
background:#f7f7f7;white-space:pre-wrap}code,.hash{font-family:ui-monospace,'DejaVu Sans Mono',\
monospace;font-size:.85em;overflow-wrap:anywhere}footer{margin-top:2rem;color:#555;\
font-size:.85rem;border-top:1px solid #ccc;padding-top:.5rem}\
@media print{body{max-width:none}.table{overflow:visible}}";

/// Writes the page.
pub(crate) fn render(m: &Minutes, lang: Lang, blocks: &[Block]) -> String {
    let w = words(lang);
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Title(t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or(w.minutes);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n");
    out.push_str(&format!("<html lang=\"{}\">\n<head>\n", lang.code()));
    out.push_str("<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(title)));
    out.push_str(&format!(
        "<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    ));
    for b in blocks {
        block(&mut out, b);
    }
    out.push_str("</main>\n<footer>\n");
    let hash = m.hash();
    out.push_str(&format!(
        "<p>{}: <span class=\"hash\">{}</span></p>\n",
        escape(w.minutes_hash),
        hash.to_hex()
    ));
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Title(t) => out.push_str(&format!("<h1>{}</h1>\n", escape(t))),
        Block::Heading(t) => out.push_str(&format!("<h2>{}</h2>\n", escape(t))),
        Block::Subheading(t) => out.push_str(&format!("<h3>{}</h3>\n", escape(t))),
        Block::Para(runs) => out.push_str(&format!("<p>{}</p>\n", inline(runs))),
        Block::Bullets(items) => {
            out.push_str("<ul>\n");
            for i in items {
                out.push_str(&format!("<li>{}</li>\n", inline(i)));
            }
            out.push_str("</ul>\n");
        }
        Block::Table(t) => table(out, t),
        Block::Quote(text) => {
            out.push_str(&format!("<blockquote>{}</blockquote>\n", escape(text)));
        }
    }
}

fn inline(runs: &[Inline]) -> String {
    runs.iter()
        .map(|r| match r {
            Inline::Text(t) => escape(t),
            Inline::Strong(t) => format!("<strong>{}</strong>", escape(t)),
        })
        .collect()
}

fn table(out: &mut String, t: &Table) {
    out.push_str("<div class=\"table\"><table>\n<thead><tr>");
    for h in &t.head {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(&format!("<td>{}</td>", escape(c)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

/// Escapes text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_text_cannot_become_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
