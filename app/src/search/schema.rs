//! The index's fields.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::tokenizer::TOKENIZER;

/// The format of the index: bump it whenever the schema, the analyzer or what is indexed
/// changes, so that older indexes are rebuilt.
pub(super) const FORMAT: &str = "council-search/1";

/// Every field, by name.
#[derive(Debug, Clone)]
pub(super) struct Fields {
    pub schema: Schema,
    /// The document's id, in hex (fast: read back with the fingerprints on open).
    pub id: Field,
    /// Its fingerprint (see `source`): what it was indexed from.
    pub fp: Field,
    /// Kind names; an adopted draft has both `draft` and `decision`.
    pub kind: Field,
    /// Status name, for drafts and amendments.
    pub status: Field,
    /// Committee id, in hex.
    pub committee: Field,
    /// Authors' member ids, in hex; the first is the creator.
    pub author: Field,
    /// The draft an opinion or amendment belongs to, in hex (stored only).
    pub parent: Field,
    /// Creation time, ms since the epoch.
    pub date: Field,
    /// The title.
    pub title: Field,
    /// The text.
    pub body: Field,
}

/// Name of the fast field [`Fields::id`].
pub(super) const ID: &str = "id";
/// Name of the fast field [`Fields::fp`].
pub(super) const FP: &str = "fp";
/// Name of the fast field [`Fields::date`].
pub(super) const DATE: &str = "date";

impl Fields {
    /// The schema of [`FORMAT`].
    pub fn new() -> Fields {
        let mut b = Schema::builder();
        let text = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let id = b.add_text_field(ID, STRING | STORED | FAST);
        let fp = b.add_u64_field(FP, FAST);
        let kind = b.add_text_field("kind", STRING | STORED);
        let status = b.add_text_field("status", STRING | STORED);
        let committee = b.add_text_field("committee", STRING | STORED);
        let author = b.add_text_field("author", STRING | STORED);
        let parent = b.add_text_field("parent", STORED);
        let date = b.add_i64_field(DATE, INDEXED | STORED | FAST);
        let title = b.add_text_field("title", text.clone());
        let body = b.add_text_field("body", text);
        Fields {
            schema: b.build(),
            id,
            fp,
            kind,
            status,
            committee,
            author,
            parent,
            date,
            title,
            body,
        }
    }
}
