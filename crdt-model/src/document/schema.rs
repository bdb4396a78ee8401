//! The shape of each kind of document, created by a deterministic first change, and the typed
//! edits the rest of the program makes (the UI never touches automerge directly).
//!
//! Every peer builds a document's first change itself from the document id: the same actor
//! (`"council-init" || doc id`, which is not a bound member actor and so can never be claimed by a
//! signed change), the same time (zero), the same operations. The bytes, and so the hash, are
//! identical everywhere, so nobody has to wait for the creator's first change before editing, and
//! two peers never create two competing `body` objects.

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ActorId, Automerge, ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::EditError;
use crate::hash::hex;
use crate::log::{DocId, DocKind};

/// A text field of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    /// The title (drafts, notes).
    Title,
    /// The body: a draft's text, an opinion's text, an amendment's replacement text, a note.
    Body,
    /// An amendment's or an opinion's reasoning.
    Rationale,
}

impl TextField {
    pub(crate) fn key(self) -> &'static str {
        match self {
            TextField::Title => "title",
            TextField::Body => "body",
            TextField::Rationale => "rationale",
        }
    }
}

/// The text fields each kind has.
pub fn fields(kind: DocKind) -> &'static [TextField] {
    match kind {
        DocKind::Draft | DocKind::Note => &[TextField::Title, TextField::Body],
        DocKind::Opinion | DocKind::Amendment => &[TextField::Body, TextField::Rationale],
        DocKind::Agenda => &[TextField::Title],
    }
}

/// One item of an agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaItem {
    /// The dossier (draft) discussed, if any.
    pub doc: Option<DocId>,
    /// The item's title as printed on the agenda.
    pub title: String,
}

/// Builds the deterministic first change of a document.
pub(super) fn init(id: &DocId, kind: DocKind) -> Result<(Automerge, ChangeHash), EditError> {
    let mut actor = b"council-init".to_vec();
    actor.extend_from_slice(&id.0);
    let mut doc = Automerge::new().with_actor(ActorId::from(actor));
    let mut tx = doc.transaction();
    for f in fields(kind) {
        tx.put_object(ROOT, f.key(), ObjType::Text)?;
    }
    if kind == DocKind::Agenda {
        tx.put_object(ROOT, "items", ObjType::List)?;
    }
    let (hash, _) = tx.commit_with(CommitOptions::default().with_time(0));
    let hash = hash.ok_or(EditError::Internal("empty initial change"))?;
    Ok((doc, hash))
}

/// Looks up the object id of a field.
pub(super) fn obj(doc: &Automerge, key: &str) -> Result<automerge::ObjId, EditError> {
    match doc.get(ROOT, key)? {
        Some((Value::Object(_), id)) => Ok(id),
        _ => Err(EditError::NoSuchField(key.to_string())),
    }
}

/// A set of edits that becomes one signed change.
pub struct Edit<'a, 'b> {
    pub(super) tx: &'b mut Transaction<'a>,
    pub(super) kind: DocKind,
}

impl Edit<'_, '_> {
    fn field(&self, f: TextField) -> Result<automerge::ObjId, EditError> {
        if !fields(self.kind).contains(&f) {
            return Err(EditError::NoSuchField(f.key().to_string()));
        }
        match self.tx.get(ROOT, f.key())? {
            Some((Value::Object(_), id)) => Ok(id),
            _ => Err(EditError::NoSuchField(f.key().to_string())),
        }
    }

    /// Deletes `del` characters at `pos` (Unicode code points) and inserts `text` there.
    pub fn splice(
        &mut self,
        field: TextField,
        pos: usize,
        del: usize,
        text: &str,
    ) -> Result<(), EditError> {
        let obj = self.field(field)?;
        let len = self.tx.length(&obj);
        if pos > len || pos + del > len {
            return Err(EditError::OutOfRange { pos, del, len });
        }
        let del = isize::try_from(del).map_err(|_| EditError::OutOfRange { pos, del, len })?;
        self.tx.splice_text(&obj, pos, del, text)?;
        Ok(())
    }

