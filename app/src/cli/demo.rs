//! `council demo`: the demo council, in the app or headless.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use clap::Args;

use super::CliError;
use crate::demo::{Demo, DemoConfig, PeerTally};
use crate::host::{DesktopHost, Host};

/// Start a demo council inside this process: the council's relay on loopback and fifteen
/// deputies, a chair and a secretary who really run the protocol (drafts, an opinion, an
/// amendment, the agenda, a live session with registrations, requests to speak and signed
/// votes). Opens the app as one deputy; nothing is kept after it closes.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run without a window: the simulated council holds its session with nobody playing, then
    /// every peer's verified tally is printed and compared (non-zero exit if they differ).
    #[arg(long)]
    pub headless: bool,
    /// Pause between two simulated actions, in milliseconds (the window's default is 700).
    #[arg(long)]
    pub pace_ms: Option<u64>,
}

/// Runs the demo.
pub fn cmd_demo(args: DemoArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.headless {
        let tallies = run_headless(Duration::from_millis(args.pace_ms.unwrap_or(0)))?;
        return report(&tallies, out);
    }
    let dir = tempfile::Builder::new()
        .prefix("council-demo-host-")
        .tempdir()
        .map_err(CliError::Output)?;
    let mut host = DesktopHost::new(dir.path()).map_err(CliError::Demo)?;
    let engine = host.demo().map_err(CliError::Demo)?;
    crate::ui::run_native(Box::new(host), Some(engine))
        .map_err(|e| CliError::Demo(format!("the window could not open: {e}")))
}

/// Runs the demo with nobody playing and returns every peer's tallies.
pub fn run_headless(pace: Duration) -> Result<Vec<PeerTally>, CliError> {
    let dir = tempfile::Builder::new()
        .prefix("council-demo-")
        .tempdir()
        .map_err(CliError::Output)?;
    let demo = Demo::start(DemoConfig {
        dir: dir.path().to_path_buf(),
        pace,
        player: None,
    })
    .map_err(|e| CliError::Demo(e.to_string()))?;
    demo.finish().map_err(|e| CliError::Demo(e.to_string()))
}

/// Prints each poll's tally once, with how many peers hold it verified; fails unless every
/// peer holds the same verified tally of every poll.
fn report(tallies: &[PeerTally], out: &mut dyn Write) -> Result<(), CliError> {
    let peers: std::collections::BTreeSet<&str> = tallies.iter().map(|t| t.peer.as_str()).collect();
    let mut by_poll: BTreeMap<&str, BTreeMap<String, Vec<&str>>> = BTreeMap::new();
    for t in tallies {
        let line = format!(
            "{} for, {} against, {} abstain: {}{}",
            t.counts.0,
            t.counts.1,
            t.counts.2,
            t.outcome.map(|o| o.name()).unwrap_or("no outcome"),
            if t.verified {
                ", verified"
            } else {
                ", NOT VERIFIED"
            },
        );
        by_poll
            .entry(t.poll.as_str())
            .or_default()
            .entry(line)
            .or_default()
            .push(t.peer.as_str());
    }
    let mut agree = !by_poll.is_empty();
    for (poll, lines) in &by_poll {
        writeln!(out, "poll \"{poll}\":")?;
        for (line, holders) in lines {
            writeln!(
                out,
                "  {line} — held by {} of {} peers",
                holders.len(),
                peers.len()
            )?;
        }
        agree &= lines.len() == 1
            && lines.values().all(|h| h.len() == peers.len())
            && lines.keys().all(|l| l.ends_with(", verified"));
    }
    if agree {
        writeln!(
            out,
            "every one of the {} peers holds the same verified tally of every poll",
            peers.len()
        )?;
        Ok(())
    } else {
        Err(CliError::Demo(
            "the peers do not all hold the same verified tally (see above)".into(),
        ))
    }
}
