//! Every CSV Simpa writes goes through here. A spreadsheet opening a CSV runs a cell that
//! starts with `=`, `+`, `-`, `@` (or a tab or carriage return before one) as a formula:
//! an association named `=HYPERLINK("http://…","Cliquez")` would put a link (or worse) in the
//! open data of every reader. Such cells are written with a leading `'`, which spreadsheets
//! show as text (OWASP, "CSV Injection"); numbers (`-12,50`) are left as they are.

use std::borrow::Cow;
use std::io::Write;

/// A CSV writer with `delimiter` (`;` for French spreadsheets, `,` for the SCDL).
pub struct Csv<W: Write>(csv::Writer<W>);

impl<W: Write> Csv<W> {
    pub fn new(out: W, delimiter: u8) -> Csv<W> {
        Csv(csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(out))
    }

    /// Writes one row, each text cell neutralised.
    pub fn row<I, T>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(
            cells
                .into_iter()
                .map(|c| neutralised(c.as_ref()).into_owned()),
        )
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }

    pub fn into_inner(self) -> Result<W, String> {
        self.0.into_inner().map_err(|e| e.to_string())
    }
}

/// The cell as a spreadsheet must read it: text, never a formula.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && !is_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A plain decimal number, signed, with a point or a comma: `-12`, `+3,5`, `-0.25`.
fn is_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let mut parts = unsigned.splitn(2, ['.', ',']);
    let whole = parts.next().unwrap_or_default();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && parts.next().is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for formula in [
            "=HYPERLINK(\"http://exemple.org\",\"Cliquez\")",
            "+1+1",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1+1",
            "\r=1",
            "-",
            "=",
        ] {
            assert_eq!(neutralised(formula), format!("'{formula}"), "{formula:?}");
        }
        for kept in [
            "Association =",
            "12",
            "-12,50",
            "+3.5",
            "-0.25",
            "",
            "2026_00001",
        ] {
            assert_eq!(neutralised(kept), kept, "{kept:?}");
        }
    }

    #[test]
    fn rows_are_written_neutralised() {
        let mut sheet = Csv::new(Vec::new(), b';');
        sheet.row(["=1+1", "-5", "Théâtre"]).unwrap();
        let written = String::from_utf8(sheet.into_inner().unwrap()).unwrap();
        assert_eq!(written, "'=1+1;-5;Théâtre\n");
    }
}
