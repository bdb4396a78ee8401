//! The draft editor: the widget deputies type a draft decision into.
//!
//! A draft is a CRDT text; the editor reports every local change as [`Splice`]s in Unicode code
//! points (`char`s, not bytes) so the caller can apply them to the automerge document, and takes
//! others' changes with [`DraftEditor::set_text`].
//!
//! # Why it stays fast on a 1 MB draft
//!
//! A plain multiline [`egui::TextEdit`] owns the whole text: every keystroke copies it, hashes it
//! and lays it out again, so its cost grows with the draft. This editor keeps the text as lines
//! (paragraphs) and does per frame only the work the screen shows:
//!
//! - **Fixed-height rows, no wrapping.** Every line is one row of the same height, so
//!   [`egui::ScrollArea::show_rows`] knows which lines are visible from the scroll offset alone,
//!   and only those are laid out and painted. Wrapped lines would need a height per line, known
//!   only after laying out every line (or estimated and corrected while scrolling); fixed rows make
//!   scrolling exact and free. A long paragraph is clipped at the right edge (only the characters
//!   that can fit are laid out); the line being edited scrolls sideways to follow the cursor.
//! - **One [`egui::TextEdit`], on the cursor's line.** Other lines are painted galleys (egui caches
//!   their layout). Keys that cross lines — Enter, Backspace at the start, Delete at the end,
//!   arrows at either end, Up/Down/PageUp/PageDown, a paste with newlines — and the ordinary typing
//!   keys are applied by the editor itself, in the order they arrived, before the `TextEdit` runs:
//!   letting the `TextEdit` apply some keys of a frame and the editor the others would reorder
//!   them. The `TextEdit` still shows the line, its cursor and selection, handles the mouse, input
//!   methods (IME) and accessibility requests; the edits it makes itself go through a recording
//!   buffer that turns them into splices too.
//! - **Offsets in O(log lines).** A [`Fenwick`] tree over the line lengths gives the char offset of
//!   a line for a splice in O(log n), and a point update keeps it right after a keystroke. Enter and
//!   line joins insert into or remove from the line vector and rebuild the tree: O(lines) pointer
//!   moves, about 10 µs for 10,000 lines, never O(chars).
//!
//! Limits of this first version: a selection stays within one line (Shift+arrows across a line
//! boundary move the cursor without selecting); undo (Ctrl+Z) is not handled here, it belongs to
//! the document's history; a single line of many thousands of characters is laid out whole while
//! the cursor is on it; an input method's composition is sent as splices while it is composed
//! (egui's `TextEdit` keeps it in the text).

use std::any::TypeId;
use std::ops::Range;
use std::sync::Arc;

use egui::text::{CCursor, CCursorRange, CharIndex, Galley, LayoutJob};
use egui::text_edit::TextEditState;
use egui::text_selection::text_cursor_state::{ccursor_next_word, ccursor_previous_word};
use egui::{
    Align2, Color32, Event, FontId, Frame, Id, IdSalt, Key, Modifiers, Rect, Role, ScrollArea,
    Sense, TextBuffer, TextEdit, TextStyle, Ui, UiBuilder, WidgetInfo, os::OperatingSystem, pos2,
    style::ScrollAnimation, vec2,
};

/// Extra height of a row over the height of its text, in points.
const ROW_PADDING: f32 = 4.0;
/// Space on each side of the line numbers, in points.
const GUTTER_PADDING: f32 = 6.0;
/// No glyph of the body font is narrower than this many points: a line is laid out only up to
/// `width / MIN_GLYPH_WIDTH` characters, the most that can be seen without scrolling sideways.
const MIN_GLYPH_WIDTH: f32 = 2.0;

/// One change to a draft's text: delete `del` chars at `pos`, then insert `insert` there.
///
/// Positions count Unicode code points (`char`s) over the whole text, lines joined by `'\n'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splice {
    /// Where the change starts, in chars from the start of the text.
    pub pos: usize,
    /// How many chars are deleted at `pos`.
    pub del: usize,
    /// What is inserted at `pos` after the deletion.
    pub insert: String,
}

/// A [`Splice`] that reaches past the end of the text it is applied to.
#[derive(Debug, thiserror::Error)]
#[error("a splice deleting {del} chars at {pos} does not fit a text of {len} chars")]
pub struct SpliceOutOfRange {
    /// The splice's position.
    pub pos: usize,
    /// The splice's deletion length.
    pub del: usize,
    /// The length of the text, in chars.
    pub len: usize,
}

impl Splice {
    /// Applies this splice to `text`; on error `text` is unchanged.
    pub fn apply_to(&self, text: &mut String) -> Result<(), SpliceOutOfRange> {
        let out_of_range = || SpliceOutOfRange {
            pos: self.pos,
            del: self.del,
            len: text.chars().count(),
        };
        let end = self.pos.checked_add(self.del).ok_or_else(out_of_range)?;
        let start_byte = byte_index(text, self.pos).ok_or_else(out_of_range)?;
        let end_byte = byte_index(text, end).ok_or_else(out_of_range)?;
        text.replace_range(start_byte..end_byte, &self.insert);
        Ok(())
    }
}

/// The byte index of char `chars` of `text`, `None` past the end.
fn byte_index(text: &str, chars: usize) -> Option<usize> {
    if chars == 0 {
        return Some(0);
    }
    match text.char_indices().nth(chars) {
        Some((byte, _)) => Some(byte),
        None => (text.chars().count() == chars).then_some(text.len()),
    }
}

/// The byte index of char `chars` of `text`, clamped to its end.
fn byte_index_clamped(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

/// `text` with `"\r\n"` and lone `'\r'` turned into `'\n'`.
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Prefix sums over a sequence of counts (a Fenwick or binary indexed tree): the sum of the first
/// `i` counts and a point update in O(log n).
#[derive(Clone, Debug, Default)]
struct Fenwick {
    /// Node `i` holds the sum of the values in `(i & (i + 1))..=i`.
    tree: Vec<usize>,
}

impl Fenwick {
    /// Builds the tree over `values` in O(n).
    fn build(values: impl Iterator<Item = usize>) -> Self {
        let mut tree: Vec<usize> = values.collect();
        for i in 0..tree.len() {
            let parent = i | (i + 1);
            if parent < tree.len() {
                tree[parent] += tree[i];
            }
        }
        Self { tree }
    }

    /// The sum of the first `end` values.
    fn prefix(&self, end: usize) -> usize {
        let mut i = end.min(self.tree.len());
        let mut sum = 0;
        while i > 0 {
            sum += self.tree[i - 1];
            i &= i - 1;
        }
        sum
    }

    /// Adds `delta` to value `index`.
    fn add(&mut self, index: usize, delta: isize) {
        let mut i = index;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add_signed(delta);
            i |= i + 1;
        }
    }

    /// The largest `i` with `prefix(i) <= target`, and `target - prefix(i)`.
    fn locate(&self, target: usize) -> (usize, usize) {
        let n = self.tree.len();
        let mut pos = 0;
        let mut rest = target;
        let mut step = n.checked_next_power_of_two().unwrap_or(0);
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next - 1] <= rest {
                pos = next;
                rest -= self.tree[next - 1];
            }
            step /= 2;
        }
        (pos, rest)
    }
}

