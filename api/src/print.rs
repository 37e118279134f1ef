//! Printable documents (an agreement): the same articles as an HTML page and as a PDF.
//!
//! The PDF uses the standard Helvetica fonts every reader has, in their WinAnsi encoding, so
//! nothing is embedded or fetched: French text, `€` and `’` print; a character outside that
//! encoding prints as `?`.

use minijinja::{Environment, context};
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};
use simpa_domain::agreement::Article;

/// The page, its characters escaped by the template engine.
pub fn html(title: &str, status: &str, articles: &[Article]) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.add_template(
        "agreement.html",
        include_str!("../templates/print/agreement.html"),
    )?;
    let articles: Vec<_> = articles
        .iter()
        .map(|a| context! { heading => a.heading, paragraphs => a.paragraphs })
        .collect();
    env.get_template("agreement.html")?
        .render(context! { title, status, articles })
}

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.7;
const BOTTOM: f32 = 70.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

// Advance widths (thousandths of an em) of Helvetica and Helvetica-Bold for the WinAnsi codes
// 32 to 255, from Adobe's font metrics: used to wrap lines, never printed.
#[rustfmt::skip]
const REGULAR: [u16; 224] = [278,278,355,556,556,889,667,191,333,333,389,584,278,333,278,278,556,556,556,556,556,556,556,556,556,556,278,278,584,584,584,556,1015,667,667,722,722,667,611,778,722,278,500,667,556,833,722,778,667,778,722,667,611,722,667,944,667,667,611,278,278,278,469,556,333,556,556,500,556,556,278,556,556,222,222,500,222,833,556,556,556,556,333,500,278,556,500,722,500,500,500,334,260,334,584,0,556,0,222,556,333,1000,556,556,333,1000,667,333,1000,0,611,0,0,222,222,333,333,350,556,1000,333,1000,500,333,944,0,500,667,278,333,556,556,556,556,260,556,333,737,370,556,584,333,737,333,400,584,333,333,333,556,537,278,333,333,365,556,834,834,834,611,667,667,667,667,667,667,1000,722,667,667,667,667,278,278,278,278,722,722,778,778,778,778,778,584,778,722,722,722,722,667,667,611,556,556,556,556,556,556,889,500,556,556,556,556,278,278,278,278,556,556,556,556,556,556,556,584,611,556,556,556,556,500,556,500];
#[rustfmt::skip]
const BOLD: [u16; 224] = [278,333,474,556,556,889,722,238,333,333,389,584,278,333,278,278,556,556,556,556,556,556,556,556,556,556,333,333,584,584,584,611,975,722,722,722,722,667,611,778,722,278,556,722,611,833,722,778,667,778,722,667,611,722,667,944,667,667,611,333,278,333,584,556,333,556,611,556,611,556,333,611,611,278,278,556,278,889,611,611,611,611,389,556,333,611,556,778,556,556,500,389,280,389,584,0,556,0,278,556,500,1000,556,556,333,1000,667,333,1000,0,611,0,0,278,278,500,500,350,556,1000,333,1000,556,333,944,0,500,667,278,333,556,556,556,556,280,556,333,737,370,556,584,333,737,333,400,584,333,333,333,611,556,278,333,333,365,556,834,834,834,611,722,722,722,722,722,722,1000,722,667,667,667,667,278,278,278,278,722,722,778,778,778,778,778,584,778,722,722,722,722,667,667,611,556,556,556,556,556,556,889,556,556,556,556,556,278,278,278,278,611,611,611,611,611,611,611,584,611,611,611,611,611,556,611,556];

/// A character in WinAnsi (Windows-1252). The narrow spaces French puts in amounts become
/// no-break spaces, which the line breaking never splits.
fn win_ansi(c: char) -> u8 {
    const HIGH: &str = "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8d}Ž\u{8f}\u{90}‘’“”•–—˜™š›œ\u{9d}žŸ";
    match u32::from(c) {
        0x20..=0x7E | 0xA0..=0xFF => c as u8,
        0x202F | 0x2007 | 0x2009 => 0xA0,
        _ => HIGH
            .chars()
            .position(|h| h == c)
            .map_or(b'?', |i| 0x80 + i as u8),
    }
}

fn width(text: &[u8], bold: bool, size: f32) -> f32 {
    let table = if bold { &BOLD } else { &REGULAR };
    let units: f32 = text
        .iter()
        .filter(|b| **b >= 32)
        .map(|b| f32::from(table[usize::from(*b) - 32]))
        .sum();
    units * size / 1000.0
}

