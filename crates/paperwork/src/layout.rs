//! The look shared by all forms: A4, 宋体 小四, a 黑体 heading, underlined values, blank lines to sign on.
//!
//! Text goes into the document only through [`text`], [`value`] and friends, which take cleaned strings;
//! docx-rs escapes `&`, `<`, `"` … itself.

use docx_rs::{
    AlignmentType, Docx, HeightRule, LineSpacing, LineSpacingType, PageMargin, Paragraph, Run,
    RunFonts, Shading, SpecialIndentType, Tab, TabLeaderType, TabValueType, Table, TableCell,
    TableLayoutType, TableRow, VAlignType, WidthType,
};

/// Chinese forms are set in 宋体; Word finds SimSun by its Chinese name as well.
const SONG: &str = "宋体";
/// Headings in 黑体 (SimHei).
const HEI: &str = "黑体";
/// Digits and Latin letters (order numbers, e-mail addresses).
const LATIN: &str = "Times New Roman";

/// 小四, in half-points: running text.
const BODY_SIZE: usize = 24;
/// 五号, in half-points: inside tables, where an 18-character code must fit one line.
const TABLE_SIZE: usize = 21;
/// 小二, in half-points.
const TITLE_SIZE: usize = 36;

const PAGE_WIDTH: u32 = 11906;
const PAGE_HEIGHT: u32 = 16838;
const MARGIN_TOP_BOTTOM: i32 = 1440;
const MARGIN_LEFT_RIGHT: i32 = 1588;
/// Width between the margins, in twips (1/20 pt).
pub(crate) const TEXT_WIDTH: usize = PAGE_WIDTH as usize - 2 * MARGIN_LEFT_RIGHT as usize;
/// What a cell's default padding (108 twips a side) leaves of its width.
const CELL_PADDING: usize = 2 * 108;

/// The width of `n` Chinese characters of `size` (half-points), in twips.
const fn chars(n: usize, size: usize) -> i32 {
    (n * size * 10) as i32
}

/// An empty A4 document with the fonts and margins of the forms.
pub(crate) fn document() -> Docx {
    Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(MARGIN_TOP_BOTTOM)
                .bottom(MARGIN_TOP_BOTTOM)
                .left(MARGIN_LEFT_RIGHT)
                .right(MARGIN_LEFT_RIGHT)
                .header(851)
                .footer(992),
        )
        .default_fonts(fonts(SONG))
        .default_size(BODY_SIZE)
}

/// `hint="eastAsia"` makes Word set shared punctuation (：“”（）) in the Chinese font too.
fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new()
        .ascii(LATIN)
        .hi_ansi(LATIN)
        .cs(LATIN)
        .east_asia(east_asia)
        .hint("eastAsia")
}

/// The centred heading of a form.
pub(crate) fn title(text: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().after(360))
        .add_run(
            Run::new()
                .add_text(text)
                .fonts(fonts(HEI))
                .size(TITLE_SIZE)
                .bold(),
        )
}

/// Plain text.
pub(crate) fn text(s: &str) -> Run {
    Run::new().add_text(s)
}

/// Text inside a table.
pub(crate) fn small(s: &str) -> Run {
    Run::new().add_text(s).size(TABLE_SIZE)
}

/// A value inside running text: underlined, or an underlined blank `blank_chars` wide when empty so that
/// it can be written in by hand.
pub(crate) fn value(s: &str, blank_chars: usize) -> Run {
    if s.is_empty() {
        blank(blank_chars)
    } else {
        // No-break padding: the value stays glued to the words around it, so a line never starts
        // with the closing bracket after it.
        Run::new()
            .add_text(format!("\u{a0}{s}\u{a0}"))
            .underline("single")
    }
}

/// An underlined gap of about `chars` Chinese characters. No-break spaces, because Word does not underline
/// ordinary spaces at the end of a line.
pub(crate) fn blank(chars: usize) -> Run {
    Run::new()
        .add_text("\u{a0}".repeat(chars * 4))
        .underline("single")
}

/// A paragraph of running text: first line indented two characters, 1.5 lines apart. Ragged right,
/// because justifying a line before a long code or number (which cannot break) spreads its characters
/// wide apart.
pub(crate) fn body(runs: Vec<Run>) -> Paragraph {
    prose(runs, BODY_SIZE)
}

/// [`body`] inside a table, with runs made by [`small`].
pub(crate) fn cell_body(runs: Vec<Run>) -> Paragraph {
    prose(runs, TABLE_SIZE)
}

fn prose(runs: Vec<Run>, size: usize) -> Paragraph {
    runs.into_iter().fold(
        Paragraph::new()
            .align(AlignmentType::Left)
            .indent(
                None,
                Some(SpecialIndentType::FirstLine(chars(2, size))),
                None,
                None,
            )
            .line_spacing(
                LineSpacing::new()
                    .line(360)
                    .line_rule(LineSpacingType::Auto),
            ),
        Paragraph::add_run,
    )
}

/// A line of facts (label, value, label, value…) without indent.
pub(crate) fn fact_line(runs: Vec<Run>) -> Paragraph {
    runs.into_iter().fold(
        Paragraph::new().line_spacing(
            LineSpacing::new()
                .line(300)
                .line_rule(LineSpacingType::Auto),
        ),
        Paragraph::add_run,
    )
}

/// An empty line.
pub(crate) fn gap() -> Paragraph {
    Paragraph::new()
}

/// Where the form is sealed, signed and dated: lines in the right part of the page (or of a table
/// cell), each a label followed by a line to write on.
pub(crate) struct SignBlock {
    left: i32,
    right_edge: usize,
    size: usize,
}