/// Where the cursor is: a line, and a selection within it (columns in chars).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cursor {
    /// The line the cursor is on.
    line: usize,
    /// The column of the cursor (the moving end of the selection).
    col: usize,
    /// The other end of the selection; equal to `col` when nothing is selected.
    anchor: usize,
    /// The column Up/Down aim for, kept while moving over shorter lines.
    goal: Option<usize>,
}

impl Cursor {
    /// The selected columns, in order.
    fn selection(&self) -> Range<usize> {
        self.col.min(self.anchor)..self.col.max(self.anchor)
    }
}

/// A draft decision's text editor, virtualized so that big drafts stay fast (see the module docs).
///
/// ```no_run
/// # fn ui(ui: &mut egui::Ui, editor: &mut council_app::ui::editor::DraftEditor) {
/// for splice in editor.show(ui, false) {
///     // apply `splice` to the draft's CRDT document
/// #   let _ = splice;
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct DraftEditor {
    /// The text, split at `'\n'` (never empty: an empty text is one empty line).
    lines: Vec<String>,
    /// The length of each line, in chars.
    lens: Vec<usize>,
    /// Prefix sums over `lens[i] + 1` (the line and its newline): line `i` starts at `prefix(i)`.
    starts: Fenwick,
    /// The length of the text, in chars.
    len_chars: usize,
    cursor: Cursor,
    id_salt: IdSalt,
    /// Set by [`Self::request_focus`], acted on by the next [`Self::show`].
    focus_requested: bool,
    /// The cursor moved to another line: scroll it into view in the next [`Self::show`].
    scroll_to_cursor: bool,
    /// How many rows PageUp/PageDown move: the rows the last frame showed.
    page_rows: usize,
}

impl Default for DraftEditor {
    fn default() -> Self {
        Self::new("")
    }
}

impl DraftEditor {
    /// An editor over `text`, the cursor at its start.
    pub fn new(text: &str) -> Self {
        let mut editor = Self {
            lines: Vec::new(),
            lens: Vec::new(),
            starts: Fenwick::default(),
            len_chars: 0,
            cursor: Cursor::default(),
            id_salt: IdSalt::new("draft_editor"),
            focus_requested: false,
            scroll_to_cursor: false,
            page_rows: 20,
        };
        editor.load(text);
        editor
    }

    /// Uses `salt` for this editor's ids: needed when two editors share a `Ui`.
    pub fn with_id_salt(mut self, salt: impl egui::AsIdSalt) -> Self {
        self.id_salt = IdSalt::new(salt);
        self
    }

    /// The whole text, lines joined by `'\n'`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// How many lines the text has (an empty text has one).
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Line `index`, without its newline.
    pub fn line(&self, index: usize) -> Option<&str> {
        self.lines.get(index).map(String::as_str)
    }

    /// The length of the text, in chars.
    pub fn len_chars(&self) -> usize {
        self.len_chars
    }

    /// The cursor's line and column (in chars).
    pub fn cursor(&self) -> (usize, usize) {
        (self.cursor.line, self.cursor.col)
    }

    /// Puts the cursor at `line`, `col` (both clamped), selecting nothing, and scrolls to it.
    pub fn set_cursor(&mut self, line: usize, col: usize) {
        let line = line.min(self.lines.len() - 1);
        let col = col.min(self.lens[line]);
        self.cursor = Cursor {
            line,
            col,
            anchor: col,
            goal: None,
        };
        self.scroll_to_cursor = true;
    }

    /// Gives the editor keyboard focus in the next [`Self::show`].
    pub fn request_focus(&mut self) {
        self.focus_requested = true;
    }