    /// Like [`Edit::splice`], but `pos` and `del` count characters of the field *as it was at
    /// version `base`* (what an editor showed when the person typed). Positions are carried to
    /// the current text through automerge cursors, so an edit made while someone else's change
    /// arrived still lands where it was typed. A range whose characters were all deleted
    /// meanwhile collapses to where they were.
    pub fn splice_from(
        &mut self,
        field: TextField,
        base: &[ChangeHash],
        pos: usize,
        del: usize,
        text: &str,
    ) -> Result<(), EditError> {
        let obj = self.field(field)?;
        let base_len = self.tx.length_at(&obj, base);
        if pos > base_len || pos + del > base_len {
            return Err(EditError::OutOfRange {
                pos,
                del,
                len: base_len,
            });
        }
        let now = |this: &Self, p: usize| -> Result<usize, EditError> {
            if p >= base_len {
                return Ok(this.tx.length(&obj));
            }
            let cursor = this.tx.get_cursor(&obj, p, Some(base))?;
            Ok(this.tx.get_cursor_position(&obj, &cursor, None)?)
        };
        let start = now(self, pos)?;
        let end = if del == 0 {
            start
        } else {
            now(self, pos + del)?.max(start)
        };
        self.splice(field, start, end - start, text)
    }

    /// Replaces the whole field with `text`, as the smallest set of character edits (so that a
    /// concurrent edit elsewhere in the field survives).
    pub fn set_text(&mut self, field: TextField, text: &str) -> Result<(), EditError> {
        let obj = self.field(field)?;
        self.tx.update_text(&obj, text)?;
        Ok(())
    }

    /// Sets a committee opinion's recommendation (e.g. "support", "reject", "amend").
    pub fn set_recommendation(&mut self, value: &str) -> Result<(), EditError> {
        if self.kind != DocKind::Opinion {
            return Err(EditError::NoSuchField("recommendation".into()));
        }
        self.tx.put(ROOT, "recommendation", value)?;
        Ok(())
    }

    /// Marks an agenda as published (or withdraws it): the secretary's signed statement that
    /// this version is the one sent to the members.
    pub fn set_published(&mut self, published: bool) -> Result<(), EditError> {
        if self.kind != DocKind::Agenda {
            return Err(EditError::NoSuchField("published".into()));
        }
        self.tx.put(ROOT, "published", published)?;
        Ok(())
    }

    /// Inserts an agenda item at `index`.
    pub fn agenda_insert(&mut self, index: usize, item: &AgendaItem) -> Result<(), EditError> {
        let items = self.agenda()?;
        let len = self.tx.length(&items);
        if index > len {
            return Err(EditError::OutOfRange {
                pos: index,
                del: 0,
                len,
            });
        }
        let m = self.tx.insert_object(&items, index, ObjType::Map)?;
        self.tx.put(&m, "title", item.title.as_str())?;
        if let Some(d) = item.doc {
            self.tx.put(&m, "doc", hex(&d.0))?;
        }
        Ok(())
    }

    /// Removes the agenda item at `index`.
    pub fn agenda_remove(&mut self, index: usize) -> Result<(), EditError> {
        let items = self.agenda()?;
        let len = self.tx.length(&items);
        if index >= len {
            return Err(EditError::OutOfRange {
                pos: index,
                del: 1,
                len,
            });
        }
        self.tx.delete(&items, index)?;
        Ok(())
    }

    fn agenda(&self) -> Result<automerge::ObjId, EditError> {
        if self.kind != DocKind::Agenda {
            return Err(EditError::NoSuchField("items".into()));
        }
        match self.tx.get(ROOT, "items")? {
            Some((Value::Object(_), id)) => Ok(id),
            _ => Err(EditError::NoSuchField("items".into())),
        }
    }
}

/// Reads the agenda items of `doc` at `heads` (or now).
pub(super) fn agenda_items(
    doc: &Automerge,
    heads: Option<&[ChangeHash]>,
) -> Result<Vec<AgendaItem>, EditError> {
    let items = obj(doc, "items")?;
    let len = match heads {
        Some(h) => doc.length_at(&items, h),
        None => doc.length(&items),
    };
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let entry = match heads {
            Some(h) => doc.get_at(&items, i, h)?,
            None => doc.get(&items, i)?,
        };
        let Some((Value::Object(_), m)) = entry else {
            continue;
        };
        let str_of = |key: &str| -> Result<Option<String>, EditError> {
            let v = match heads {
                Some(h) => doc.get_at(&m, key, h)?,
                None => doc.get(&m, key)?,
            };
            Ok(match v {
                Some((Value::Scalar(s), _)) => match s.as_ref() {
                    ScalarValue::Str(s) => Some(s.to_string()),
                    _ => None,
                },
                _ => None,
            })
        };
        out.push(AgendaItem {
            title: str_of("title")?.unwrap_or_default(),
            doc: str_of("doc")?.and_then(|h| crate::hash::Hash::from_hex(&h)),
        });
    }
    Ok(out)
}
