//! The shape of each kind of document, created by a deterministic first change, and the typed
//! edits the rest of the program makes (the UI never touches automerge directly).
//!
//! Every peer builds a document's first change itself from the document id: the same actor
//! (`"council-init" || doc id`, which is not a bound member actor and so can never be claimed by a
//! signed change), the same time (zero), the same operations. The bytes, and so the hash, are
//! identical everywhere, so nobody has to wait for the creator's first change before editing, and
//! two peers never create two competing `body` objects.
//!
//! The tables here ([`fields`], [`objects`], [`ScalarKey`], [`ItemKey`]) are the one statement of
//! what Council writes: [`Edit`] writes through them, and the check of received changes
//! (`validate`) accepts exactly the operations they allow, so the two cannot drift apart.

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

/// The key of an agenda's list of items.
pub(crate) const ITEMS: &str = "items";

/// A sequence Council edits: a text field (one character per element, as `splice_text` inserts
/// them) or an agenda's list of items (one map per element, see [`Edit::agenda_insert`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Seq {
    /// A text field.
    Text(TextField),
    /// An agenda's items.
    Items,
}

impl Seq {
    /// Its key in the document's root.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Seq::Text(f) => f.key(),
            Seq::Items => ITEMS,
        }
    }

    fn obj_type(self) -> ObjType {
        match self {
            Seq::Text(_) => ObjType::Text,
            Seq::Items => ObjType::List,
        }
    }
}

/// The objects of a document of `kind`, in the order its first change creates them. They are
/// created there and only there, and never replaced: no edit creates, puts or deletes a root key
/// that holds one.
pub(crate) fn objects(kind: DocKind) -> Vec<Seq> {
    let mut o: Vec<Seq> = fields(kind).iter().map(|f| Seq::Text(*f)).collect();
    if kind == DocKind::Agenda {
        o.push(Seq::Items);
    }
    o
}

/// The root keys that hold a scalar: which kind has each, and the type of its value. Only
/// [`Edit::put_scalar`] writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ScalarKey {
    /// An opinion's recommendation (a string).
    Recommendation,
    /// Whether an agenda was published (a boolean).
    Published,
}

impl ScalarKey {
    const ALL: [ScalarKey; 2] = [ScalarKey::Recommendation, ScalarKey::Published];

    /// Its key in the document's root.
    pub(crate) fn key(self) -> &'static str {
        match self {
            ScalarKey::Recommendation => "recommendation",
            ScalarKey::Published => "published",
        }
    }

    fn kind(self) -> DocKind {
        match self {
            ScalarKey::Recommendation => DocKind::Opinion,
            ScalarKey::Published => DocKind::Agenda,
        }
    }

    /// Whether `v` is a value of this key.
    pub(crate) fn accepts(self, v: &ScalarValue) -> bool {
        match self {
            ScalarKey::Recommendation => matches!(v, ScalarValue::Str(_)),
            ScalarKey::Published => matches!(v, ScalarValue::Boolean(_)),
        }
    }

    /// The scalar key `key` of a document of `kind`, if it has one.
    pub(crate) fn of(kind: DocKind, key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.kind() == kind && k.key() == key)
    }
}

/// The keys of an agenda item's map: both strings, each put once, by [`Edit::agenda_insert`] in
/// the change that creates the item, and never afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ItemKey {
    /// The item's title.
    Title,
    /// The dossier discussed, as a hex document id.
    Doc,
}

impl ItemKey {
    const ALL: [ItemKey; 2] = [ItemKey::Title, ItemKey::Doc];

    /// Its key in the item's map.
    pub(crate) fn key(self) -> &'static str {
        match self {
            ItemKey::Title => "title",
            ItemKey::Doc => "doc",
        }
    }

    /// Whether `v` is a value of this key.
    pub(crate) fn accepts(self, v: &ScalarValue) -> bool {
        matches!(v, ScalarValue::Str(_))
    }

    /// The item key `key`, if it is one.
    pub(crate) fn of(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Builds the deterministic first change of a document.
pub(super) fn init(id: &DocId, kind: DocKind) -> Result<(Automerge, ChangeHash), EditError> {
    let mut actor = b"council-init".to_vec();
    actor.extend_from_slice(&id.0);
    let mut doc = Automerge::new().with_actor(ActorId::from(actor));
    let mut tx = doc.transaction();
    for o in objects(kind) {
        tx.put_object(ROOT, o.key(), o.obj_type())?;
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
        self.put_scalar(ScalarKey::Recommendation, ScalarValue::Str(value.into()))
    }

    /// Marks an agenda as published (or withdraws it): the secretary's signed statement that
    /// this version is the one sent to the members.
    pub fn set_published(&mut self, published: bool) -> Result<(), EditError> {
        self.put_scalar(ScalarKey::Published, ScalarValue::Boolean(published))
    }

    fn put_scalar(&mut self, key: ScalarKey, value: ScalarValue) -> Result<(), EditError> {
        if ScalarKey::of(self.kind, key.key()) != Some(key) || !key.accepts(&value) {
            return Err(EditError::NoSuchField(key.key().into()));
        }
        self.tx.put(ROOT, key.key(), value)?;
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
        self.tx.put(&m, ItemKey::Title.key(), item.title.as_str())?;
        if let Some(d) = item.doc {
            self.tx.put(&m, ItemKey::Doc.key(), hex(&d.0))?;
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
        if !objects(self.kind).contains(&Seq::Items) {
            return Err(EditError::NoSuchField(ITEMS.into()));
        }
        match self.tx.get(ROOT, ITEMS)? {
            Some((Value::Object(_), id)) => Ok(id),
            _ => Err(EditError::NoSuchField(ITEMS.into())),
        }
    }
}

/// Reads the agenda items of `doc` at `heads` (or now).
pub(super) fn agenda_items(
    doc: &Automerge,
    heads: Option<&[ChangeHash]>,
) -> Result<Vec<AgendaItem>, EditError> {
    let items = obj(doc, ITEMS)?;
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
            title: str_of(ItemKey::Title.key())?.unwrap_or_default(),
            doc: str_of(ItemKey::Doc.key())?.and_then(|h| crate::hash::Hash::from_hex(&h)),
        });
    }
    Ok(out)
}
