//! How text becomes words, for indexing and for queries alike.
//!
//! A word is a run of Unicode letters and digits (`char::is_alphanumeric`, which covers
//! Cyrillic); an apostrophe (`'`, `’` or `ʼ`) between two letters belongs to the word and is
//! written `'` (Ukrainian «сім'я», «об’єкт»); everything else separates words. Words are then
//! lower-cased with Unicode rules (tantivy's `LowerCaser`), and absurdly long ones dropped. No
//! folding of letters: Ukrainian «ї», «й» and «і» are different letters, not accents.

use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// The name the analyzer is registered under in every index.
pub(super) const TOKENIZER: &str = "council_words";

/// Words longer than this many bytes are not indexed (no real word is).
const MAX_WORD_BYTES: usize = 100;

/// The analyzer used for titles, texts and queries.
pub(super) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .build()
}

/// Splits text into words (see the module's documentation).
#[derive(Clone, Default)]
pub(super) struct WordTokenizer {
    token: Token,
}

/// The words of one text.
pub(super) struct WordStream<'a> {
    text: &'a str,
    at: usize,
    token: &'a mut Token,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ')
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream {
            text,
            at: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        let rest = self.text.get(self.at..).unwrap_or_default();
        let Some((start, _)) = rest
            .char_indices()
            .find(|(_, c)| c.is_alphanumeric() && !is_apostrophe(*c))
        else {
            self.at = self.text.len();
            return false;
        };
        let start = self.at + start;
        let mut end = start;
        let mut chars = self
            .text
            .get(start..)
            .unwrap_or_default()
            .char_indices()
            .peekable();
        while let Some((i, c)) = chars.next() {
            if is_apostrophe(c) {
                let joins = chars
                    .peek()
                    .is_some_and(|(_, n)| n.is_alphanumeric() && !is_apostrophe(*n));
                if !joins {
                    break;
                }
                self.token.text.push('\'');
            } else if c.is_alphanumeric() {
                self.token.text.push(c);
            } else {
                break;
            }
            end = start + i + c.len_utf8();
        }
        self.at = end;
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.token.position.wrapping_add(1);
        self.token.position_length = 1;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The lower-cased words of `text`, with their byte ranges in it.
pub(super) fn words(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.text.clone(), t.offset_from..t.offset_to));
    }
    out
}

/// A part of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    /// A word, found in any form starting like it.
    Word(String),
    /// Words in double quotes, found together in this order.
    Phrase(Vec<String>),
}

/// Splits a query into words and quoted phrases (an unclosed quote runs to the end).
pub(super) fn parse(query: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    for (i, piece) in query.split('"').enumerate() {
        let ws: Vec<String> = words(piece).into_iter().map(|(w, _)| w).collect();
        if i % 2 == 1 && ws.len() > 1 {
            parts.push(Part::Phrase(ws));
        } else {
            parts.extend(ws.into_iter().map(Part::Word));
        }
    }
    parts
}

/// Endings of Ukrainian and Bulgarian nouns and adjectives, longest first.
const CYRILLIC_ENDINGS: &[&str] = &[
    "ите", "ата", "ото", "ята", "ият", "ски", "ска", "ско", "ами", "ями", "ові", "еві", "ого",
    "ому", "ими", "іми", "ій", "ої", "их", "им", "ах", "ях", "ам", "ям", "ом", "ем", "ою", "ею",
    "ів", "ей", "ия", "ът", "ят", "та", "то", "те", "а", "я", "у", "ю", "і", "и", "е", "о", "ь",
    "й", "ї", "є", "ы",
];
/// English endings, longest first.
const LATIN_ENDINGS: &[&str] = &["ing", "ed", "es", "s"];

/// The shortest stem a word is cut down to.
const MIN_STEM_CHARS: usize = 3;

/// The prefix a query word's other forms start with: the word without one inflectional ending
/// («бюджету» → «бюджет», «общински» → «общин», «budgets» → «budget»). `None` for words too
/// short to widen (they are matched exactly).
pub(super) fn stem(word: &str) -> Option<&str> {
    let chars = word.chars().count();
    if chars <= MIN_STEM_CHARS {
        return None;
    }
    let endings = if word
        .chars()
        .any(|c| matches!(c, 'а'..='я' | 'і' | 'ї' | 'є' | 'ґ' | 'ё'))
    {
        CYRILLIC_ENDINGS
    } else {
        LATIN_ENDINGS
    };
    let cut = endings
        .iter()
        .find(|e| word.ends_with(*e) && chars - e.chars().count() >= MIN_STEM_CHARS)
        .map_or(word.len(), |e| word.len() - e.len());
    word.get(..cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        words(s).into_iter().map(|(w, _)| w).collect()
    }

    #[test]
    fn cyrillic_words_are_split_and_lower_cased() {
        assert_eq!(
            texts("ПРО ЗАТВЕРДЖЕННЯ БЮДЖЕТУ громади, 2025 рік!"),
            ["про", "затвердження", "бюджету", "громади", "2025", "рік"]
        );
        assert_eq!(
            texts("Общинският съвет – Община Габрово"),
            ["общинският", "съвет", "община", "габрово"]
        );
        assert_eq!(
            texts("Budget: roads & schools"),
            ["budget", "roads", "schools"]
        );
    }

    #[test]
    fn an_apostrophe_inside_a_ukrainian_word_belongs_to_it() {
        assert_eq!(texts("сім'я об’єкт пʼять"), ["сім'я", "об'єкт", "п'ять"]);
        assert_eq!(texts("'цитата' кінець'"), ["цитата", "кінець"]);
    }

    #[test]
    fn offsets_point_at_the_original_text() {
        let text = "Мер: «Бюджет»";
        let (w, r) = words(text).pop().expect("a word");
        assert_eq!(w, "бюджет");
        assert_eq!(&text[r], "Бюджет");
    }

    #[test]
    fn quotes_make_phrases() {
        assert_eq!(
            parse("бюджет \"Общински Съвет\" 2025"),
            [
                Part::Word("бюджет".into()),
                Part::Phrase(vec!["общински".into(), "съвет".into()]),
                Part::Word("2025".into()),
            ]
        );
    }

    #[test]
    fn stems_drop_one_ending_and_keep_short_words_whole() {
        assert_eq!(stem("бюджету"), Some("бюджет"));
        assert_eq!(stem("бюджет"), Some("бюджет"));
        assert_eq!(stem("общински"), Some("общин"));
        assert_eq!(stem("громади"), Some("громад"));
        assert_eq!(stem("budgets"), Some("budget"));
        assert_eq!(stem("про"), None);
        assert_eq!(stem("рада"), Some("рад"));
    }
}