    /// Replaces the text with `text` that came from elsewhere (others' changes); emits no splice.
    ///
    /// The cursor is carried through the change: the common start and end of the old and new
    /// text are found, a cursor before the changed part stays where it is, one after it moves with
    /// the text that follows, one inside it goes to the end of the new part. So when a colleague
    /// inserts a paragraph above, the cursor stays in the paragraph being edited rather than on the
    /// same line number.
    pub fn set_text(&mut self, text: &str) {
        let old = self.text();
        if old == text {
            return;
        }
        let head = self.offset(self.cursor.line, self.cursor.col);
        let anchor = self.offset(self.cursor.line, self.cursor.anchor);
        let prefix = old
            .chars()
            .zip(text.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let (old_len, new_len) = (self.len_chars, text.chars().count());
        let suffix = old
            .chars()
            .rev()
            .zip(text.chars().rev())
            .take_while(|(a, b)| a == b)
            .count()
            .min(old_len.min(new_len) - prefix);
        let (old_end, new_end) = (old_len - suffix, new_len - suffix);
        let map = |x: usize| {
            if x <= prefix {
                x
            } else if x >= old_end {
                x - old_end + new_end
            } else {
                x.min(new_end)
            }
        };
        let (head, anchor) = (map(head), map(anchor));
        let goal = self.cursor.goal;
        self.load(text);
        let (line, col) = self.line_col(head);
        let (anchor_line, anchor_col) = self.line_col(anchor);
        self.cursor = Cursor {
            line,
            col,
            anchor: if anchor_line == line { anchor_col } else { col },
            goal,
        };
    }

    /// Shows the editor; returns the changes made in this frame, in order, each against the text
    /// as it was after the previous one. `read_only` shows the lines without a cursor.
    pub fn show(&mut self, ui: &mut Ui, read_only: bool) -> Vec<Splice> {
        let mut splices = Vec::new();
        let id = ui.make_persistent_id(self.id_salt);
        let edit_id = id.with("cursor_line");
        let font_id = TextStyle::Body.resolve(ui.style());
        let text_height = ui.fonts_mut(|f| f.row_height(&font_id));
        let row_height = (text_height + ROW_PADDING)
            .max(ui.spacing().interact_size.y)
            .round();
        let editable = !read_only;

        if editable {
            if std::mem::take(&mut self.focus_requested) {
                ui.memory_mut(|m| m.request_focus(edit_id));
                self.scroll_to_cursor = true;
            }
            if ui.memory(|m| m.has_focus(edit_id)) {
                let os = ui.ctx().os();
                let mut copied = None;
                ui.ctx().input_mut(|input| {
                    input
                        .events
                        .retain(|event| !self.handle_event(event, os, &mut splices, &mut copied));
                });
                if let Some(text) = copied {
                    ui.ctx().copy_text(text);
                }
            }
        }

        let digits = self.lines.len().to_string().len().max(2);
        let digit_width = ui.fonts_mut(|f| f.glyph_width(&font_id, '0'));
        let view = RowView {
            id,
            edit_id,
            font_id,
            row_height,
            gutter_width: (digits as f32 * digit_width + 2.0 * GUTTER_PADDING).ceil(),
            text_color: ui.visuals().text_color(),
            weak_color: ui.visuals().weak_text_color(),
            editable,
            focused: editable && ui.memory(|m| m.has_focus(edit_id)),
        };
        let scroll_to_cursor = std::mem::take(&mut self.scroll_to_cursor);

        ui.scope(|ui| {
            ui.spacing_mut().item_spacing.y = 0.0;
            let output = ScrollArea::vertical()
                .id_salt(id.with("scroll"))
                .auto_shrink(false)
                .show_rows(ui, row_height, self.lines.len(), |ui, rows| {
                    self.show_rows(ui, &view, rows, scroll_to_cursor, &mut splices);
                });
            self.page_rows = ((output.inner_rect.height() / row_height) as usize).max(1);
        });
        splices
    }

    /// Draws `rows` (and the cursor's line if it has focus, even when scrolled out of view, so
    /// that it keeps the focus).
    fn show_rows(
        &mut self,
        ui: &mut Ui,
        view: &RowView,
        rows: Range<usize>,
        scroll_to_cursor: bool,
        splices: &mut Vec<Splice>,
    ) {
        let top = ui.max_rect().top() - rows.start as f32 * view.row_height;
        let x_range = ui.max_rect().x_range();
        let row_rect = |row: usize| {
            let y = top + row as f32 * view.row_height;
            Rect::from_x_y_ranges(x_range, y..=y + view.row_height)
        };
        let text_width = (x_range.span() - view.gutter_width).max(0.0);
        let max_chars = (text_width / MIN_GLYPH_WIDTH) as usize + 1;

        // Clicks first, so that a clicked line is drawn with the `TextEdit` in this same frame.
        let mut clicked = None;
        for row in rows.clone() {
            if view.editable && row == self.cursor.line {
                continue;
            }
            let line = self.lines[row].as_str();
            let sense = if view.editable {
                Sense::click()
            } else {
                Sense::hover()
            };
            let mut response = ui.interact(row_rect(row), view.id.with(("row", row)), sense);
            if view.editable {
                response = response.on_hover_cursor(egui::CursorIcon::Text);
            }
            response.widget_info(|| WidgetInfo::labeled(Role::Label, true, line));
            if view.editable
                && response.clicked()
                && let Some(pointer) = response.interact_pointer_pos()
            {
                clicked = Some((row, pointer));
            }
        }
        if let Some((row, pointer)) = clicked {
            let text_rect = view.text_rect(row_rect(row));
            let galley = view.galley(ui, &self.lines[row], max_chars);
            let col = if pointer.x < text_rect.left() {
                0
            } else {
                galley
                    .cursor_from_pos(pointer - view.galley_pos(text_rect, &galley))
                    .index
                    .0
            };
            self.set_cursor(row, col);
            self.scroll_to_cursor = false;
        }

        for row in rows.clone() {
            let rect = row_rect(row);
            let is_cursor_line = view.editable && row == self.cursor.line;
            if is_cursor_line {
                let fill = if view.focused {
                    ui.visuals().extreme_bg_color
                } else {
                    ui.visuals().faint_bg_color
                };
                ui.painter().rect_filled(rect, 0.0, fill);
            }
            ui.painter().text(
                pos2(
                    rect.left() + view.gutter_width - GUTTER_PADDING,
                    rect.center().y,
                ),
                Align2::RIGHT_CENTER,
                (row + 1).to_string(),
                view.font_id.clone(),
                if is_cursor_line {
                    view.text_color
                } else {
                    view.weak_color
                },
            );
            let text_rect = view.text_rect(rect);
            if is_cursor_line {
                self.show_cursor_line(ui, view, text_rect, splices);
            } else if ui.is_rect_visible(text_rect) {
                let galley = view.galley(ui, &self.lines[row], max_chars);
                let pos = view.galley_pos(text_rect, &galley);
                ui.painter()
                    .with_clip_rect(text_rect.intersect(ui.clip_rect()))
                    .galley(pos, galley, view.text_color);
            }
        }
        if view.focused && !rows.contains(&self.cursor.line) {
            let rect = view.text_rect(row_rect(self.cursor.line));
            self.show_cursor_line(ui, view, rect, splices);
        }
        if clicked.is_some() {
            // The `TextEdit` gave up its focus when the click landed elsewhere: take it back.
            ui.memory_mut(|m| m.request_focus(view.edit_id));
            ui.ctx().request_repaint();
        }
        if scroll_to_cursor {
            ui.scroll_to_rect_animation(row_rect(self.cursor.line), None, ScrollAnimation::none());
        }
    }

    /// Shows the cursor's line in a single-line `TextEdit` filling `text_rect`, and takes back
    /// the cursor, the selection and any change the `TextEdit` made.
    fn show_cursor_line(
        &mut self,
        ui: &mut Ui,
        view: &RowView,
        text_rect: Rect,
        splices: &mut Vec<Splice>,
    ) {
        let line = self.cursor.line;
        let ctx = ui.ctx().clone();
        let mut state = TextEditState::load(&ctx, view.edit_id).unwrap_or_default();
        let ours = CCursorRange::two(
            CCursor::new(self.cursor.anchor),
            CCursor::new(self.cursor.col),
        );
        let theirs = state.cursor.char_range();
        if theirs.is_none_or(|r| {
            (r.primary.index, r.secondary.index) != (ours.primary.index, ours.secondary.index)
        }) {
            state.cursor.set_char_range(Some(ours));
            state.store(&ctx, view.edit_id);
        }

        let first_new = splices.len();
        let base = self.line_start(line);
        let mut buffer = RecordingLine {
            text: &mut self.lines[line],
            base,
            splices,
        };
        let output = ui
            .scope_builder(UiBuilder::new().max_rect(text_rect), |ui| {
                TextEdit::singleline(&mut buffer)
                    .id(view.edit_id)
                    .font(view.font_id.clone())
                    .text_color(view.text_color)
                    .frame(Frame::NONE)
                    .desired_width(text_rect.width())
                    .min_size(vec2(0.0, text_rect.height()))
                    .align(Align2::LEFT_CENTER)
                    .return_key(None)
                    .show(ui)
            })
            .inner;
        output
            .response
            .response
            .accessible_name(format!("Draft text, line {}", line + 1));

        if buffer.splices.len() > first_new {
            // Input methods and accessibility requests edit through the `TextEdit`.
            self.after_line_edit(line);
        }
        if let Some(range) = output.state.cursor.char_range() {
            let len = self.lens[self.cursor.line];
            let (col, anchor) = (
                range.primary.index.0.min(len),
                range.secondary.index.0.min(len),
            );
            if (col, anchor) != (self.cursor.col, self.cursor.anchor) {
                self.cursor.col = col;
                self.cursor.anchor = anchor;
                self.cursor.goal = None;
            }
        }
    }

    /// Takes in a change the `TextEdit` made to `line`: its length, and new lines if it inserted
    /// a newline (a splice can carry one; the line is split so that each line has none).
    fn after_line_edit(&mut self, line: usize) {
        if self.lines[line].contains('\n') {
            let parts: Vec<String> = self.lines[line].split('\n').map(str::to_owned).collect();
            let lens: Vec<usize> = parts.iter().map(|p| p.chars().count()).collect();
            self.lines.splice(line..=line, parts);
            self.lens.splice(line..=line, lens);
            self.rebuild_starts();
        } else {
            let len = self.lines[line].chars().count();
            self.set_len(line, len);
        }
        self.len_chars = self.starts.prefix(self.lines.len()) - 1;
    }

    /// Applies one input event to the text and the cursor; returns whether the editor took it
    /// (and it should be hidden from the `TextEdit`). A copied text goes to `copied`.
    fn handle_event(
        &mut self,
        event: &Event,
        os: OperatingSystem,
        splices: &mut Vec<Splice>,
        copied: &mut Option<String>,
    ) -> bool {
        match event {
            Event::Text(text) if text.is_empty() => false,
            // Enter arrives as `Key::Enter`; some platforms also send it as text.
            Event::Text(text) if text == "\n" || text == "\r" => true,
            Event::Paste(text) if text.is_empty() => true,
            Event::Text(text) | Event::Paste(text) => {
                self.replace_selection(&normalize_newlines(text), splices);
                true
            }
            Event::Copy => {
                if let Some(selected) = self.selected_text() {
                    *copied = Some(selected.to_owned());
                }
                true
            }
            Event::Cut => {
                if let Some(selected) = self.selected_text() {
                    *copied = Some(selected.to_owned());
                    self.replace_selection("", splices);
                }
                true
            }
            Event::Key {
                key,
                pressed: true,
                modifiers,
                ..
            } => self.handle_key(*key, *modifiers, os, splices),
            _ => false,
        }
    }

    /// Applies a key press; returns whether the editor took it.
    fn handle_key(
        &mut self,
        key: Key,
        m: Modifiers,
        os: OperatingSystem,
        splices: &mut Vec<Splice>,
    ) -> bool {
        // Alt on a Mac, Ctrl elsewhere, moves or deletes by word; Cmd on a Mac to the line's end.
        let by_word = m.alt || m.ctrl;
        let Cursor {
            line, col, anchor, ..
        } = self.cursor;
        let len = self.lens[line];
        let goal = self.cursor.goal;
        match key {
            Key::Enter if !(m.ctrl || m.alt || m.command || m.mac_cmd) => {
                self.replace_selection("\n", splices);
            }
            Key::Backspace => {
                if col != anchor {
                    self.replace_selection("", splices);
                } else if col > 0 {
                    let from = if m.mac_cmd {
                        0
                    } else if by_word {
                        self.previous_word(line, col)
                    } else {
                        col - 1
                    };
                    self.cursor.anchor = from;
                    self.replace_selection("", splices);
                } else if line > 0 {
                    self.cursor = self.at(line - 1, self.lens[line - 1]);
                    self.join_with_next(line - 1, splices);
                }
            }
            // Shift+Delete is Cut on Windows, which comes as its own event.
            Key::Delete if m.shift && os == OperatingSystem::Windows => return false,
            Key::Delete => {
                if col != anchor {
                    self.replace_selection("", splices);
                } else if col < len {
                    self.cursor.anchor = if m.mac_cmd {
                        len
                    } else if by_word {
                        self.next_word(line, col)
                    } else {
                        col + 1
                    };
                    self.replace_selection("", splices);
                } else if line + 1 < self.lines.len() {
                    self.join_with_next(line, splices);
                }
            }
            Key::ArrowLeft => {
                if col != anchor && m.is_none() {
                    self.cursor = self.at(line, col.min(anchor));
                } else if col > 0 {
                    let to = if m.mac_cmd {
                        0
                    } else if by_word {
                        self.previous_word(line, col)
                    } else {
                        col - 1
                    };
                    self.move_in_line(to, m.shift);
                } else if line > 0 {
                    self.move_to(line - 1, self.lens[line - 1]);
                } else {
                    self.cursor = self.at(0, 0);
                }
            }
            Key::ArrowRight => {
                if col != anchor && m.is_none() {
                    self.cursor = self.at(line, col.max(anchor));
                } else if col < len {
                    let to = if m.mac_cmd {
                        len
                    } else if by_word {
                        self.next_word(line, col)
                    } else {
                        col + 1
                    };
                    self.move_in_line(to, m.shift);
                } else if line + 1 < self.lines.len() {
                    self.move_to(line + 1, 0);
                } else {
                    self.cursor = self.at(line, len);
                }
            }
            Key::Home if m.ctrl => self.move_to(0, 0),
            Key::End if m.ctrl => self.move_to(self.lines.len() - 1, self.last_len()),
            Key::Home => self.move_in_line(0, m.shift),
            Key::End => self.move_in_line(len, m.shift),
            Key::ArrowUp if m.command => self.move_to(0, 0),
            Key::ArrowDown if m.command => {
                self.move_to(self.lines.len() - 1, self.last_len());
            }
            Key::ArrowUp => self.move_vertically(-1, goal.unwrap_or(col)),
            Key::ArrowDown => self.move_vertically(1, goal.unwrap_or(col)),
            Key::PageUp => self.move_vertically(-(self.page_rows as isize), goal.unwrap_or(col)),
            Key::PageDown => self.move_vertically(self.page_rows as isize, goal.unwrap_or(col)),
            // Select all: the selection stays within one line, so the line.
            Key::A if m.command => {
                self.cursor = Cursor {
                    line,
                    col: len,
                    anchor: 0,
                    goal: None,
                };
            }
            // Undo and redo belong to the draft's history, not to one line's `TextEdit`.
            Key::Z | Key::Y if m.command => {}
            _ => return false,
        }
        true
    }

    /// A cursor at `line`, `col` selecting nothing.
    fn at(&self, line: usize, col: usize) -> Cursor {
        Cursor {
            line,
            col,
            anchor: col,
            goal: None,
        }
    }

    /// Moves to `line`, `col`, selecting nothing.
    fn move_to(&mut self, line: usize, col: usize) {
        if line != self.cursor.line {
            self.scroll_to_cursor = true;
        }
        self.cursor = self.at(line, col);
    }

    /// Moves within the line, extending the selection if `extend`.
    fn move_in_line(&mut self, col: usize, extend: bool) {
        self.cursor.col = col;
        if !extend {
            self.cursor.anchor = col;
        }
        self.cursor.goal = None;
    }

    /// Moves `delta` lines up (negative) or down, aiming for column `goal`; past the first or last
    /// line goes to its start or end.
    fn move_vertically(&mut self, delta: isize, goal: usize) {
        let last = self.lines.len() - 1;
        let line = self.cursor.line;
        let (target, col) = match line.checked_add_signed(delta) {
            Some(target) if target <= last => (target, goal.min(self.lens[target])),
            Some(_) if line < last => (last, goal.min(self.lens[last])),
            Some(_) => (last, self.lens[last]),
            None if line > 0 => (0, goal.min(self.lens[0])),
            None => (0, 0),
        };
        self.move_to(target, col);
        self.cursor.goal = Some(goal);
    }

    fn last_len(&self) -> usize {
        self.lens[self.lines.len() - 1]
    }

    fn previous_word(&self, line: usize, col: usize) -> usize {
        ccursor_previous_word(&self.lines[line], CCursor::new(col))
            .index
            .0
    }

    fn next_word(&self, line: usize, col: usize) -> usize {
        ccursor_next_word(&self.lines[line], CCursor::new(col))
            .index
            .0
            .min(self.lens[line])
    }

    fn selected_text(&self) -> Option<&str> {
        let Range { start, end } = self.cursor.selection();
        (start != end).then(|| {
            let text = &self.lines[self.cursor.line];
            &text[byte_index_clamped(text, start)..byte_index_clamped(text, end)]
        })
    }

    /// Replaces the selection (or inserts at the cursor) with `insert`, which may hold newlines.
    fn replace_selection(&mut self, insert: &str, splices: &mut Vec<Splice>) {
        let line = self.cursor.line;
        let Range { start, end } = self.cursor.selection();
        if start == end && insert.is_empty() {
            return;
        }
        splices.push(Splice {
            pos: self.line_start(line) + start,
            del: end - start,
            insert: insert.to_owned(),
        });
        let text = &mut self.lines[line];
        let (start_byte, end_byte) = (
            byte_index_clamped(text, start),
            byte_index_clamped(text, end),
        );
        let inserted = insert.chars().count();
        self.len_chars = self.len_chars - (end - start) + inserted;
        if !insert.contains('\n') {
            text.replace_range(start_byte..end_byte, insert);
            let len = self.lens[line] - (end - start) + inserted;
            self.set_len(line, len);
            self.cursor = self.at(line, start + inserted);
            return;
        }
        let tail = text.split_off(end_byte);
        text.truncate(start_byte);
        let mut parts = insert.split('\n');
        text.push_str(parts.next().unwrap_or_default());
        let mut new_lines: Vec<String> = parts.map(str::to_owned).collect();
        let last_col = new_lines.last().map_or(0, |l| l.chars().count());
        if let Some(last) = new_lines.last_mut() {
            last.push_str(&tail);
        }
        let added = new_lines.len();
        let new_lens: Vec<usize> = new_lines.iter().map(|l| l.chars().count()).collect();
        self.lens[line] = self.lines[line].chars().count();
        self.lines.splice(line + 1..line + 1, new_lines);
        self.lens.splice(line + 1..line + 1, new_lens);
        self.rebuild_starts();
        self.cursor = self.at(line + added, last_col);
        self.scroll_to_cursor = true;
    }

    /// Joins `line` with the next one (deletes the newline between them).
    fn join_with_next(&mut self, line: usize, splices: &mut Vec<Splice>) {
        splices.push(Splice {
            pos: self.line_start(line) + self.lens[line],
            del: 1,
            insert: String::new(),
        });
        let next = self.lines.remove(line + 1);
        let next_len = self.lens.remove(line + 1);
        self.lines[line].push_str(&next);
        self.lens[line] += next_len;
        self.len_chars -= 1;
        self.rebuild_starts();
        self.scroll_to_cursor = true;
    }

    /// The char offset at which `line` starts.
    fn line_start(&self, line: usize) -> usize {
        self.starts.prefix(line)
    }

    /// The char offset of `line`, `col`.
    fn offset(&self, line: usize, col: usize) -> usize {
        self.line_start(line) + col
    }

    /// The line and column of char offset `offset` (clamped to the text).
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let (line, col) = self.starts.locate(offset.min(self.len_chars));
        let line = line.min(self.lines.len() - 1);
        (line, col.min(self.lens[line]))
    }

