//! `council search QUERY [filters]`.

use std::io::{IsTerminal, Write};

use crdt_model::document::TextField;
use crdt_model::log::{CommitteeId, CouncilState};
use crdt_model::replica::Replica;
use crdt_model::{DocId, MemberId};

use super::{CliError, warn_if_loosened};
use crate::minutes::Lang;
use crate::profile::Profile;
use crate::search::{self, Hit, Index, Kind, Progress, Query, Status};

/// Milliseconds in a day.
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Search drafts, decisions, opinions, amendments, agendas, minutes and your own notes.
///
/// Every word must appear in a document's title or text, in any case and in any form starting
/// like it ("бюджет" also finds "БЮДЖЕТУ", "общински" finds "Общинският"); words in double
/// quotes must appear together. Hits are ranked by relevance; each shows a passage with the
/// matches marked. The index lives in the profile's search-index folder and is rebuilt from the
/// council store whenever it is missing or damaged.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The words to find (none: the newest documents the filters let through).
    pub query: Vec<String>,
    /// Only this kind: draft, decision (adopted drafts), opinion, amendment, agenda, note,
    /// minutes.
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<Kind>,
    /// Only this status: draft, submitted, in-committee, on-agenda, adopted, rejected,
    /// withdrawn, referred-back (drafts); proposed, accepted (amendments).
    #[arg(long, value_parser = parse_status)]
    pub status: Option<Status>,
    /// Only documents of the committee whose name contains this (case-insensitive).
    #[arg(long, value_name = "NAME")]
    pub committee: Option<String>,
    /// Only documents by the member whose name contains this (case-insensitive), or whose key
    /// this is.
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// Only documents created on or after this day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = search::parse_day)]
    pub from: Option<(i32, u32, u32)>,
    /// Only documents created on or before this day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = search::parse_day)]
    pub to: Option<(i32, u32, u32)>,
    /// Show at most this many hits.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        format!("no kind `{s}`; use one of {}", names.join(", "))
    })
}

fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s)
        .ok_or_else(|| format!("no status `{s}`; use one of {}", Status::names().join(", ")))
}

/// Searches the profile's council and prints the hits.
pub fn cmd_search(
    profile: &Profile,
    args: SearchArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let node = profile.node()?;
    warn_if_loosened(node.store());
    let replica = node.replica();
    let state = replica.log().state();
    let query = Query {
        text: args.query.join(" "),
        kind: args.kind,
        status: args.status,
        committee: args
            .committee
            .as_deref()
            .map(|name| committee(state, name))
            .transpose()?,
        author: args
            .author
            .as_deref()
            .map(|name| author(state, name))
            .transpose()?,
        from_ms: args.from.map(search::day_start_ms),
        to_ms: args.to.map(|d| search::day_start_ms(d) + DAY_MS),
        limit: args.limit.max(1),
    };
    if let (Some(from), Some(to)) = (query.from_ms, query.to_ms)
        && from >= to
    {
        return Err(CliError::Usage("--from is after --to".into()));
    }
    let dir = search::index_dir(profile.store_path().parent().unwrap_or(profile_root()));
    let me = node.identity().member_id();
    let lang = node
        .store()
        .setting(council_sync::SETTING_LANGUAGE)?
        .and_then(|code| Lang::from_code(&String::from_utf8_lossy(&code)))
        .unwrap_or_default();
    let tty = std::io::stderr().is_terminal();
    let mut progress = |p: Progress| match p {
        Progress::Rebuilding { reason } => {
            eprintln!("note: rebuilding the search index from the store ({reason})");
        }
        Progress::Indexed { done, total } if tty && total >= 500 => {
            eprint!("\rindexing {done}/{total}");
            if done == total {
                eprintln!();
            }
        }
        Progress::Indexed { .. } => {}
    };
    let index = Index::open(&dir, replica.log().council_id(), me, &mut progress)?
        .with_minutes_language(lang);
    index.update(replica, &mut progress)?;
    let hits = index.search(&query)?;
    let (open, close) = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
    {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    print_hits(replica, &hits, open, close, out)?;
    Ok(())
}

fn profile_root() -> &'static std::path::Path {
    std::path::Path::new(".")
}