impl SignBlock {
    /// Below the text of a page.
    pub(crate) fn page() -> SignBlock {
        SignBlock {
            left: chars(7, BODY_SIZE),
            right_edge: TEXT_WIDTH,
            size: BODY_SIZE,
        }
    }

    /// Inside a cell as wide as the page's text.
    pub(crate) fn full_width_cell() -> SignBlock {
        SignBlock {
            left: chars(8, TABLE_SIZE),
            right_edge: TEXT_WIDTH - CELL_PADDING - chars(2, TABLE_SIZE) as usize,
            size: TABLE_SIZE,
        }
    }

    /// `label` and a line to sign or seal on.
    pub(crate) fn line(&self, label: &str) -> Paragraph {
        self.paragraph(label)
            .add_tab(
                Tab::new()
                    .val(TabValueType::Right)
                    .leader(TabLeaderType::Underscore)
                    .pos(self.right_edge),
            )
            .add_run(Run::new().add_tab().size(self.size))
    }

    /// The date, or 年 月 日 with room to write it.
    pub(crate) fn date(&self, date: &str) -> Paragraph {
        self.paragraph("日期：")
            .add_run(Run::new().add_text(date_or_blank(date)).size(self.size))
    }

    fn paragraph(&self, label: &str) -> Paragraph {
        Paragraph::new()
            .indent(Some(self.left), None, None, None)
            .keep_next(true)
            .line_spacing(
                LineSpacing::new()
                    .line(420)
                    .line_rule(LineSpacingType::Auto),
            )
            .add_run(Run::new().add_text(label).size(self.size))
    }
}

/// The date to print beside a signature, or 年 月 日 with room to write it.
fn date_or_blank(date: &str) -> String {
    if date.is_empty() {
        let gap = "\u{a0}".repeat(6);
        format!("{gap}{gap}年{gap}月{gap}日")
    } else {
        date.to_owned()
    }
}

/// A bordered table of fixed column widths (twips).
pub(crate) fn grid_table(rows: Vec<TableRow>, widths: &[usize]) -> Table {
    Table::new(rows)
        .set_grid(widths.to_vec())
        .width(widths.iter().sum(), WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
}

/// A table row at least `height` twips tall.
pub(crate) fn row(cells: Vec<TableCell>, height: f32) -> TableRow {
    TableRow::new(cells)
        .row_height(height)
        .height_rule(HeightRule::AtLeast)
        .cant_split()
}

/// A cell holding `paragraphs`, `width` twips wide, spanning `span` grid columns.
pub(crate) fn cell(paragraphs: Vec<Paragraph>, width: usize, span: usize) -> TableCell {
    let c = paragraphs
        .into_iter()
        .fold(TableCell::new(), TableCell::add_paragraph)
        .width(width, WidthType::Dxa)
        .vertical_align(VAlignType::Center);
    if span > 1 { c.grid_span(span) } else { c }
}

/// A row label: centred.
pub(crate) fn label_cell(label: &str, width: usize) -> TableCell {
    cell(
        vec![
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(small(label)),
        ],
        width,
        1,
    )
}

/// A filled-in value, left-aligned; empty stays empty for handwriting.
pub(crate) fn value_cell(value: &str, width: usize, span: usize) -> TableCell {
    cell(vec![Paragraph::new().add_run(small(value))], width, span)
}

/// A grey band naming the part of the form below it.
pub(crate) fn section_cell(title: &str, width: usize, span: usize) -> TableCell {
    cell(
        vec![Paragraph::new().add_run(small(title).bold())],
        width,
        span,
    )
    .shading(Shading::new().fill("E7E6E6"))
}

/// Cleans one line of user input: whitespace (line breaks included) collapses to single spaces, and
/// characters XML 1.0 cannot hold (control characters, U+FFFE, U+FFFF) are dropped — one of them
/// would make Word refuse the whole file.
pub(crate) fn clean_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else if printable(c) {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Cleans text typed in a text area: each line as [`clean_line`], blank lines dropped.
pub(crate) fn clean_lines(s: &str) -> Vec<String> {
    s.split([
        '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}',
    ])
    .map(clean_line)
    .filter(|line| !line.is_empty())
    .collect()
}

fn printable(c: char) -> bool {
    !c.is_control() && c != '\u{fffe}' && c != '\u{ffff}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_line_collapses_whitespace_and_drops_what_xml_cannot_hold() {
        assert_eq!(clean_line("  甲\t乙\r\n丙  "), "甲 乙 丙");
        assert_eq!(
            clean_line("a\u{0}b\u{1b}c\u{fffe}d\u{ffff}e\u{9f}f"),
            "abcdef"
        );
        assert_eq!(clean_line("a\u{85}b\u{3000}c"), "a b c");
        assert_eq!(clean_line(" \n\t "), "");
        assert_eq!(clean_line("A&B <C> \"D\""), "A&B <C> \"D\"");
    }

    #[test]
    fn clean_lines_keeps_lines_and_drops_empty_ones() {
        assert_eq!(
            clean_lines("证书介质丢失\r\n\r\n  已报警\u{2028}附回执 "),
            vec!["证书介质丢失", "已报警", "附回执"]
        );
        assert!(clean_lines("\n \n").is_empty());
    }

    #[test]
    fn blank_date_leaves_room_for_year_month_day() {
        assert_eq!(date_or_blank("2026年11月21日"), "2026年11月21日");
        let blank = date_or_blank("");
        assert!(blank.contains('年') && blank.contains('月') && blank.contains('日'));
        assert!(blank.starts_with('\u{a0}'));
    }
}