    fn set_len(&mut self, line: usize, len: usize) {
        let delta = len as isize - self.lens[line] as isize;
        self.lens[line] = len;
        self.starts.add(line, delta);
    }

    fn rebuild_starts(&mut self) {
        self.starts = Fenwick::build(self.lens.iter().map(|len| len + 1));
    }

    /// Replaces the text, keeping the cursor's line and column as far as they still exist.
    fn load(&mut self, text: &str) {
        self.lines = text.split('\n').map(str::to_owned).collect();
        self.lens = self.lines.iter().map(|l| l.chars().count()).collect();
        self.rebuild_starts();
        self.len_chars = self.starts.prefix(self.lines.len()) - 1;
        let line = self.cursor.line.min(self.lines.len() - 1);
        let col = self.cursor.col.min(self.lens[line]);
        self.cursor = Cursor {
            line,
            col,
            anchor: self.cursor.anchor.min(self.lens[line]),
            goal: self.cursor.goal,
        };
    }
}

/// What every row of one frame shares.
struct RowView {
    id: Id,
    edit_id: Id,
    font_id: FontId,
    row_height: f32,
    gutter_width: f32,
    text_color: Color32,
    weak_color: Color32,
    editable: bool,
    focused: bool,
}

impl RowView {
    /// The part of a row right of the gutter.
    fn text_rect(&self, row: Rect) -> Rect {
        let mut rect = row;
        rect.set_left((row.left() + self.gutter_width).min(row.right()));
        rect
    }

