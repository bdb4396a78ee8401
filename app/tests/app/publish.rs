//! `council publish`: the public record as a static site. It holds every poll's named result,
//! the minutes and a bundle that verifies; it never holds a personal note or a draft its
//! authors have not submitted; its links work, in a real browser too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use council_app::bundle::Bundle;
use council_app::demo::{Demo, DemoConfig};
use council_app::engine::{Command, Engine};
use council_app::minutes::Lang;
use council_sync::Node;
use crdt_model::replica::Item;

const SECRET_NOTE: &str = "Особиста нотатка: не для публікації 7f3a";
const SECRET_DRAFT: &str = "Чернетка, ще не подана: бюджет резервного фонду 9c1e";

/// A council that held the demo's session, plus a personal note and an unsubmitted draft on
/// the secretary's device. Returns the secretary's store.
fn record(dir: &Path) -> PathBuf {
    let demo = Demo::start(DemoConfig {
        dir: dir.to_path_buf(),
        pace: Duration::ZERO,
        player: None,
    })
    .expect("demo starts");
    demo.finish().expect("demo session held");
    let store = dir.join("peer-00.redb");
    let node = Node::open(&store).expect("secretary's store");
    let secretary = Engine::local(node);
    secretary
        .run(Command::CreateNote {
            title: "Нотатка".into(),
            body: SECRET_NOTE.into(),
        })
        .expect("a note");
    secretary
        .run(Command::CreateDraft {
            title: "Незавершений проєкт".into(),
            body: SECRET_DRAFT.into(),
        })
        .expect("a draft kept to its author");
    store
}

fn publish(store: &Path, out: &Path) -> council_app::publish::Published {
    let node = Node::open(store).expect("reopens");
    council_app::publish::publish(node.replica(), out, Lang::Uk, &mut |_| {}).expect("published")
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).expect("file")).into_owned()
}

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

fn poll_pages(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out)
        .expect("site")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("poll-"))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_site_shows_every_polls_named_table_and_never_anything_private() {
    let dir = tempfile::tempdir().expect("dir");
    let store = record(dir.path());
    let out = dir.path().join("site");
    let site = publish(&store, &out);
    assert_eq!(site.sessions, 1);
    assert!(site.polls >= 1);
    for f in [
        "index.html",
        "verify.html",
        "council-bundle.json",
        "style.css",
        "verify.py",
    ] {
        assert!(out.join(f).exists(), "{f} is written");
    }

    let polls = poll_pages(&out);
    assert_eq!(polls.len(), site.polls);
    let poll = read(&polls[0]);
    assert!(poll.contains("<table class=\"named\">"), "the named table");
    assert!(poll.contains("<td>Депутат 1</td>"), "members by name");
    assert!(
        poll.contains("Прийнято") || poll.contains("Не прийнято"),
        "the outcome"
    );
    assert!(poll.contains("class=\"verified\""), "the verification mark");
    assert!(
        out.join(
            links(&read(&out.join("index.html")))
                .into_iter()
                .find(|l| l.starts_with("session-"))
                .expect("a session link")
        )
        .exists()
    );

    // Nothing private, in any file: not the note's text, not the unsubmitted draft's.
    for entry in std::fs::read_dir(&out).expect("site") {
        let path = entry.expect("entry").path();
        let text = read(&path);
        assert!(
            !text.contains(SECRET_NOTE),
            "{} holds the note",
            path.display()
        );
        assert!(
            !text.contains(SECRET_DRAFT),
            "{} holds the draft",
            path.display()
        );
        assert!(
            !text.contains("Незавершений проєкт"),
            "{} names the draft",
            path.display()
        );
    }
    // Nor in the bundle's signed items (their text is compressed inside the changes).
    let node = Node::open(&store).expect("reopens");
    let private: BTreeSet<_> = node
        .replica()
        .log()
        .state()
        .documents
        .keys()
        .filter(|id| !council_app::publish::is_public(node.replica(), id))
        .copied()
        .collect();
    assert!(private.len() >= 2, "the note and the draft are private");
    let bundle = Bundle::parse(&std::fs::read(out.join("council-bundle.json")).expect("bundle"))
        .expect("the bundle parses");
    assert!(
        !bundle
            .items
            .iter()
            .any(|i| matches!(i, Item::Change(c) if private.contains(&c.doc()))),
        "no change of a private document is in the bundle"
    );
    assert!(bundle.verify().passed(), "the public bundle verifies");
}

#[test]
fn every_link_of_the_site_leads_to_a_page_it_holds() {
    let dir = tempfile::tempdir().expect("dir");
    let store = record(dir.path());
    let out = dir.path().join("site");
    let site = publish(&store, &out);
    for name in site.files.iter().filter(|f| f.ends_with(".html")) {
        let html = read(&out.join(name));
        for link in links(&html) {
            assert!(
                !link.starts_with("http") && !link.starts_with('/'),
                "{name} links outside the site: {link}"
            );
            assert!(out.join(&link).exists(), "{name} links to missing {link}");
        }
    }
    // The same record gives the same site, byte for byte.
    let again = dir.path().join("again");
    publish(&store, &again);
    for name in &site.files {
        assert_eq!(
            std::fs::read(out.join(name)).expect("first"),
            std::fs::read(again.join(name)).expect("second"),
            "{name} differs between two runs"
        );
    }
}

/// Headless Chromium (Debian's `chromium`), or `None` when it is not installed and not
/// required (CI sets `COUNCIL_REQUIRE_CHROMIUM=1` after installing it).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .map(|n| Path::new("/usr/bin").join(n))
        .find(|p| p.exists());
    if found.is_none() && std::env::var_os("COUNCIL_REQUIRE_CHROMIUM").is_some() {
        panic!("COUNCIL_REQUIRE_CHROMIUM is set but no chromium is installed");
    }
    found
}

fn dump_dom(browser: &Path, page: &Path, profile: &Path) -> String {
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed on {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn headless_chromium_shows_a_polls_named_table_and_outcome_and_follows_the_links() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium installed (CI installs it and requires this test)");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let store = record(dir.path());
    let out = dir.path().join("site");
    publish(&store, &out);
    let profile = dir.path().join("chromium-profile");
    let poll = poll_pages(&out).into_iter().next().expect("a poll page");
    let dom = dump_dom(&browser, &poll, &profile);
    assert!(
        dom.contains("class=\"named\""),
        "the named table is in the DOM"
    );
    assert!(dom.contains("Депутат 1"), "rendered with Cyrillic names");
    assert!(
        dom.contains("class=\"outcome\""),
        "the outcome is in the DOM"
    );
    let rows = dom.matches("<tr>").count();
    assert!(rows >= 17, "a row per member and the header: {rows}");
    // From the index, every link opens a page of the site in the browser.
    let index = out.join("index.html");
    let dom = dump_dom(&browser, &index, &profile);
    let targets: Vec<String> = links(&dom)
        .into_iter()
        .filter(|l| l.ends_with(".html"))
        .collect();
    assert!(!targets.is_empty());
    for t in targets {
        let page = dump_dom(&browser, &out.join(&t), &profile);
        assert!(page.contains("<main>"), "{t} opens as a page of the site");
    }
}