/// Lines no wider than the text, broken at spaces.
fn wrap(text: &str, bold: bool, size: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let word: Vec<u8> = word.chars().map(win_ansi).collect();
        let mut longer = line.clone();
        if !longer.is_empty() {
            longer.push(b' ');
        }
        longer.extend_from_slice(&word);
        if line.is_empty() || width(&longer, bold, size) <= TEXT_WIDTH {
            line = longer;
        } else {
            lines.push(std::mem::replace(&mut line, word));
        }
    }
    lines.push(line);
    lines
}

struct Line {
    x: f32,
    y: f32,
    bold: bool,
    size: f32,
    text: Vec<u8>,
}

/// Lays lines out down the pages.
struct Pages {
    pages: Vec<Vec<Line>>,
    y: f32,
}

impl Pages {
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Moves down by `height`, on a new page when this one is full.
    fn advance(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
        self.y -= height;
    }

    fn write(&mut self, text: &str, bold: bool, size: f32, centred: bool) {
        for text in wrap(text, bold, size) {
            self.advance(size * 1.35);
            let x = if centred {
                MARGIN + (TEXT_WIDTH - width(&text, bold, size)) / 2.0
            } else {
                MARGIN
            };
            if let Some(page) = self.pages.last_mut() {
                page.push(Line {
                    x,
                    y: self.y,
                    bold,
                    size,
                    text,
                });
            }
        }
    }
}

/// The PDF: A4 pages, the title centred, each article's heading in bold, numbered pages.
pub fn pdf(title: &str, status: &str, articles: &[Article]) -> Vec<u8> {
    let mut pages = Pages {
        pages: vec![Vec::new()],
        y: PAGE_HEIGHT - MARGIN,
    };
    pages.write(title, true, 15.0, true);
    pages.write(status, false, 9.5, true);
    for article in articles {
        // A heading starts a page rather than end one.
        if pages.y - 60.0 < BOTTOM {
            pages.new_page();
        }
        pages.advance(10.0);
        pages.write(&article.heading, true, 11.5, false);
        for paragraph in &article.paragraphs {
            pages.advance(4.0);
            pages.write(paragraph, false, 10.5, false);
        }
    }

    let mut pdf = Pdf::new();
    let (catalog, tree, regular, bold, info) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    let count = pages.pages.len() as i32;
    let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(10 + 2 * i)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(count);
    for (id, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info).title(TextStr(title));
    for (i, lines) in pages.pages.iter().enumerate() {
        let contents = Ref::new(11 + 2 * i as i32);
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(contents);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        drop(page);
        let footer = format!("Page {} / {count}", i + 1).into_bytes();
        let footer = Line {
            x: (PAGE_WIDTH - width(&footer, false, 8.0)) / 2.0,
            y: 35.0,
            bold: false,
            size: 8.0,
            text: footer,
        };
        let mut content = Content::new();
        for line in lines.iter().chain([&footer]) {
            content
                .begin_text()
                .set_font(Name(if line.bold { b"F2" } else { b"F1" }), line.size)
                .next_line(line.x, line.y)
                .show(Str(&line.text))
                .end_text();
        }
        pdf.stream(contents, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_is_encoded_in_win_ansi() {
        let bytes: Vec<u8> = "é€’ 1\u{202f}000 œ ☃".chars().map(win_ansi).collect();
        assert_eq!(
            bytes,
            [
                0xE9, 0x80, 0x92, b' ', b'1', 0xA0, b'0', b'0', b'0', b' ', 0x9C, b' ', b'?'
            ]
        );
    }

    #[test]
    fn long_paragraphs_wrap_within_the_page_and_flow_onto_new_pages() {
        let paragraph = "Une phrase assez longue pour remplir la ligne. ".repeat(40);
        let lines = wrap(&paragraph, false, 10.5);
        assert!(lines.len() > 10);
        assert!(lines.iter().all(|l| width(l, false, 10.5) <= TEXT_WIDTH));
        let articles: Vec<Article> = (1..=12)
            .map(|i| Article {
                heading: format!("Article {i}"),
                paragraphs: vec![paragraph.clone()],
            })
            .collect();
        let pdf = pdf("Convention", "Signée", &articles);
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        let count: usize = text
            .split("/Count ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        // Each article: a heading and the paragraph's lines, about 14 points each, 50 lines to
        // a page.
        let height = 12.0 * (10.0 + 11.5 * 1.35 + 4.0 + lines.len() as f32 * 10.5 * 1.35);
        let expected = (height / (PAGE_HEIGHT - MARGIN - BOTTOM)).ceil() as usize;
        assert!(
            (expected..=expected + 1).contains(&count),
            "{count} pages, {expected} expected"
        );
    }
}
