//! A council term's archive, written straight into a device store on disk without the network,
//! for the benchmarks that need one (archive sync, search).
//!
//! Drafts in Ukrainian, Bulgarian and some English, each written in several signed edits by its
//! author and co-authors, moved through the workflow (submitted, referred to a committee, put
//! on the agenda, adopted, rejected, withdrawn), with committee opinions and amendments; a few
//! personal notes; and sessions with an agenda, registration, polls, signed ballots and closed
//! tallies. Everything comes from a seeded generator, so every run writes the same archive.

mod text;

use std::path::{Path, PathBuf};

use council_sync::{Node, NodeError, OpenError, WriteError};
use crdt_model::document::{AgendaItem as DocAgendaItem, EditError, TextField};
use crdt_model::hash::Hash;
use crdt_model::log::{CommitteeId, OpRejected};
use crdt_model::replica::{Item, ItemRejected};
use crdt_model::sample::{SampleCouncil, device};
use crdt_model::session::{
    AgendaItem, Body, Choice, PollId, Refused, SessionId, Statement, StatementKind,
};
use crdt_model::{DocId, DocSpec, DraftStatus, OpBody, SecretKey};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thiserror::Error;

pub use text::Lang;

/// How big an archive to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSpec {
    /// Draft decisions (each with five signed edits; some with opinions and amendments).
    pub drafts: usize,
    /// Sessions, each with an agenda, registration and polls.
    pub sessions: usize,
    /// Ballots in all, spread over the sessions' polls.
    pub ballots: usize,
    /// The generator's seed.
    pub seed: u64,
}

impl Default for ArchiveSpec {
    /// A term: 2000 drafts, 100 sessions, 30 000 ballots.
    fn default() -> Self {
        ArchiveSpec {
            drafts: 2000,
            sessions: 100,
            ballots: 30_000,
            seed: 2026,
        }
    }
}

/// An archive written to disk.
#[derive(Debug)]
pub struct Archive {
    /// The council (fixed keys: open the store as any of its members).
    pub council: SampleCouncil,
    /// The device store holding everything (`archive.redb` in the directory given).
    pub store: PathBuf,
    /// Signed items held.
    pub items: usize,
    /// Drafts by language, in creation order.
    pub drafts: Vec<(DocId, Lang)>,
}

