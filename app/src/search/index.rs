//! The index on disk: opening (or rebuilding), incremental updates, searching.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crdt_model::replica::Replica;
use crdt_model::{CouncilId, DocId, MemberId};
use tantivy::directory::error::LockError;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

use super::error::SearchError;
use super::plan::Plan;
use super::schema::{FORMAT, FP, Fields, ID};
use super::source::{self, Entry};
use super::tokenizer::{TOKENIZER, analyzer};
use super::types::{Hit, Query};
use crate::minutes::Lang;

/// Memory the writer may use before it flushes a segment (tantivy's minimum is 15 MB).
const WRITER_BYTES: usize = 24_000_000;
/// Progress is reported every this many documents.
const PROGRESS_EVERY: usize = 250;

/// What indexing reports while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The index on disk could not be used and is being rebuilt from the store.
    Rebuilding {
        /// Why it could not be used.
        reason: String,
    },
    /// Documents indexed so far in this update, of how many changed.
    Indexed {
        /// Done.
        done: usize,
        /// To do.
        total: usize,
    },
}

/// What an update did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Updated {
    /// Documents (re)indexed.
    pub indexed: usize,
    /// Documents taken out.
    pub removed: usize,
    /// Documents in the index now.
    pub total: usize,
}

/// A council's search index for one member, in a directory of its own.
pub struct Index {
    dir: PathBuf,
    me: MemberId,
    lang: Lang,
    header: String,
    fields: Fields,
    reader: IndexReader,
    state: Mutex<State>,
}

struct State {
    writer: IndexWriter<TantivyDocument>,
    /// What each indexed document was indexed from.
    fingerprints: HashMap<DocId, u64>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("dir", &self.dir)
            .field("docs", &self.len())
            .finish()
    }
}

/// Why an index on disk was not opened.
enum Unusable {
    Missing,
    Busy,
    Damaged(String),
}

