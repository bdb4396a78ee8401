//! `council minutes`: a session's minutes generated from its signed record (Markdown, HTML or
//! PDF), their approval by the chair and the secretary, and the check of those approvals.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use crdt_model::hash::Hash;
use crdt_model::replica::Replica;
use crdt_model::session::{SessionId, StatementKind};

use super::{CliError, warn_if_loosened};
use crate::engine::{Command, Engine};
use crate::minutes::{self, Lang, MinutesCheck};
use crate::profile::Profile;

/// Write a session's minutes, generated from its signed statements, ballots and documents: who
/// was registered, quorum, each agenda item with its speakers and polls (rule, counts, outcome,
/// roll-call table), the decisions adopted with the text voted on, and what was verified. The
/// same record always gives the same file.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct MinutesArgs {
    /// Approve or check the minutes instead of writing them.
    #[command(subcommand)]
    pub action: Option<MinutesAction>,
    /// The session: its id, the start of its id, or its label (e.g. "Сесія 12").
    #[arg(required = true)]
    pub session: Option<String>,
    /// The format to write; by default taken from the extension of --out (.md, .html, .pdf).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// The file to write (replaced if it exists). Without it, Markdown or HTML is printed.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The language of the minutes.
    #[arg(long, value_enum, default_value_t = LangArg::Uk)]
    pub lang: LangArg,
}

/// What to do with the minutes besides writing them.
#[derive(Debug, Subcommand)]
pub enum MinutesAction {
    /// Approve the minutes as the chair, a deputy chair or the secretary: signs the hash of the
    /// minutes the record gives now, in the council log.
    Approve(ApproveArgs),
    /// Show whether the minutes are approved and whether the approvals match the record now.
    /// Exits with status 1 unless a chair and the secretary approved the current minutes.
    Check(CheckArgs),
    /// List the sessions this device holds.
    List,
}

/// A session to approve.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The session: its id, the start of its id, or its label. What is signed is the hash of
    /// the session's record, the same whatever language the minutes are read in.
    pub session: String,
}

/// A session to check.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The session: its id, the start of its id, or its label.
    pub session: String,
}

/// A format of the minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// One self-contained HTML page.
    Html,
    /// A paginated A4 PDF with its fonts embedded.
    Pdf,
}

impl Format {
    fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Md),
            "html" | "htm" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Md => "Markdown",
            Format::Html => "HTML",
            Format::Pdf => "PDF",
        }
    }
}

/// A language of the minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Українська.
    Uk,
    /// Български.
    Bg,
    /// English.
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Uk => Lang::Uk,
            LangArg::Bg => Lang::Bg,
            LangArg::En => Lang::En,
        }
    }
}

/// Runs `council minutes`.
pub fn cmd_minutes(
    profile: &Profile,
    args: MinutesArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match args.action {
        Some(MinutesAction::Approve(a)) => approve(profile, &a.session, out),
        Some(MinutesAction::Check(c)) => check(profile, &c.session, out),
        Some(MinutesAction::List) => {
            let node = profile.node()?;
            warn_if_loosened(node.store());
            write!(out, "{}", session_list(node.replica()))?;
            Ok(())
        }
        None => {
            let session = args.session.unwrap_or_default();
            write_minutes(
                profile,
                &session,
                args.format,
                args.out,
                args.lang.into(),
                out,
            )
        }
    }
}

fn write_minutes(
    profile: &Profile,
    session: &str,
    format: Option<Format>,
    path: Option<PathBuf>,
    lang: Lang,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let format = match (format, &path) {
        (Some(f), _) => f,
        (None, Some(p)) => Format::from_path(p).ok_or_else(|| {
            CliError::Usage(format!(
                "cannot tell the format from {}; give --format md, html or pdf",
                p.display()
            ))
        })?,
        (None, None) => Format::Md,
    };
    if format == Format::Pdf && path.is_none() {
        return Err(CliError::Usage(
            "a PDF is written to a file: give --out FILE".into(),
        ));
    }
    let node = profile.node()?;
    warn_if_loosened(node.store());
    let id = resolve(node.replica(), session)?;
    let m = minutes::minutes(node.replica(), &id)?;
    let bytes = match format {
        Format::Md => minutes::markdown(&m, lang).into_bytes(),
        Format::Html => minutes::html(&m, lang).into_bytes(),
        Format::Pdf => minutes::pdf(&m, lang)?,
    };
    match path {
        Some(path) => {
            std::fs::write(&path, &bytes).map_err(|source| CliError::WriteFile {
                path: path.clone(),
                source,
            })?;
            writeln!(
                out,
                "wrote {}: minutes of \"{}\" ({}, {}), hash {}",
                path.display(),
                m.label,
                format.name(),
                lang.code(),
                m.hash()
            )?;
        }
        None => out.write_all(&bytes)?,
    }
    Ok(())
}

fn approve(profile: &Profile, session: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let node = profile.node()?;
    warn_if_loosened(node.store());
    let id = resolve(node.replica(), session)?;
    let m = minutes::minutes(node.replica(), &id)?;
    let hash = m.hash();
    let engine = Engine::local(node);
    let op = engine.run(Command::ApproveMinutes {
        session: id,
        minutes: hash,
    })?;
    writeln!(out, "approved the minutes of \"{}\": hash {hash}", m.label)?;
    if let Some(op) = op {
        writeln!(out, "signed and saved operation {op}")?;
    }
    let check = engine.read(|r| minutes::verify_minutes(r, &id))?;
    print_check(&check, &m.label, out)?;
    Ok(())
}

