//! `council verify`: recheck every poll's tally from the signed record alone.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use crdt_model::MemberId;
use crdt_model::replica::Replica;
use crdt_model::session::{CheckResult, TallyReport, UncountedReason};

use super::{CliError, warn_if_loosened};
use crate::bundle::{Bundle, PollVerdict, Verdict, verdict_json};
use crate::profile::Profile;

/// Verify every poll: its signatures, who could vote, the ballots counted, the counts and the
/// declared outcome. Without --bundle, the polls of every session this device holds; with it,
/// the polls of a bundle written by `council export` (on any device), after rebuilding the
/// council from the bundle's signed items and checking that what it states agrees with them.
/// Exits with status 1 if any poll fails.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A bundle written by `council export`, to verify instead of this device's own polls.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Print the reports as JSON (each in the report shape of docs/format.md §8).
    #[arg(long)]
    pub json: bool,
}

/// Verifies, prints the reports and a summary, and fails if anything did not verify.
pub fn cmd_verify(
    profile: &Profile,
    args: VerifyArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (node, rebuilt);
    let (verdict, source, replica): (Verdict, String, &Replica) = match &args.bundle {
        Some(path) => {
            let (verdict, replica) = read_bundle(path)?.verify_rebuilt();
            rebuilt = replica;
            (verdict, format!("bundle {}", path.display()), &rebuilt)
        }
        None => {
            node = profile.node()?;
            warn_if_loosened(node.store());
            (
                Verdict::of_replica(node.replica()),
                "this device".to_string(),
                node.replica(),
            )
        }
    };
    if args.json {
        let json = verdict_json(&verdict, replica);
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        writeln!(out, "{text}")?;
    } else {
        print_verdict(&verdict, &source, out)?;
        let lines: Vec<String> = replica
            .live_sessions()
            .map(|(id, _)| super::minutes::verify_line(replica, id))
            .collect();
        if !lines.is_empty() {
            writeln!(out)?;
        }
        for line in &lines {
            writeln!(out, "{line}")?;
        }
    }
    if verdict.passed() {
        Ok(())
    } else {
        Err(CliError::Unverified {
            failed: verdict.failed(),
            polls: verdict.polls.len(),
            problems: verdict.problems.len(),
        })
    }
}

fn read_bundle(path: &PathBuf) -> Result<Bundle, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::ReadFile {
        path: path.clone(),
        source,
    })?;
    Bundle::parse(&bytes).map_err(|source| CliError::Bundle {
        path: path.clone(),
        source,
    })
}

fn print_verdict(v: &Verdict, source: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "council: {} ({})", v.council_name, v.council)?;
    writeln!(out, "verifying the polls of {source}")?;
    for p in &v.problems {
        writeln!(out, "problem: {p}")?;
    }
    for o in &v.voided {
        writeln!(
            out,
            "void: operation {} by {} has no effect: {}",
            o.op.short(),
            o.author,
            o.reason
        )?;
    }
    for i in &v.ignored {
        writeln!(
            out,
            "ignored: {} {} by {} in session {}: {}",
            i.kind,
            i.id.short(),
            i.author,
            i.session.short(),
            i.reason
        )?;
    }
    for p in &v.polls {
        writeln!(out)?;
        print_poll(v, p, out)?;
    }
    writeln!(out)?;
    if v.polls.is_empty() {
        writeln!(out, "no polls to verify: {source} holds no poll")?;
    }
    let extra = match v.problems.len() {
        0 => String::new(),
        n => format!(", {n} problems with the bundle"),
    };
    writeln!(
        out,
        "{} polls verified, {} failed{extra}",
        v.polls.len() - v.failed(),
        v.failed()
    )
}

fn print_poll(v: &Verdict, p: &PollVerdict, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "poll {} \"{}\"", p.poll, p.title)?;
    writeln!(out, "  session {}", p.session)?;
    match &p.report {
        Ok(r) => print_report(v, r, out)?,
        Err(e) => writeln!(
            out,
            "  cannot be verified: {e} ({})",
            crate::bundle::error_name(e)
        )?,
    }
    if let Some(agreement) = &p.agreement {
        writeln!(out, "  agreement with the signed items:")?;
        for a in agreement {
            let mark = match a.result() {
                "pass" => "pass",
                "fail" => "FAIL",
                _ => "n/a",
            };
            writeln!(out, "    {mark:<4}  {}{}", a.name, offending(&a.offending))?;
        }
    }
    let verdict = if p.passed() { "verified" } else { "FAILED" };
    writeln!(out, "  => {verdict}")
}

fn print_report(v: &Verdict, r: &TallyReport, out: &mut dyn Write) -> std::io::Result<()> {
    let c = &r.counts;
    let counts = format!(
        "{} for, {} against, {} abstain",
        c.for_, c.against, c.abstain
    );
    match r.outcome {
        Some(o) => writeln!(out, "  closed: {counts}; declared {}", o.name())?,
        None if r.closed => writeln!(out, "  closed: {counts}")?,
        None => writeln!(out, "  still open: provisional {counts}")?,
    }
    writeln!(out, "  checks:")?;
    for (name, result) in &r.checks {
        let mark = match result {
            CheckResult::Pass => "pass",
            CheckResult::Fail(_) => "FAIL",
            CheckResult::NotApplicable => "n/a",
        };
        writeln!(
            out,
            "    {mark:<4}  {}{}",
            name.name(),
            offending(result.offending())
        )?;
    }
    writeln!(out, "  table:")?;
    for (member, result) in &r.table {
        writeln!(out, "    {:<13} {}", result.name(), who(v, member))?;
    }
    for u in &r.uncounted {
        let reason = match u.reason {
            UncountedReason::Superseded => "superseded by a later ballot",
            UncountedReason::Late => "cast after the close (its voter had seen the close)",
            UncountedReason::Omitted => {
                "OMITTED: cast before the close (its voter had not seen it), left out by the close"
            }
        };
        writeln!(
            out,
            "  uncounted: ballot {} of {}, seq {}: {reason}",
            u.ballot,
            who(v, &u.voter),
            u.seq
        )?;
    }
    for x in &r.rejected {
        writeln!(out, "  rejected: {} ({})", x.item, x.reason.name())?;
    }
    for e in &r.evidence {
        let ids: Vec<String> = e.ballots.iter().map(|b| b.to_hex()).collect();
        writeln!(
            out,
            "  evidence: {} signed two choices with seq {}: {}",
            who(v, &e.voter),
            e.seq,
            ids.join(", ")
        )?;
    }
    Ok(())
}

/// ": a, b" for offending items, or nothing.
fn offending(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(": {}", items.join(", "))
    }
}

/// "Депутат 1 (8768c457)", or the key alone when the roster does not name it.
fn who(v: &Verdict, m: &MemberId) -> String {
    match v.names.get(m) {
        Some(name) => format!("{name} ({})", m.short()),
        None => m.to_hex(),
    }
}
