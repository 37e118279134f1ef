//! A list as the agents download it: the same columns and rows as the page, as CSV (`;` and decimal
//! commas, as French spreadsheets read them; every text cell neutralised by the application's
//! one CSV writer) or as an XLSX workbook (rust_xlsxwriter: amounts as numbers in euros, days
//! as dates, the header row frozen and filterable).

use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use simpa_app::spreadsheet::{Csv, neutralised};

/// A cell, by what it holds.
pub(crate) enum Cell {
    Text(String),
    /// An amount, in cents.
    Euros(Option<i64>),
    Day(Option<NaiveDate>),
    YesNo(bool),
}

impl Cell {
    /// As a CSV cell: amounts with a decimal comma, days as 31/12/2027.
    fn written(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Euros(cents) => cents.map_or_else(String::new, |c| {
                let sign = if c < 0 { "-" } else { "" };
                format!("{sign}{},{:02}", (c / 100).abs(), (c % 100).abs())
            }),
            Cell::Day(day) => day.map_or_else(String::new, |d| d.format("%d/%m/%Y").to_string()),
            Cell::YesNo(yes) => if *yes { "oui" } else { "non" }.to_owned(),
        }
    }
}

/// A list being written as a spreadsheet, a row at a time as its pages are read: CSV, or an
/// XLSX workbook of one sheet whose rows go to a temporary file (constant memory) until it is
/// saved. A failure to write is kept and told when it is finished.
pub(crate) struct Sheet {
    writer: Writer,
    rows: u32,
    columns: u16,
    failed: Option<String>,
}

enum Writer {
    Csv(Csv<Vec<u8>>),
    Xlsx {
        workbook: Box<Workbook>,
        euros: Format,
        day: Format,
    },
}

/// The spreadsheets a list downloads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spreadsheet {
    Csv,
    Xlsx,
}

impl Spreadsheet {
    /// The format a download's address ends with (`.csv`, `.xlsx`).
    pub(crate) fn of_extension(extension: &str) -> Spreadsheet {
        if extension == "xlsx" {
            Spreadsheet::Xlsx
        } else {
            Spreadsheet::Csv
        }
    }

    pub(crate) fn extension(self) -> &'static str {
        match self {
            Spreadsheet::Csv => "csv",
            Spreadsheet::Xlsx => "xlsx",
        }
    }

    pub(crate) fn media_type(self) -> &'static str {
        match self {
            Spreadsheet::Csv => "text/csv; charset=utf-8",
            Spreadsheet::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

impl Sheet {
    /// A sheet named `title` with its header row.
    pub(crate) fn new(format: Spreadsheet, title: &str, headers: &[&str]) -> Sheet {
        let columns = u16::try_from(headers.len()).unwrap_or(u16::MAX);
        let mut sheet = match format {
            Spreadsheet::Csv => Sheet {
                writer: Writer::Csv(Csv::new(Vec::new(), b';')),
                rows: 0,
                columns,
                failed: None,
            },
            Spreadsheet::Xlsx => Sheet {
                writer: Writer::Xlsx {
                    workbook: Box::new(Workbook::new()),
                    euros: Format::new().set_num_format("# ##0.00 €"),
                    day: Format::new().set_num_format("dd/mm/yyyy"),
                },
                rows: 0,
                columns,
                failed: None,
            },
        };
        let started = match &mut sheet.writer {
            Writer::Csv(csv) => csv.row(headers).map_err(|e| e.to_string()),
            Writer::Xlsx { workbook, .. } => {
                xlsx_headers(workbook, title, headers).map_err(|e| e.to_string())
            }
        };
        sheet.failed = started.err();
        sheet
    }

    /// A row of cells, under the last.
    pub(crate) fn row(&mut self, cells: &[Cell]) {
        if self.failed.is_some() {
            return;
        }
        self.rows = self.rows.saturating_add(1);
        let written = match &mut self.writer {
            Writer::Csv(csv) => csv
                .row(cells.iter().map(Cell::written))
                .map_err(|e| e.to_string()),
            Writer::Xlsx {
                workbook,
                euros,
                day,
            } => xlsx_row(workbook, self.rows, cells, euros, day).map_err(|e| e.to_string()),
        };
        self.failed = written.err();
    }

    /// The spreadsheet's bytes, or why it could not be written.
    pub(crate) fn finish(self) -> Result<Vec<u8>, String> {
        if let Some(failed) = self.failed {
            return Err(failed);
        }
        match self.writer {
            Writer::Csv(csv) => csv.into_inner(),
            Writer::Xlsx { mut workbook, .. } => {
                let last_column = self.columns.saturating_sub(1);
                let sheet = workbook
                    .worksheet_from_index(0)
                    .map_err(|e| e.to_string())?;
                sheet
                    .autofilter(0, 0, self.rows, last_column)
                    .map_err(|e| e.to_string())?;
                workbook.save_to_buffer().map_err(|e| e.to_string())
            }
        }
    }
}

/// The workbook's one sheet, named `title`, with its header row in bold and frozen.
fn xlsx_headers(workbook: &mut Workbook, title: &str, headers: &[&str]) -> Result<(), XlsxError> {
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(title)?;
    let bold = Format::new().set_bold();
    for (column, header) in headers.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, column, *header, &bold)?;
        sheet.set_column_width(column, 18)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A row of the workbook's sheet: amounts as numbers in euros, days as dates.
fn xlsx_row(
    workbook: &mut Workbook,
    line: u32,
    cells: &[Cell],
    euros: &Format,
    day: &Format,
) -> Result<(), XlsxError> {
    let sheet = workbook.worksheet_from_index(0)?;
    for (column, cell) in cells.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        match cell {
            Cell::Text(text) => {
                sheet.write_string(line, column, neutralised(text).as_ref())?;
            }
            Cell::Euros(Some(cents)) => {
                #[allow(clippy::cast_precision_loss)]
                let amount = *cents as f64 / 100.0;
                sheet.write_number_with_format(line, column, amount, euros)?;
            }
            Cell::Day(Some(d)) => {
                let date = ExcelDateTime::parse_from_str(&d.to_string())?;
                sheet.write_datetime_with_format(line, column, &date, day)?;
            }
            Cell::Euros(None) | Cell::Day(None) => {}
            Cell::YesNo(yes) => {
                sheet.write_string(line, column, if *yes { "oui" } else { "non" })?;
            }
        }
    }
    Ok(())
}