fn check(profile: &Profile, session: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let node = profile.node()?;
    warn_if_loosened(node.store());
    let id = resolve(node.replica(), session)?;
    let label = label_of(node.replica(), &id);
    let check = minutes::verify_minutes(node.replica(), &id)?;
    print_check(&check, &label, out)?;
    if check.approved {
        Ok(())
    } else {
        Err(CliError::NotApproved {
            approvals: check.approvals.len(),
            stale: check.approvals.iter().filter(|a| !a.matches()).count(),
        })
    }
}

fn print_check(c: &MinutesCheck, label: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "session {} \"{label}\"", c.session)?;
    writeln!(out, "minutes hash as the record gives them now: {}", c.hash)?;
    if c.approvals.is_empty() {
        writeln!(out, "approvals: none yet")?;
    } else {
        writeln!(out, "approvals:")?;
    }
    for a in &c.approvals {
        let role = a.role().map_or("no approving role", |r| r.name());
        let verdict = if a.matches() {
            "matches the record"
        } else {
            "does NOT match the record now"
        };
        writeln!(out, "  {} ({role}) signed {}: {verdict}", a.name, a.minutes)?;
    }
    writeln!(
        out,
        "matches the record: {}",
        if c.matches_record { "yes" } else { "no" }
    )?;
    writeln!(
        out,
        "approved by a chair and the secretary: {}",
        if c.approved { "yes" } else { "no" }
    )
}

/// One line about a session's minutes, for `council verify`.
pub(crate) fn verify_line(replica: &Replica, id: &SessionId) -> String {
    let label = label_of(replica, id);
    match minutes::verify_minutes(replica, id) {
        Err(e) => format!(
            "minutes of \"{label}\" ({}): cannot be made: {e}",
            id.short()
        ),
        Ok(c) if c.approvals.is_empty() => {
            format!("minutes of \"{label}\" ({}): not approved yet", id.short())
        }
        Ok(c) => {
            let by: Vec<String> = c
                .approved_by
                .iter()
                .map(|(name, role)| format!("{name} ({})", role.name()))
                .collect();
            let stale: Vec<&str> = c
                .approvals
                .iter()
                .filter(|a| !a.matches())
                .map(|a| a.name.as_str())
                .collect();
            let mut line = format!("minutes of \"{label}\" ({}): ", id.short());
            if c.approved {
                line.push_str("approved");
            } else {
                line.push_str("not fully approved");
            }
            if !by.is_empty() {
                line.push_str(&format!(", match the record, signed by {}", by.join(", ")));
            }
            if !stale.is_empty() {
                line.push_str(&format!(
                    "; approvals by {} do NOT match the record now",
                    stale.join(", ")
                ));
            }
            line
        }
    }
}

fn label_of(replica: &Replica, id: &SessionId) -> String {
    replica
        .session(id)
        .map(|s| s.state().label.clone())
        .unwrap_or_default()
}

/// The sessions this device holds, one line each, in the order they were opened.
fn session_list(replica: &Replica) -> String {
    let mut lines: Vec<(u64, String)> = replica
        .live_sessions()
        .map(|(_, s)| s)
        .map(|s| {
            let opened = s
                .get(&s.id())
                .filter(|o| matches!(o.statement().kind, StatementKind::OpenSession { .. }))
                .map(|o| o.statement().time_ms)
                .unwrap_or_default();
            (
                opened,
                format!(
                    "  {}  {}  {}\n",
                    s.id().to_hex(),
                    minutes::format_utc(opened),
                    s.state().label
                ),
            )
        })
        .collect();
    if lines.is_empty() {
        return "  (this device holds no session)\n".into();
    }
    lines.sort();
    lines.into_iter().map(|(_, l)| l).collect()
}

/// Finds the session `given` names: its full id, a unique start of its id (at least four hex
/// digits), or its label (exactly, or ignoring case).
fn resolve(replica: &Replica, given: &str) -> Result<SessionId, CliError> {
    let g = given.trim();
    if let Some(h) = Hash::from_hex(&g.to_ascii_lowercase())
        && replica.session(&h).is_some()
    {
        return Ok(h);
    }
    let lower = g.to_lowercase();
    let hexish = g.len() >= 4 && g.chars().all(|c| c.is_ascii_hexdigit());
    let mut found: Vec<SessionId> = replica
        .live_sessions()
        .map(|(_, s)| s)
        .filter(|s| {
            let label = &s.state().label;
            label == g
                || label.to_lowercase() == lower
                || (hexish && s.id().to_hex().starts_with(&lower))
        })
        .map(|s| s.id())
        .collect();
    // An exact label wins over prefixes and case-insensitive matches.
    let exact: Vec<SessionId> = found
        .iter()
        .copied()
        .filter(|id| label_of(replica, id) == g)
        .collect();
    if exact.len() == 1 {
        return Ok(exact[0]);
    }
    found.sort();
    found.dedup();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(CliError::Session {
            message: format!("no session \"{given}\" on this device; the sessions it holds:"),
            sessions: session_list(replica),
        }),
        _ => Err(CliError::Session {
            message: format!("\"{given}\" names several sessions; give more of the id:"),
            sessions: session_list(replica),
        }),
    }
}
