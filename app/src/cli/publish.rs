//! `council publish`: the council's public record as a static website.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::minutes::Lang;
use crate::profile::Profile;

/// Write the council's public record as a static website: agendas, adopted decisions, every
/// poll's named result and outcome, minutes (HTML and PDF), the signed bundle anyone can verify,
/// and a page explaining how. Opens from disk or any static web server. Personal notes, drafts
/// not yet submitted and unpublished agendas never leave.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The folder to write the site into (created if missing; its files are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// The site's language: uk, bg or en.
    #[arg(long, default_value = "uk")]
    pub lang: String,
}

/// Writes the site.
pub fn cmd_publish(
    profile: &Profile,
    args: PublishArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let lang = Lang::from_code(&args.lang)
        .ok_or_else(|| CliError::Usage(format!("--lang {}: use uk, bg or en", args.lang)))?;
    let node = profile.node()?;
    let site = crate::publish::publish(node.replica(), &args.out, lang, &mut |_| {})?;
    writeln!(
        out,
        "wrote {} files to {}: {} sessions, {} polls, {} decisions",
        site.files.len(),
        args.out.display(),
        site.sessions,
        site.polls,
        site.decisions
    )?;
    writeln!(
        out,
        "open {} in a browser, or serve the folder with any static web server",
        args.out.join("index.html").display()
    )?;
    Ok(())
}