/// Why an archive could not be written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The store could not be created.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The store could not take an item.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The node refused an item.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The replica refused an item.
    #[error(transparent)]
    Item(#[from] ItemRejected),
    /// The council refused an operation.
    #[error(transparent)]
    Op(#[from] OpRejected),
    /// An edit failed.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// A session refused a statement.
    #[error(transparent)]
    Session(#[from] Refused),
    /// Something the generator had just made was not there.
    #[error("the archive generator lost track of {0}")]
    Missing(&'static str),
}

/// The first day of the term, 2024-01-01 UTC, in milliseconds.
pub const TERM_START_MS: u64 = 1_704_067_200_000;
/// The term's length: four years.
pub const TERM_MS: u64 = 4 * 365 * 24 * 3600 * 1000;
const VOTERS: usize = 30;

/// Writes a term's archive into a new device store at `dir/archive.redb`.
pub fn generate(dir: &Path, spec: &ArchiveSpec) -> Result<Archive, ArchiveError> {
    let (council, _) = SampleCouncil::new(VOTERS as u32 + 1, VOTERS as u32 - 1)?;
    let store = dir.join("archive.redb");
    let mut node = Node::create(&store, council.genesis.clone())?;
    let ops: Vec<Item> = council.ops.iter().cloned().map(Item::Op).collect();
    for op in &ops {
        node.apply(op.clone())?;
    }
    node.persist(&ops)?;
    let mut g = Generator {
        rng: StdRng::seed_from_u64(spec.seed),
        council: &council,
        node: &mut node,
        drafts: Vec::new(),
    };
    for d in 0..spec.drafts {
        g.draft(d, spec.drafts)?;
    }
    let per_session = spec.ballots.div_ceil(spec.sessions.max(1));
    let mut made = 0usize;
    for s in 0..spec.sessions {
        let want = per_session.min(spec.ballots - made);
        made += g.session(s, spec.sessions, want)?;
    }
    let drafts = g.drafts;
    let items = node.replica().item_count();
    Ok(Archive {
        council,
        store,
        items,
        drafts,
    })
}

struct Generator<'a> {
    rng: StdRng,
    council: &'a SampleCouncil,
    node: &'a mut Node,
    drafts: Vec<(DocId, Lang)>,
}

/// Person number of deputy `i` (for [`device`]).
fn person(i: usize) -> u32 {
    i as u32 + 2
}

impl Generator<'_> {
    fn deputy(&self, i: usize) -> Result<&SecretKey, ArchiveError> {
        self.council
            .deputies
            .get(i)
            .ok_or(Archive::missing("deputy"))
    }

    /// The committee `i` (0 or 1) and the deputies on it.
    fn committee(&self, i: usize) -> Result<(CommitteeId, std::ops::Range<usize>), ArchiveError> {
        let c = *self
            .council
            .committees
            .get(i)
            .ok_or(Archive::missing("committee"))?;
        let half = self.council.deputies.len() / 2;
        Ok((
            c,
            if i == 0 {
                0..half
            } else {
                half..self.council.deputies.len()
            },
        ))
    }

    fn op(
        &mut self,
        key: &SecretKey,
        body: OpBody,
        time_ms: u64,
        items: &mut Vec<Item>,
    ) -> Result<crdt_model::OpId, ArchiveError> {
        let op = self
            .node
            .replica_mut()
            .log_mut()
            .create(key, body, time_ms)?;
        let id = op.id();
        items.push(Item::Op(op));
        Ok(id)
    }

    /// One signed edit of `doc` by deputy (or person) number `who`.
    fn edit(
        &mut self,
        doc: &DocId,
        who: u32,
        time_ms: u64,
        items: &mut Vec<Item>,
        f: impl FnOnce(&mut crdt_model::document::Edit<'_, '_>) -> Result<(), EditError>,
    ) -> Result<(), ArchiveError> {
        let (log, d) = self
            .node
            .replica_mut()
            .document_mut(doc)
            .ok_or(Archive::missing("document"))?;
        let (_, ch) = d.edit(log, &device(who, 1), time_ms as i64, f)?;
        items.extend(ch.map(Item::Change));
        Ok(())
    }

    fn status(
        &mut self,
        key: &SecretKey,
        draft: DocId,
        status: DraftStatus,
        committee: Option<CommitteeId>,
        time_ms: &mut u64,
        items: &mut Vec<Item>,
    ) -> Result<(), ArchiveError> {
        *time_ms += 3 * 24 * 3600 * 1000;
        let body = OpBody::SetDraftStatus {
            draft,
            status,
            committee,
        };
        self.op(key, body, *time_ms, items).map(|_| ())
    }

    /// Draft number `d` of `total`, with its edits, workflow, opinions and amendments.
    fn draft(&mut self, d: usize, total: usize) -> Result<(), ArchiveError> {
        let deputies = self.council.deputies.len();
        let author = self.rng.random_range(0..deputies);
        let mut authors = vec![author];
        for _ in 0..self.rng.random_range(0..3) {
            let co = self.rng.random_range(0..deputies);
            if !authors.contains(&co) {
                authors.push(co);
            }
        }
        let co_authors = authors[1..]
            .iter()
            .map(|&i| self.deputy(i).map(SecretKey::member_id))
            .collect::<Result<Vec<_>, _>>()?;
        let mut t = TERM_START_MS + (d as u64 * TERM_MS) / total.max(1) as u64;
        let mut items = Vec::new();
        let key = self.deputy(author)?.clone();
        let id = self.op(
            &key,
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors },
            },
            t,
            &mut items,
        )?;
        let text = text::draft(&mut self.rng, 5);
        let mut len = 0;
        for (k, para) in text.paragraphs.iter().enumerate() {
            let who = person(authors[k % authors.len()]);
            t += 3_600_000;
            let title = (k == 0).then_some(text.title.as_str());
            self.edit(&id, who, t, &mut items, |e| {
                if let Some(title) = title {
                    e.set_text(TextField::Title, title)?;
                }
                e.splice(TextField::Body, len, 0, para)
            })?;
            len += para.chars().count();
        }
        self.drafts.push((id, text.lang));
        self.workflow(id, &key, author, text.lang, &mut t, &mut items)?;
        if d % 97 == 13 {
            self.note(author, t, &mut items)?;
        }
        self.node.persist(&items)?;
        Ok(())
    }

    /// Moves a draft along the workflow to a random end.
    fn workflow(
        &mut self,
        id: DocId,
        author: &SecretKey,
        author_i: usize,
        lang: Lang,
        t: &mut u64,
        items: &mut Vec<Item>,
    ) -> Result<(), ArchiveError> {
        let office = self.council.secretary.clone();
        let roll = self.rng.random_range(0..100);
        if roll < 15 {
            return Ok(()); // still being written
        }
        self.status(author, id, DraftStatus::Submitted, None, t, items)?;
        if roll < 22 {
            return Ok(());
        }
        if roll < 25 {
            return self.status(author, id, DraftStatus::Withdrawn, None, t, items);
        }
        if roll < 75 {
            let which = self.rng.random_range(0..2);
            let (committee, members) = self.committee(which)?;
            self.status(
                &office,
                id,
                DraftStatus::InCommittee,
                Some(committee),
                t,
                items,
            )?;
            if roll < 32 {
                return Ok(());
            }
            if self.rng.random_bool(0.7) {
                let member = self.rng.random_range(members);
                self.opinion(id, committee, member, lang, t, items)?;
            }
        }
        if self.rng.random_bool(0.3) {
            let mut by = self.rng.random_range(0..self.council.deputies.len());
            if by == author_i {
                by = (by + 1) % self.council.deputies.len();
            }
            self.amendment(id, by, lang, t, items)?;
        }
        self.status(&office, id, DraftStatus::OnAgenda, None, t, items)?;
        match self.rng.random_range(0..100) {
            0..=79 => self.status(&office, id, DraftStatus::Adopted, None, t, items),
            80..=89 => self.status(&office, id, DraftStatus::Rejected, None, t, items),
            _ => self.status(&office, id, DraftStatus::ReferredBack, None, t, items),
        }
    }

    fn opinion(
        &mut self,
        draft: DocId,
        committee: CommitteeId,
        member: usize,
        lang: Lang,
        t: &mut u64,
        items: &mut Vec<Item>,
    ) -> Result<(), ArchiveError> {
        let key = self.deputy(member)?.clone();
        *t += 24 * 3600 * 1000;
        let spec = DocSpec::Opinion { draft, committee };
        let id = self.op(&key, OpBody::CreateDocument { spec }, *t, items)?;
        let (body, rationale, rec) = text::opinion(&mut self.rng, lang);
        self.edit(&id, person(member), *t + 60_000, items, |e| {
            e.set_text(TextField::Body, &body)?;
            e.set_text(TextField::Rationale, &rationale)?;
            e.set_recommendation(rec)
        })
    }

    fn amendment(
        &mut self,
        draft: DocId,
        by: usize,
        lang: Lang,
        t: &mut u64,
        items: &mut Vec<Item>,
    ) -> Result<(), ArchiveError> {
        let key = self.deputy(by)?.clone();
        *t += 24 * 3600 * 1000;
        let spec = DocSpec::Amendment {
            draft,
            from_line: 1,
            to_line: 1,
        };
        let id = self.op(&key, OpBody::CreateDocument { spec }, *t, items)?;
        let (body, rationale) = text::amendment(&mut self.rng, lang);
        self.edit(&id, person(by), *t + 60_000, items, |e| {
            e.set_text(TextField::Body, &body)?;
            e.set_text(TextField::Rationale, &rationale)
        })
    }

    fn note(&mut self, owner: usize, t: u64, items: &mut Vec<Item>) -> Result<(), ArchiveError> {
        let key = self.deputy(owner)?.clone();
        let id = self.op(
            &key,
            OpBody::CreateDocument {
                spec: DocSpec::Note,
            },
            t,
            items,
        )?;
        let (title, body) = text::note(&mut self.rng);
        self.edit(&id, person(owner), t + 1000, items, |e| {
            e.set_text(TextField::Title, &title)?;
            e.set_text(TextField::Body, &body)
        })
    }

    /// Session number `s` of `total`: an agenda, registration, and polls holding up to
    /// `ballots` ballots; returns the ballots cast.
    fn session(&mut self, s: usize, total: usize, ballots: usize) -> Result<usize, ArchiveError> {
        let t = TERM_START_MS + (s as u64 * TERM_MS) / total.max(1) as u64 + 3_600_000;
        let mut items = Vec::new();
        let chair = self.council.chair.clone();
        let secretary = self.council.secretary.clone();
        let label = format!("Сесія {}", s + 1);
        let mut picks: Vec<DocId> = Vec::new();
        for _ in 0..4 {
            let n = self.drafts.len();
            if n > 0 {
                picks.push(self.drafts[self.rng.random_range(0..n)].0);
            }
        }
        let doc = *picks
            .first()
            .ok_or(Archive::missing("a draft to vote on"))?;
        // The agenda, as the secretary publishes it.
        let spec = DocSpec::Agenda {
            label: label.clone(),
            committee: None,
        };
        let agenda = self.op(&secretary, OpBody::CreateDocument { spec }, t, &mut items)?;
        let titles: Vec<(DocId, String)> = picks.iter().map(|d| (*d, self.title(d))).collect();
        self.edit(&agenda, 0, t + 1000, &mut items, |e| {
            e.set_text(TextField::Title, &format!("Порядок денний: {label}"))?;
            for (i, (d, title)) in titles.iter().enumerate() {
                e.agenda_insert(
                    i,
                    &DocAgendaItem {
                        doc: Some(*d),
                        title: title.clone(),
                    },
                )?;
            }
            e.set_published(true)
        })?;
        let session = self.open_session(&label, doc, t, &mut items)?;
        let voters: Vec<SecretKey> = self
            .council
            .deputies
            .iter()
            .chain([&self.council.chair])
            .cloned()
            .collect();
        for k in &voters {
            let member = k.member_id();
            self.say(session, k, StatementKind::Present { member }, t, &mut items)?;
        }
        let polls = ballots.div_ceil(VOTERS);
        let mut made = 0;
        for p in 0..polls {
            if p == 0 {
                self.say(
                    session,
                    &chair,
                    StatementKind::StartItem { item: 0 },
                    t,
                    &mut items,
                )?;
            }
            let title = if p == 0 {
                "Затвердити рішення".to_string()
            } else {
                format!("Питання {p}")
            };
            let open = self
                .node
                .replica()
                .session(&session)
                .map(|s| s.poll_open(0, doc, vec![], &title, None))
                .ok_or(Archive::missing("session"))?;
            let poll: PollId = self.say(
                session,
                &chair,
                StatementKind::OpenPoll(open),
                t,
                &mut items,
            )?;
            for k in &voters {
                if made >= ballots {
                    break;
                }
                let choice = match self.rng.random_range(0..10) {
                    0 => Choice::Against,
                    1 => Choice::Abstain,
                    _ => Choice::For,
                };
                let b = self
                    .node
                    .replica()
                    .ballot(k, &poll, 1, choice)
                    .ok_or(ArchiveError::Missing("the poll"))?;
                self.node.apply(Item::Ballot(b.clone()))?;
                items.push(Item::Ballot(b));
                made += 1;
            }
            let close = self
                .node
                .replica()
                .session(&session)
                .and_then(|s| s.poll_close(&poll))
                .ok_or(Archive::missing("poll"))?;
            self.say(
                session,
                &chair,
                StatementKind::ClosePoll(close),
                t,
                &mut items,
            )?;
        }
        self.node.persist(&items)?;
        Ok(made)
    }

    fn title(&self, doc: &DocId) -> String {
        self.node
            .replica()
            .documents()
            .get(doc)
            .and_then(|d| d.text(TextField::Title).ok())
            .unwrap_or_default()
    }

    fn open_session(
        &mut self,
        label: &str,
        doc: DocId,
        t: u64,
        items: &mut Vec<Item>,
    ) -> Result<SessionId, ArchiveError> {
        let log = self.node.replica().log();
        let open = Statement {
            council: log.council_id(),
            session: Hash::default(),
            author: self.council.chair.member_id(),
            parents: vec![],
            time_ms: t,
            kind: StatementKind::OpenSession {
                body: Body::Council,
                log_heads: log.heads(),
                label: label.into(),
                items: vec![AgendaItem {
                    title: self.title(&doc),
                    doc: Some(doc),
                }],
            },
        }
        .sign(&self.council.chair);
        let id = open.id();
        self.node.apply(Item::Statement(open.clone()))?;
        items.push(Item::Statement(open));
        Ok(id)
    }

    /// `key` says `kind` in `session`; returns the statement's id.
    fn say(
        &mut self,
        session: SessionId,
        key: &SecretKey,
        kind: StatementKind,
        t: u64,
        items: &mut Vec<Item>,
    ) -> Result<Hash, ArchiveError> {
        let st = self
            .node
            .replica_mut()
            .session_mut(&session)
            .ok_or(Archive::missing("session"))?
            .create(key, kind, t)?;
        let id = st.id();
        items.push(Item::Statement(st));
        Ok(id)
    }
}

impl Archive {
    fn missing(what: &'static str) -> ArchiveError {
        ArchiveError::Missing(what)
    }
}
