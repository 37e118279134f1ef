//! A list as the agents download it: the same columns and rows, as CSV (`;` and decimal
//! commas, as French spreadsheets read them; every text cell neutralised by the application's
//! one CSV writer) or as an XLSX workbook (rust_xlsxwriter: amounts as numbers in euros, days
//! as dates, the header row frozen and filterable).

use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use simpa_app::spreadsheet::{Csv, neutralised};

/// A list's columns and rows.
pub(crate) struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

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

/// The table as CSV.
pub(crate) fn csv(table: &Table) -> Result<Vec<u8>, String> {
    let mut sheet = Csv::new(Vec::new(), b';');
    let failed = |e: csv::Error| e.to_string();
    sheet.row(&table.headers).map_err(failed)?;
    for row in &table.rows {
        sheet.row(row.iter().map(Cell::written)).map_err(failed)?;
    }
    sheet.into_inner()
}

/// The table as an XLSX workbook of one sheet named `title`.
pub(crate) fn xlsx(table: &Table, title: &str) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(title)?;
    let bold = Format::new().set_bold();
    let euros = Format::new().set_num_format("# ##0.00 €");
    let day = Format::new().set_num_format("dd/mm/yyyy");
    for (column, header) in table.headers.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, column, *header, &bold)?;
        sheet.set_column_width(column, 18)?;
    }
    for (line, row) in table.rows.iter().enumerate() {
        let line = u32::try_from(line + 1).unwrap_or(u32::MAX);
        for (column, cell) in row.iter().enumerate() {
            let column = u16::try_from(column).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(line, column, neutralised(text).as_ref())?;
                }
                Cell::Euros(Some(cents)) => {
                    #[allow(clippy::cast_precision_loss)]
                    let amount = *cents as f64 / 100.0;
                    sheet.write_number_with_format(line, column, amount, &euros)?;
                }
                Cell::Day(Some(d)) => {
                    let date = ExcelDateTime::parse_from_str(&d.to_string())?;
                    sheet.write_datetime_with_format(line, column, &date, &day)?;
                }
                Cell::Euros(None) | Cell::Day(None) => {}
                Cell::YesNo(yes) => {
                    sheet.write_string(line, column, if *yes { "oui" } else { "non" })?;
                }
            }
        }
    }
    let last_row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
    let last_column = u16::try_from(table.headers.len().saturating_sub(1)).unwrap_or(0);
    sheet.autofilter(0, 0, last_row, last_column)?;
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}
