//! The search screen: the hits for the words typed into the top bar's search field, ranked, with
//! the matched words highlighted, filtered by kind. A click on a hit opens what it found.

use std::time::Duration;

use egui::text::{LayoutJob, TextFormat};
use egui::{Button, ProgressBar, RichText, ScrollArea, TextStyle, Ui, vec2};

use super::widgets::format_time;
use super::{Action, Cx};
use crate::i18n::Msg;
use crate::search::{Hit, Kind, Query, SearchService, ServiceStatus};

/// Marks put around matched words (private-use characters, which no council text contains).
const OPEN: &str = "\u{E000}";
const CLOSE: &str = "\u{E001}";

/// The kind filters offered, in order (`None`: every kind).
const FILTERS: [(Option<Kind>, Msg); 6] = [
    (None, Msg::FilterAll),
    (Some(Kind::Draft), Msg::FilterDrafts),
    (Some(Kind::Decision), Msg::FilterDecisions),
    (Some(Kind::Opinion), Msg::FilterOpinions),
    (Some(Kind::Amendment), Msg::FilterAmendments),
    (Some(Kind::Minutes), Msg::FilterMinutes),
];

/// What the hits were found for: the words, the filter, the engine's revision and what the
/// index was doing (a search is run again when any of them moves).
type Asked = (String, Option<Kind>, usize, ServiceStatus);

/// The search field's text and the search screen's state.
#[derive(Default)]
pub(crate) struct SearchView {
    /// The text of the top bar's search field.
    pub field: String,
    /// The words last submitted (Enter).
    words: String,
    /// Only hits of this kind.
    kind: Option<Kind>,
    /// The last hits, and what they were found for.
    hits: Option<(Asked, Result<Vec<Hit>, String>)>,
}

impl SearchView {
    /// Searches for what the field holds now.
    pub fn submit(&mut self) {
        self.words = self.field.trim().to_string();
        self.hits = None;
    }

    /// Draws the screen; `service` is `None` when this device has no search.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, service: Option<&SearchService>) {
        ui.label(RichText::new(cx.tr(Msg::SearchResults)).size(24.0).strong());
        let Some(service) = service else {
            ui.label(cx.tr(Msg::SearchUnavailable));
            return;
        };
        ui.horizontal_wrapped(|ui| {
            for (kind, msg) in FILTERS {
                let b = Button::selectable(self.kind == kind, cx.tr(msg)).min_size(vec2(0.0, 30.0));
                if ui.add(b).clicked() {
                    self.kind = kind;
                }
            }
        });
        let status = service.status();
        match &status {
            ServiceStatus::Indexing { done, total, .. } => {
                ui.horizontal(|ui| {
                    ui.label(cx.tr(Msg::Indexing));
                    let part = if *total == 0 {
                        0.0
                    } else {
                        *done as f32 / *total as f32
                    };
                    ui.add(
                        ProgressBar::new(part)
                            .desired_width(240.0)
                            .text(format!("{done} / {total}")),
                    );
                });
                ui.ctx().request_repaint_after(Duration::from_millis(100));
            }
            ServiceStatus::Failed(e) => {
                ui.label(format!("{} {e}", cx.tr(Msg::SearchFailed)));
            }
            ServiceStatus::Ready { .. } => {}
        }
        if self.words.is_empty() {
            ui.label(cx.tr(Msg::SearchHint));
            return;
        }
        let asked: Asked = (self.words.clone(), self.kind, cx.rev, status);
        if self.hits.as_ref().is_none_or(|(a, _)| *a != asked) {
            let q = Query {
                kind: self.kind,
                ..Query::text(&self.words)
            };
            let found = service.search(&q).map_err(|e| e.to_string());
            self.hits = Some((asked, found));
        }
        let Some((_, found)) = &self.hits else { return };
        let hits = match found {
            Err(e) => {
                ui.label(format!("{} {e}", cx.tr(Msg::SearchFailed)));
                return;
            }
            Ok(h) if h.is_empty() => {
                ui.label(cx.tr(Msg::NothingFound));
                return;
            }
            Ok(h) => h,
        };
        ui.separator();
        ScrollArea::vertical()
            .id_salt("search-hits")
            .show(ui, |ui| {
                for (i, hit) in hits.iter().enumerate() {
                    ui.push_id(i, |ui| hit_ui(ui, cx, hit));
                }
            });
    }
}