    /// The layout of (the part that can be seen of) `line`; egui caches it between frames.
    fn galley(&self, ui: &Ui, line: &str, max_chars: usize) -> Arc<Galley> {
        let shown = &line[..byte_index_clamped(line, max_chars)];
        let job =
            LayoutJob::simple_singleline(shown.to_owned(), self.font_id.clone(), self.text_color);
        ui.fonts_mut(|f| f.layout_job(job))
    }

    /// Where a line's galley goes in `text_rect`: where the `TextEdit` puts its own.
    fn galley_pos(&self, text_rect: Rect, galley: &Galley) -> egui::Pos2 {
        pos2(
            text_rect.left(),
            text_rect.center().y - galley.size().y / 2.0,
        )
    }
}

/// The cursor's line as the `TextEdit` sees it: every change it makes is recorded as a splice.
struct RecordingLine<'a> {
    text: &'a mut String,
    /// The char offset of the line in the whole text.
    base: usize,
    splices: &'a mut Vec<Splice>,
}

impl TextBuffer for RecordingLine<'_> {
    fn is_mutable(&self) -> bool {
        true
    }

    fn as_str(&self) -> &str {
        self.text
    }

    fn insert_text(&mut self, text: &str, char_index: CharIndex) -> usize {
        if text.is_empty() {
            return 0;
        }
        let index = char_index.0.min(self.text.chars().count());
        self.text
            .insert_str(byte_index_clamped(self.text, index), text);
        self.splices.push(Splice {
            pos: self.base + index,
            del: 0,
            insert: text.to_owned(),
        });
        text.chars().count()
    }

    fn delete_char_range(&mut self, char_range: Range<CharIndex>) {
        let len = self.text.chars().count();
        let (start, end) = (char_range.start.0.min(len), char_range.end.0.min(len));
        if start >= end {
            return;
        }
        let (start_byte, end_byte) = (
            byte_index_clamped(self.text, start),
            byte_index_clamped(self.text, end),
        );
        self.text.replace_range(start_byte..end_byte, "");
        self.splices.push(Splice {
            pos: self.base + start,
            del: end - start,
            insert: String::new(),
        });
    }

    fn type_id(&self) -> TypeId {
        TypeId::of::<RecordingLine<'static>>()
    }
}

