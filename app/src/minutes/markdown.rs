//! Markdown (CommonMark with pipe tables): the canonical text of the minutes, whose hash is
//! approved. Text from the record is escaped so that it reads as written, never as markup.

use super::blocks::{Block, Inline, Table};

/// Writes the blocks as Markdown, ending with one newline.
pub(crate) fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Title(t) => line(&mut out, &format!("# {}", escape(t))),
            Block::Heading(t) => line(&mut out, &format!("## {}", escape(t))),
            Block::Subheading(t) => line(&mut out, &format!("### {}", escape(t))),
            Block::Para(runs) => line(&mut out, &inline(runs)),
            Block::Bullets(items) => {
                let list: Vec<String> = items.iter().map(|i| format!("- {}", inline(i))).collect();
                line(&mut out, &list.join("\n"));
            }
            Block::Table(t) => line(&mut out, &table(t)),
            Block::Quote(text) => line(&mut out, &quote(text)),
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Appends a block followed by a blank line.
fn line(out: &mut String, block: &str) {
    out.push_str(block);
    out.push_str("\n\n");
}

fn inline(runs: &[Inline]) -> String {
    runs.iter()
        .map(|r| match r {
            Inline::Text(t) => escape(t),
            Inline::Strong(t) => format!("**{}**", escape(t)),
        })
        .collect()
}

/// Escapes what Markdown would read as markup inside a line; line breaks become spaces.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a line that starts a block of its own (a quoted line): also what would make it a
/// heading, a list item or a rule.
fn escape_line(s: &str) -> String {
    let e = escape(s);
    let trimmed = e.trim_start();
    let lead = &e[..e.len() - trimmed.len()];
    let starts_block = trimmed.starts_with(['#', '-', '+', '=', '>'])
        || trimmed
            .find(|c: char| !c.is_ascii_digit())
            .is_some_and(|i| i > 0 && trimmed[i..].starts_with(['.', ')']));
    if starts_block {
        match trimmed.find(|c: char| !c.is_ascii_digit()) {
            Some(i) if i > 0 => format!("{lead}{}\\{}", &trimmed[..i], &trimmed[i..]),
            _ => format!("{lead}\\{trimmed}"),
        }
    } else {
        e
    }
}

/// A quoted text, each of its lines a paragraph of its own so that its line breaks stay.
fn quote(text: &str) -> String {
    text.split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("> {}", escape_line(l)))
        .collect::<Vec<_>>()
        .join("\n>\n")
}

fn table(t: &Table) -> String {
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| escape(c)).collect();
        format!("| {} |", cells.join(" | "))
    };
    let mut lines = vec![row(&t.head)];
    lines.push(format!("|{}", "---|".repeat(t.head.len())));
    lines.extend(t.rows.iter().map(|r| row(r)));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_text_is_escaped_so_it_reads_as_written() {
        assert_eq!(escape("a*b_c|d <e>"), "a\\*b\\_c\\|d \\<e\\>");
        assert_eq!(escape("два\nрядки"), "два рядки");
        assert_eq!(
            quote("# Заголовок\n\n1. пункт\n- так"),
            "> \\# Заголовок\n>\n> 1\\. пункт\n>\n> \\- так"
        );
        assert_eq!(quote("2025 рік"), "> 2025 рік");
    }

    #[test]
    fn a_table_has_a_header_a_rule_and_its_rows() {
        let t = Table {
            head: vec!["A".into(), "B".into()],
            rows: vec![vec!["1".into(), "x|y".into()]],
            widths: vec![1.0, 1.0],
        };
        assert_eq!(table(&t), "| A | B |\n|---|---|\n| 1 | x\\|y |");
    }
}