impl Index {
    /// Opens the index in `dir` for `me` in `replica`'s council and brings it up to date,
    /// rebuilding it from the replica if it is missing, damaged, of another format or built for
    /// another council or member (reported through `progress` first). Only a directory that
    /// cannot be written, or an index held by another program, is an error.
    pub fn open_or_rebuild(
        dir: &Path,
        replica: &Replica,
        me: MemberId,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Index, SearchError> {
        let index = Index::open(dir, replica.log().council_id(), me, progress)?;
        index.update(replica, progress)?;
        Ok(index)
    }

    /// Opens the index in `dir` as it is (an empty one if it had to be rebuilt): quick, for a
    /// caller that brings it up to date later ([`Index::update`]).
    pub fn open(
        dir: &Path,
        council: CouncilId,
        me: MemberId,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Index, SearchError> {
        let header = format!("{FORMAT} council={council} member={me}");
        let fields = Fields::new();
        let attempt = catch_unwind(AssertUnwindSafe(|| existing(dir, &header, &fields)))
            .unwrap_or_else(|_| Err(Unusable::Damaged("reading it failed".into())));
        let (index, state) = match attempt {
            Ok(opened) => opened,
            Err(Unusable::Busy) => {
                return Err(SearchError::Busy {
                    path: dir.to_path_buf(),
                });
            }
            Err(why) => {
                if let Unusable::Damaged(reason) = why {
                    progress(Progress::Rebuilding { reason });
                }
                fresh(dir, &header, &fields)?
            }
        };
        let reader = reader(&index)?;
        Ok(Index {
            dir: dir.to_path_buf(),
            me,
            lang: Lang::default(),
            header,
            fields,
            reader,
            state: Mutex::new(state),
        })
    }

    /// The same index with sessions' minutes written in `lang` (Ukrainian unless set): set it
    /// before the first update, or minutes are re-indexed on the next one.
    pub fn with_minutes_language(mut self, lang: Lang) -> Index {
        self.lang = lang;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Documents in the index.
    pub fn len(&self) -> usize {
        self.reader.searcher().num_docs() as usize
    }

    /// Whether the index holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Re-indexes what changed in `replica` since the last update.
    pub fn update(
        &self,
        replica: &Replica,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Updated, SearchError> {
        let mut plan = self.plan(replica);
        plan.read(replica, Duration::MAX);
        self.apply(plan, progress)
    }

    /// Finds what changed in `replica` since the last update, from fingerprints alone (cheap);
    /// [`Plan::read`] then reads the changed documents, [`Index::apply`] writes them.
    pub fn plan(&self, replica: &Replica) -> Plan {
        let now = source::fingerprints(replica, &self.me, self.lang);
        let state = self.state();
        let todo: Vec<(DocId, u64)> = now
            .iter()
            .filter(|(id, fp)| state.fingerprints.get(id) != Some(fp))
            .map(|(id, fp)| (*id, *fp))
            .collect();
        let removed = state
            .fingerprints
            .keys()
            .filter(|id| !now.contains_key(id))
            .copied()
            .collect();
        Plan {
            me: Some(self.me),
            lang: self.lang,
            changed: todo.len(),
            todo,
            entries: Vec::new(),
            removed,
            fingerprints: now,
        }
    }

    /// Writes what `plan` read into the index and commits it. Documents it has not read yet
    /// stay as they were and are read by the next update.
    pub fn apply(
        &self,
        mut plan: Plan,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Updated, SearchError> {
        for (id, _) in &plan.todo {
            plan.fingerprints.remove(id);
        }
        let mut state = self.state();
        let total = plan.entries.len();
        let mut updated = Updated {
            indexed: total,
            removed: plan.removed.len(),
            total: plan.fingerprints.len(),
        };
        if plan.entries.is_empty() && plan.removed.is_empty() {
            state.fingerprints = plan.fingerprints;
            updated.total = self.len();
            return Ok(updated);
        }
        let f = &self.fields;
        for id in &plan.removed {
            state
                .writer
                .delete_term(Term::from_field_text(f.id, &id.to_hex()));
        }
        for (done, e) in plan.entries.iter().enumerate() {
            state
                .writer
                .delete_term(Term::from_field_text(f.id, &e.id.to_hex()));
            state.writer.add_document(document(f, e))?;
            if (done + 1) % PROGRESS_EVERY == 0 {
                progress(Progress::Indexed {
                    done: done + 1,
                    total,
                });
            }
        }
        let mut commit = state.writer.prepare_commit()?;
        commit.set_payload(&self.header);
        commit.commit()?;
        self.reader.reload()?;
        state.fingerprints = plan.fingerprints;
        progress(Progress::Indexed { done: total, total });
        updated.total = self.len();
        Ok(updated)
    }

    /// Runs a search.
    pub fn search(&self, q: &Query) -> Result<Vec<Hit>, SearchError> {
        Ok(super::query::run(&self.fields, &self.reader.searcher(), q)?)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn document(f: &Fields, e: &Entry) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_text(f.id, e.id.to_hex());
    d.add_u64(f.fp, e.fp);
    for k in &e.kinds {
        d.add_text(f.kind, k.name());
    }
    if let Some(s) = e.status {
        d.add_text(f.status, s);
    }
    if let Some(c) = e.committee {
        d.add_text(f.committee, c.to_hex());
    }
    for a in &e.authors {
        d.add_text(f.author, a.to_hex());
    }
    if let Some(p) = e.parent {
        d.add_text(f.parent, p.to_hex());
    }
    d.add_i64(f.date, e.date_ms);
    d.add_text(f.title, &e.title);
    d.add_text(f.body, &e.body);
    d
}

fn reader(index: &tantivy::Index) -> Result<IndexReader, SearchError> {
    Ok(index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?)
}

fn writer(index: &tantivy::Index) -> Result<IndexWriter<TantivyDocument>, TantivyError> {
    index.writer_with_num_threads(1, WRITER_BYTES)
}

/// Opens the index in `dir` if it is whole and was built for `header`, with its fingerprints.
fn existing(
    dir: &Path,
    header: &str,
    fields: &Fields,
) -> Result<(tantivy::Index, State), Unusable> {
    if !dir.join("meta.json").is_file() {
        return Err(Unusable::Missing);
    }
    let damaged = |e: TantivyError| Unusable::Damaged(e.to_string());
    let index = tantivy::Index::open_in_dir(dir).map_err(damaged)?;
    if index.schema() != fields.schema {
        return Err(Unusable::Damaged("it was built by another version".into()));
    }
    if index.load_metas().map_err(damaged)?.payload.as_deref() != Some(header) {
        return Err(Unusable::Damaged(
            "it was built by another version, or for another council or member".into(),
        ));
    }
    let bad = index.validate_checksum().map_err(damaged)?;
    if !bad.is_empty() {
        return Err(Unusable::Damaged(format!("{} damaged files", bad.len())));
    }
    index.tokenizers().register(TOKENIZER, analyzer());
    let writer = match writer(&index) {
        Ok(w) => w,
        Err(TantivyError::LockFailure(LockError::LockBusy, _)) => return Err(Unusable::Busy),
        Err(e) => return Err(damaged(e)),
    };
    let fingerprints = read_fingerprints(&index).map_err(damaged)?;
    Ok((
        index,
        State {
            writer,
            fingerprints,
        },
    ))
}

/// The fingerprint of every document in the index, from its fast fields.
fn read_fingerprints(index: &tantivy::Index) -> Result<HashMap<DocId, u64>, TantivyError> {
    let searcher = reader(index)
        .map_err(|e| TantivyError::InternalError(e.to_string()))?
        .searcher();
    let mut out = HashMap::new();
    let mut id = String::new();
    for seg in searcher.segment_readers() {
        let fast = seg.fast_fields();
        let ids = fast
            .str(ID)?
            .ok_or_else(|| TantivyError::SchemaError("no id column".into()))?;
        let fps = fast.u64(FP)?;
        for doc in seg.doc_ids_alive() {
            let (Some(ord), Some(fp)) = (ids.term_ords(doc).next(), fps.first(doc)) else {
                continue;
            };
            id.clear();
            if ids.ord_to_str(ord, &mut id)?
                && let Some(doc_id) = crdt_model::Hash::from_hex(&id)
            {
                out.insert(doc_id, fp);
            }
        }
    }
    Ok(out)
}

/// Replaces whatever is in `dir` with an empty index built for `header`.
fn fresh(
    dir: &Path,
    header: &str,
    fields: &Fields,
) -> Result<(tantivy::Index, State), SearchError> {
    let io = |source| SearchError::Io {
        path: dir.to_path_buf(),
        source,
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io)?;
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let index = tantivy::Index::create_in_dir(dir, fields.schema.clone())?;
    index.tokenizers().register(TOKENIZER, analyzer());
    let mut writer = match writer(&index) {
        Ok(w) => w,
        Err(TantivyError::LockFailure(LockError::LockBusy, _)) => {
            return Err(SearchError::Busy {
                path: dir.to_path_buf(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let mut commit = writer.prepare_commit()?;
    commit.set_payload(header);
    commit.commit()?;
    Ok((
        index,
        State {
            writer,
            fingerprints: HashMap::new(),
        },
    ))
}