fn print_hits(
    r: &Replica,
    hits: &[Hit],
    open: &str,
    close: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let state = r.log().state();
    if hits.is_empty() {
        writeln!(out, "no documents found")?;
        return Ok(());
    }
    for (n, h) in hits.iter().enumerate() {
        let title = if h.title.trim().is_empty() {
            let draft = h.draft.map(|d| title_of(r, &d)).unwrap_or_default();
            format!("on «{draft}»")
        } else {
            h.title_marked(open, close)
        };
        writeln!(out, "{}. [{}] {}", n + 1, h.kind.name(), title.trim())?;
        let mut facts: Vec<String> = Vec::new();
        if let Some(s) = h.status {
            facts.push(s.name().to_string());
        }
        if let Some(c) = h.committee.and_then(|c| state.committees.get(&c)) {
            facts.push(c.name.clone());
        }
        if let Some(a) = h.author {
            facts.push(crate::views::name_of(state, &a));
        }
        facts.push(search::format_day(h.date_ms));
        facts.push(h.id.short());
        writeln!(out, "   {}", facts.join(" · "))?;
        let snippet = h.snippet_marked(open, close);
        let snippet = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        if !snippet.is_empty() {
            writeln!(out, "   {snippet}")?;
        }
    }
    Ok(())
}

fn title_of(r: &Replica, id: &DocId) -> String {
    r.documents()
        .get(id)
        .and_then(|d| d.text(TextField::Title).ok())
        .unwrap_or_default()
}

/// The one committee whose name contains `name`.
fn committee(state: &CouncilState, name: &str) -> Result<CommitteeId, CliError> {
    let needle = name.to_lowercase();
    let found: Vec<(&CommitteeId, &str)> = state
        .committees
        .iter()
        .filter(|(_, c)| c.name.to_lowercase().contains(&needle))
        .map(|(id, c)| (id, c.name.as_str()))
        .collect();
    match found[..] {
        [(id, _)] => Ok(*id),
        [] => {
            let all: Vec<&str> = state.committees.values().map(|c| c.name.as_str()).collect();
            Err(CliError::Usage(format!(
                "no committee named like `{name}`; the committees are: {}",
                all.join("; ")
            )))
        }
        _ => {
            let names: Vec<&str> = found.iter().map(|(_, n)| *n).collect();
            Err(CliError::Usage(format!(
                "`{name}` names several committees: {}; say more of the name",
                names.join("; ")
            )))
        }
    }
}

/// The one member whose key is `name`, or whose name contains it.
fn author(state: &CouncilState, name: &str) -> Result<MemberId, CliError> {
    if let Ok(id) = MemberId::from_hex(name.trim()) {
        return Ok(id);
    }
    let needle = name.to_lowercase();
    let exact: Vec<&MemberId> = state
        .members
        .iter()
        .filter(|(_, m)| m.name.to_lowercase() == needle)
        .map(|(id, _)| id)
        .collect();
    if let [id] = exact[..] {
        return Ok(*id);
    }
    let found: Vec<(&MemberId, &str)> = state
        .members
        .iter()
        .filter(|(_, m)| m.name.to_lowercase().contains(&needle))
        .map(|(id, m)| (id, m.name.as_str()))
        .collect();
    match found[..] {
        [(id, _)] => Ok(*id),
        [] => Err(CliError::Usage(format!(
            "no member named like `{name}`; see `council roster`"
        ))),
        _ => {
            let names: Vec<&str> = found.iter().take(8).map(|(_, n)| *n).collect();
            Err(CliError::Usage(format!(
                "`{name}` names several members ({}…); give the full name or the key",
                names.join("; ")
            )))
        }
    }
}