/// One hit: its title (a link to what it found), kind, status and date, and the snippet.
fn hit_ui(ui: &mut Ui, cx: &mut Cx<'_>, hit: &Hit) {
    let title = if hit.title.trim().is_empty() {
        cx.tr(hit.kind).to_string()
    } else {
        hit.title.clone()
    };
    let title = RichText::new(title).size(18.0).strong();
    match target(hit) {
        Some(action) => {
            if ui.link(title).clicked() {
                cx.push(action);
            }
        }
        None => {
            ui.label(title);
        }
    }
    let mut about = vec![cx.tr(hit.kind).to_string()];
    if let Some(s) = hit.status {
        about.push(cx.tr(s).to_string());
    }
    about.push(format_time(hit.date_ms));
    ui.label(RichText::new(about.join(" · ")).small());
    if !hit.snippet.trim().is_empty() {
        let job = highlighted(ui, &hit.snippet_marked(OPEN, CLOSE));
        ui.label(job);
    }
    ui.separator();
}

/// Where a click on `hit` leads: drafts and decisions (and the draft of an opinion or an
/// amendment) in the dossiers, minutes in the session screen, agendas in theirs.
fn target(hit: &Hit) -> Option<Action> {
    match hit.kind {
        Kind::Draft | Kind::Decision => Some(Action::OpenDraft(hit.id)),
        Kind::Opinion | Kind::Amendment => hit.draft.map(Action::OpenDraft),
        Kind::Minutes => Some(Action::OpenSession(hit.id)),
        Kind::Agenda => Some(Action::OpenAgenda(hit.id)),
        Kind::Note => None,
    }
}

/// The parts of `marked` (matches between [`OPEN`] and [`CLOSE`]), each with whether it matched.
fn parts(marked: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut rest = marked;
    while let Some(start) = rest.find(OPEN) {
        out.push((&rest[..start], false));
        let inside = &rest[start + OPEN.len()..];
        let end = inside.find(CLOSE).unwrap_or(inside.len());
        out.push((&inside[..end], true));
        rest = inside.get(end + CLOSE.len()..).unwrap_or_default();
    }
    out.push((rest, false));
    out.retain(|(s, _)| !s.is_empty());
    out
}

/// `marked` laid out with the matched words on the selection colour.
fn highlighted(ui: &Ui, marked: &str) -> LayoutJob {
    let font = TextStyle::Body.resolve(ui.style());
    let visuals = ui.visuals();
    let plain = TextFormat::simple(font.clone(), visuals.text_color());
    let matched = TextFormat {
        background: visuals.selection.bg_fill,
        color: visuals.strong_text_color(),
        ..TextFormat::simple(font, visuals.text_color())
    };
    let mut job = LayoutJob::default();
    job.wrap.max_width = ui.available_width();
    for (text, hit) in parts(marked) {
        let format = if hit { matched.clone() } else { plain.clone() };
        job.append(text, 0.0, format);
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_snippets_split_into_plain_and_matched_parts() {
        let s = format!("про {OPEN}бюджет{CLOSE} на {OPEN}рік{CLOSE}");
        assert_eq!(
            parts(&s),
            vec![
                ("про ", false),
                ("бюджет", true),
                (" на ", false),
                ("рік", true)
            ]
        );
        assert_eq!(parts("без збігів"), vec![("без збігів", false)]);
        assert_eq!(parts(&format!("{OPEN}обірване")), vec![("обірване", true)]);
    }
}