#[cfg(test)]
mod tests {
    use egui::{Event, Key, Modifiers};
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use proptest::prelude::*;

    use super::*;

    const DRAFT: &str = "Рішення про бюджет громади\n\
                         Стаття 1. Затвердити видатки загального фонду.\n\
                         \n\
                         Стаття 2. Контроль покласти на постійну комісію.";

    fn key_with(key: Key, modifiers: Modifiers) -> Event {
        Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers,
        }
    }

    fn key(key: Key) -> Event {
        key_with(key, Modifiers::NONE)
    }

    fn text(s: &str) -> Event {
        Event::Text(s.to_owned())
    }

    impl DraftEditor {
        /// Panics unless the cached lengths, offsets and cursor agree with the lines.
        fn check_invariants(&self) {
            assert!(!self.lines.is_empty());
            assert_eq!(self.lines.len(), self.lens.len());
            let mut start = 0;
            for (i, line) in self.lines.iter().enumerate() {
                assert!(!line.contains('\n'));
                assert_eq!(self.lens[i], line.chars().count(), "length of line {i}");
                assert_eq!(self.line_start(i), start, "start of line {i}");
                assert_eq!(self.line_col(start + self.lens[i]), (i, self.lens[i]));
                start += self.lens[i] + 1;
            }
            assert_eq!(self.len_chars, self.text().chars().count());
            assert!(self.cursor.line < self.lines.len());
            assert!(self.cursor.col <= self.lens[self.cursor.line]);
            assert!(self.cursor.anchor <= self.lens[self.cursor.line]);
        }
    }

    /// Feeds `events` to `editor`, checks that the splices turn its old text into its new one and
    /// returns them.
    fn feed(editor: &mut DraftEditor, events: &[Event]) -> Vec<Splice> {
        let before = editor.text();
        let mut splices = Vec::new();
        let mut copied = None;
        for event in events {
            editor.handle_event(event, OperatingSystem::Nix, &mut splices, &mut copied);
        }
        let mut replayed = before;
        for splice in &splices {
            splice.apply_to(&mut replayed).expect("the splice fits");
        }
        assert_eq!(
            replayed,
            editor.text(),
            "the splices do not rebuild the text"
        );
        editor.check_invariants();
        splices
    }

    fn splice(pos: usize, del: usize, insert: &str) -> Splice {
        Splice {
            pos,
            del,
            insert: insert.to_owned(),
        }
    }

    /// Where line 1 of [`DRAFT`] starts, in chars.
    const LINE_1: usize = 27;

    #[test]
    fn typing_cyrillic_makes_one_splice_per_character_in_chars() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(1, 10);
        let splices = feed(&mut editor, &[text("Ї"), text("ж"), text(" ")]);
        assert_eq!(
            splices,
            [
                splice(LINE_1 + 10, 0, "Ї"),
                splice(LINE_1 + 11, 0, "ж"),
                splice(LINE_1 + 12, 0, " "),
            ]
        );
        assert_eq!(
            editor.line(1),
            Some("Стаття 1. Їж Затвердити видатки загального фонду.")
        );
        assert_eq!(editor.cursor(), (1, 13));
    }

    #[test]
    fn backspace_and_delete_inside_a_line_remove_one_character() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(0, 3);
        let splices = feed(&mut editor, &[key(Key::Backspace), key(Key::Delete)]);
        assert_eq!(splices, [splice(2, 1, ""), splice(2, 1, "")]);
        assert_eq!(editor.line(0), Some("Ріння про бюджет громади"));
    }

    #[test]
    fn enter_splits_the_line_with_a_newline_splice() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(1, 9);
        let splices = feed(&mut editor, &[key(Key::Enter)]);
        assert_eq!(splices, [splice(LINE_1 + 9, 0, "\n")]);
        assert_eq!(editor.line_count(), 5);
        assert_eq!(editor.line(1), Some("Стаття 1."));
        assert_eq!(
            editor.line(2),
            Some(" Затвердити видатки загального фонду.")
        );
        assert_eq!(editor.cursor(), (2, 0));
    }

    #[test]
    fn backspace_at_the_start_of_a_line_joins_it_with_the_previous_one() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(1, 0);
        let splices = feed(&mut editor, &[key(Key::Backspace)]);
        assert_eq!(splices, [splice(LINE_1 - 1, 1, "")]);
        assert_eq!(editor.line_count(), 3);
        assert_eq!(
            editor.line(0),
            Some("Рішення про бюджет громадиСтаття 1. Затвердити видатки загального фонду.")
        );
        assert_eq!(editor.cursor(), (0, 26));
    }

    #[test]
    fn delete_at_the_end_of_a_line_joins_it_with_the_next_one() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(1, usize::MAX);
        let splices = feed(&mut editor, &[key(Key::Delete), key(Key::Delete)]);
        assert_eq!(
            splices,
            [splice(LINE_1 + 46, 1, ""), splice(LINE_1 + 46, 1, "")]
        );
        assert_eq!(editor.line_count(), 2);
        assert_eq!(
            editor.line(1),
            Some(
                "Стаття 1. Затвердити видатки загального фонду.\
                 Стаття 2. Контроль покласти на постійну комісію."
            )
        );
    }

    #[test]
    fn backspace_at_the_start_and_delete_at_the_end_of_the_text_do_nothing() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(0, 0);
        assert!(feed(&mut editor, &[key(Key::Backspace)]).is_empty());
        editor.set_cursor(3, usize::MAX);
        assert!(feed(&mut editor, &[key(Key::Delete)]).is_empty());
        assert_eq!(editor.text(), DRAFT);
    }

    #[test]
    fn a_paste_with_newlines_is_one_splice_and_new_lines() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(1, 10);
        let pasted = Event::Paste("пункт а;\r\nпункт б;\nпункт в: ".to_owned());
        let splices = feed(&mut editor, &[pasted]);
        assert_eq!(
            splices,
            [splice(LINE_1 + 10, 0, "пункт а;\nпункт б;\nпункт в: ")]
        );
        assert_eq!(editor.line_count(), 6);
        assert_eq!(editor.line(1), Some("Стаття 1. пункт а;"));
        assert_eq!(editor.line(2), Some("пункт б;"));
        assert_eq!(
            editor.line(3),
            Some("пункт в: Затвердити видатки загального фонду.")
        );
        assert_eq!(editor.cursor(), (3, 9));
    }

    #[test]
    fn typing_over_a_selection_replaces_it_in_one_splice() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(0, 18);
        let select_word = key_with(Key::ArrowLeft, Modifiers::SHIFT | Modifiers::CTRL);
        let splices = feed(&mut editor, &[select_word, text("кошторис")]);
        assert_eq!(splices, [splice(12, 6, "кошторис")]);
        assert_eq!(editor.line(0), Some("Рішення про кошторис громади"));
    }

    #[test]
    fn cut_copies_the_selection_and_deletes_it() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(0, 0);
        let mut splices = Vec::new();
        let mut copied = None;
        for event in [
            key_with(Key::End, Modifiers::SHIFT),
            Event::Copy,
            Event::Cut,
        ] {
            editor.handle_event(&event, OperatingSystem::Nix, &mut splices, &mut copied);
        }
        assert_eq!(copied.as_deref(), Some("Рішення про бюджет громади"));
        assert_eq!(splices, [splice(0, 26, "")]);
        assert_eq!(editor.line(0), Some(""));
        editor.check_invariants();
    }

    #[test]
    fn up_and_down_keep_the_column_they_aim_for() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(1, 30);
        assert!(feed(&mut editor, &[key(Key::ArrowDown)]).is_empty());
        assert_eq!(editor.cursor(), (2, 0));
        feed(&mut editor, &[key(Key::ArrowDown)]);
        assert_eq!(editor.cursor(), (3, 30));
        feed(&mut editor, &[key(Key::ArrowDown)]);
        assert_eq!(editor.cursor(), (3, 48), "past the last line: its end");
        feed(&mut editor, &[key(Key::PageUp)]);
        assert_eq!(editor.cursor(), (0, 26));
        feed(&mut editor, &[key(Key::ArrowRight)]);
        assert_eq!(
            editor.cursor(),
            (1, 0),
            "right at a line's end: the next line"
        );
        feed(&mut editor, &[key(Key::ArrowLeft)]);
        assert_eq!(
            editor.cursor(),
            (0, 26),
            "left at a line's start: the previous line"
        );
    }

    #[test]
    fn set_text_carries_the_cursor_through_others_changes() {
        let mut editor = DraftEditor::new(DRAFT);
        editor.set_cursor(1, 10);
        editor.set_text(&format!("Преамбула.\n{DRAFT}"));
        assert_eq!(editor.cursor(), (2, 10), "a paragraph above: still in ours");
        editor.set_text(&format!("Преамбула.\n{DRAFT}\nДодаток."));
        assert_eq!(editor.cursor(), (2, 10), "a paragraph below: nothing moves");
        editor.set_text("Інший текст");
        assert_eq!(
            editor.cursor(),
            (0, 11),
            "replaced: to the end of the new text"
        );
        editor.check_invariants();
    }

    #[test]
    fn a_splice_past_the_end_is_refused() {
        let mut text = "абв".to_owned();
        assert!(splice(2, 2, "").apply_to(&mut text).is_err());
        assert!(splice(4, 0, "г").apply_to(&mut text).is_err());
        splice(3, 0, "г").apply_to(&mut text).expect("fits");
        assert_eq!(text, "абвг");
    }

    #[test]
    fn an_empty_text_is_one_empty_line() {
        let mut editor = DraftEditor::new("");
        assert_eq!((editor.line_count(), editor.len_chars()), (1, 0));
        let splices = feed(&mut editor, &[text("а"), key(Key::Enter), text("б")]);
        assert_eq!(splices.len(), 3);
        assert_eq!(editor.text(), "а\nб");
    }

    /// What the harness keeps between frames.
    struct Typing {
        editor: DraftEditor,
        splices: Vec<Splice>,
        read_only: bool,
    }

    fn harness(text: &str, read_only: bool) -> Harness<'static, Typing> {
        Harness::new_ui_state(
            |ui, state: &mut Typing| {
                let splices = state.editor.show(ui, state.read_only);
                state.splices.extend(splices);
            },
            Typing {
                editor: DraftEditor::new(text),
                splices: Vec::new(),
                read_only,
            },
        )
    }

    fn replay(text: &str, splices: &[Splice]) -> String {
        let mut text = text.to_owned();
        for splice in splices {
            splice.apply_to(&mut text).expect("the splice fits");
        }
        text
    }

    #[test]
    fn typing_into_the_widget_returns_splices_that_rebuild_its_text() {
        let mut harness = harness(DRAFT, false);
        harness.state_mut().editor.set_cursor(1, 10);
        harness.state_mut().editor.request_focus();
        harness.run();

        harness
            .get_by_label("Draft text, line 2")
            .type_text("Негайно ");
        harness.key_press(Key::Enter);
        harness.event(Event::Paste("пункт а;\nпункт б".to_owned()));
        harness.key_press(Key::Backspace);
        harness.key_press(Key::Home);
        harness.key_press(Key::Backspace);
        harness.run();

        let state = harness.state();
        assert_eq!(
            state.editor.text(),
            "Рішення про бюджет громади\n\
             Стаття 1. Негайно \n\
             пункт а;пункт Затвердити видатки загального фонду.\n\
             \n\
             Стаття 2. Контроль покласти на постійну комісію."
        );
        assert_eq!(replay(DRAFT, &state.splices), state.editor.text());
        assert!(harness.query_by_label("Draft text, line 3").is_some());
    }

    #[test]
    fn clicking_a_line_moves_the_cursor_there() {
        let mut harness = harness(DRAFT, false);
        harness.run();
        harness
            .get_by_label("Стаття 2. Контроль покласти на постійну комісію.")
            .click();
        harness.run();
        assert_eq!(harness.state().editor.cursor().0, 3);
        harness.get_by_label("Draft text, line 4").type_text("!");
        harness.run();
        assert!(
            harness
                .state()
                .editor
                .line(3)
                .is_some_and(|l| l.contains('!'))
        );
        assert_eq!(
            replay(DRAFT, &harness.state().splices),
            harness.state().editor.text()
        );
    }

    #[test]
    fn set_text_emits_no_splice() {
        let mut harness = harness(DRAFT, false);
        harness.state_mut().editor.request_focus();
        harness.run();
        harness
            .state_mut()
            .editor
            .set_text(&format!("Преамбула.\n{DRAFT}"));
        harness.run();
        assert!(harness.state().splices.is_empty());
        assert!(harness.query_by_label("Draft text, line 1").is_some());
    }

    #[test]
    fn read_only_shows_the_lines_without_a_text_edit() {
        let mut harness = harness(DRAFT, true);
        harness.run();
        assert!(harness.query_by_label("Draft text, line 1").is_none());
        assert!(
            harness
                .query_by_label("Рішення про бюджет громади")
                .is_some()
        );
        harness.event(Event::Text("x".to_owned()));
        harness.run();
        assert!(harness.state().splices.is_empty());
    }

    #[test]
    fn the_line_being_edited_lines_up_with_the_others() {
        let mut harness = harness("перший\nдругий\nтретій", false);
        harness.state_mut().editor.set_cursor(1, 0);
        harness.state_mut().editor.request_focus();
        harness.run();
        let pos_of = |text: &str| {
            harness
                .output()
                .shapes
                .iter()
                .find_map(|clipped| match &clipped.shape {
                    egui::Shape::Text(shape) if shape.galley.job.text == text => Some(shape.pos),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{text} is not drawn"))
        };
        let (above, edited, below) = (pos_of("перший"), pos_of("другий"), pos_of("третій"));
        assert!((above.x - edited.x).abs() < 0.1 && (below.x - edited.x).abs() < 0.1);
        assert!((edited.y - above.y - (below.y - edited.y)).abs() < 0.1);
    }

    #[test]
    fn only_the_visible_lines_are_drawn() {
        let draft: Vec<String> = (1..=5000).map(|i| format!("Рядок {i}")).collect();
        let mut harness = harness(&draft.join("\n"), true);
        harness.run();
        assert!(harness.query_by_label("Рядок 1").is_some());
        assert!(harness.query_by_label("Рядок 200").is_none());
        assert!(harness.query_by_label("Рядок 5000").is_none());
    }

    #[test]
    fn the_fenwick_tree_sums_like_a_loop() {
        let values = [3, 0, 7, 1, 1, 9, 2, 0, 0, 5, 4];
        let mut tree = Fenwick::build(values.iter().copied());
        for end in 0..=values.len() {
            assert_eq!(tree.prefix(end), values[..end].iter().sum::<usize>());
        }
        tree.add(4, 10);
        tree.add(0, -3);
        let updated = [0, 0, 7, 1, 11, 9, 2, 0, 0, 5, 4];
        for end in 0..=values.len() {
            assert_eq!(tree.prefix(end), updated[..end].iter().sum::<usize>());
        }
    }

    fn any_event() -> impl Strategy<Value = Event> {
        let chars = prop::sample::select(vec!["а", "ї", "Щ", "ґ", " ", ".", "e", "1", "’"]);
        let keys = prop::sample::select(vec![
            Key::Enter,
            Key::Backspace,
            Key::Delete,
            Key::ArrowLeft,
            Key::ArrowRight,
            Key::ArrowUp,
            Key::ArrowDown,
            Key::Home,
            Key::End,
            Key::PageUp,
            Key::PageDown,
            Key::A,
            Key::Z,
        ]);
        let modifiers = prop::sample::select(vec![
            Modifiers::NONE,
            Modifiers::NONE,
            Modifiers::SHIFT,
            Modifiers::CTRL,
            Modifiers::SHIFT | Modifiers::CTRL,
            Modifiers::COMMAND,
            Modifiers::MAC_CMD | Modifiers::SHIFT,
            Modifiers::ALT,
        ]);
        prop_oneof![
            4 => chars.prop_map(|c| Event::Text(c.to_owned())),
            4 => (keys, modifiers).prop_map(|(k, m)| key_with(k, m)),
            1 => "[аб\n\r ]{0,6}".prop_map(Event::Paste),
            1 => Just(Event::Cut),
            1 => Just(Event::Copy),
        ]
    }

    proptest! {
        #[test]
        fn any_keys_give_splices_that_rebuild_the_text(
            start in "[абв\n ]{0,30}",
            line in 0usize..8,
            col in 0usize..8,
            frames in prop::collection::vec(prop::collection::vec(any_event(), 1..4), 1..30),
        ) {
            let mut editor = DraftEditor::new(&start);
            editor.page_rows = 3;
            editor.set_cursor(line, col);
            for events in &frames {
                feed(&mut editor, events);
            }
        }

        #[test]
        fn set_text_keeps_the_offsets_right(
            start in "[абв\n ]{0,30}",
            next in "[абв\n ]{0,30}",
            line in 0usize..8,
            col in 0usize..8,
        ) {
            let mut editor = DraftEditor::new(&start);
            editor.set_cursor(line, col);
            editor.set_text(&next);
            prop_assert_eq!(editor.text(), next);
            editor.check_invariants();
        }
    }
}
