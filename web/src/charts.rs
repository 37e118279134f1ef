//! Charts drawn on the server as SVG (`charts.html` draws them): horizontal bars, one or
//! several series per line, each line's label above its bars so that a phone reads it whole.
//! Each chart says itself in a sentence (its text alternative) and keeps the table behind it.

use minijinja::{Value, context};

/// The height of a line's label, of a bar and of the space below a line, in pixels.
const LABEL: u32 = 20;
const BAR: u32 = 14;
const GAP: u32 = 4;
const BELOW: u32 = 12;
/// The widest bar, as a share of the chart's width: room is left for its value after it.
const WIDEST: f64 = 60.0;

/// A line of a chart: its label, and per series its value and how it is said.
pub struct Line {
    pub label: String,
    pub values: Vec<f64>,
    pub said: Vec<String>,
}

/// A chart of horizontal bars: `series` name the bars of each line (one per series).
pub struct BarChart<'a> {
    /// Unique on its page: the ids of its title and description derive from it.
    pub id: &'a str,
    pub title: String,
    /// What the first column of the table behind it holds ("Étape", "Direction").
    pub dimension: &'a str,
    pub series: &'a [&'a str],
    pub lines: Vec<Line>,
}

impl BarChart<'_> {
    /// What `charts.html` draws: the bars' geometry, the sentence that says the chart, the
    /// legend and the table.
    pub fn drawn(&self) -> Value {
        let widest = self
            .lines
            .iter()
            .flat_map(|l| l.values.iter().copied())
            .fold(0.0_f64, f64::max);
        let per_line = LABEL + self.series.len() as u32 * (BAR + GAP) + BELOW;
        let lines: Vec<Value> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let top = i as u32 * per_line;
                let bars: Vec<Value> = line
                    .values
                    .iter()
                    .zip(&line.said)
                    .enumerate()
                    .map(|(s, (value, said))| {
                        let width = if widest > 0.0 {
                            (value / widest * WIDEST).max(0.0)
                        } else {
                            0.0
                        };
                        let y = top + LABEL + s as u32 * (BAR + GAP);
                        context! {
                            y => y,
                            width => format!("{width:.2}"),
                            height => BAR,
                            text_y => y + BAR - 2,
                            said => said,
                            series => s,
                        }
                    })
                    .collect();
                context! { label => line.label, label_y => top + LABEL - 6, bars => bars }
            })
            .collect();
        let summary = self
            .lines
            .iter()
            .map(|line| {
                let said: Vec<String> = self
                    .series
                    .iter()
                    .zip(&line.said)
                    .map(|(series, said)| {
                        if self.series.len() == 1 {
                            said.clone()
                        } else {
                            format!("{} {said}", series.to_lowercase())
                        }
                    })
                    .collect();
                format!("{} : {}", line.label, said.join(", "))
            })
            .collect::<Vec<_>>()
            .join(" ; ");
        context! {
            id => self.id,
            title => self.title,
            summary => if summary.is_empty() { "Aucune donnée.".to_owned() } else { format!("{summary}.") },
            height => (self.lines.len() as u32 * per_line).max(1),
            legend => (self.series.len() > 1).then(|| self.series.iter().enumerate().map(|(s, label)| context! { series => s, label => label }).collect::<Vec<_>>()),
            lines => lines,
            table => context! {
                headers => std::iter::once(self.dimension).chain(self.series.iter().copied()).collect::<Vec<_>>(),
                rows => self.lines.iter().map(|l| std::iter::once(l.label.clone()).chain(l.said.iter().cloned()).collect::<Vec<_>>()).collect::<Vec<_>>(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_bar_is_the_largest_value_and_the_chart_says_each_line() {
        let chart = BarChart {
            id: "etats",
            title: "Demandes par état".to_owned(),
            dimension: "État",
            series: &["Médiane", "90e centile"],
            lines: vec![
                Line {
                    label: "Dépôt → recevabilité".to_owned(),
                    values: vec![10.0, 20.0],
                    said: vec!["10 jours".to_owned(), "20 jours".to_owned()],
                },
                Line {
                    label: "Vote → versement".to_owned(),
                    values: vec![5.0, 0.0],
                    said: vec!["5 jours".to_owned(), "0 jour".to_owned()],
                },
            ],
        };
        let drawn = chart.drawn();
        let bar = |line: usize, series: usize| {
            let lines = drawn.get_attr("lines").unwrap();
            let bars = lines
                .get_item(&Value::from(line))
                .unwrap()
                .get_attr("bars")
                .unwrap();
            let bar = bars.get_item(&Value::from(series)).unwrap();
            bar.get_attr("width").unwrap().to_string()
        };
        assert_eq!(bar(0, 1), "60.00");
        assert_eq!(bar(0, 0), "30.00");
        assert_eq!(bar(1, 1), "0.00");
        assert_eq!(
            drawn.get_attr("summary").unwrap().to_string(),
            "Dépôt → recevabilité : médiane 10 jours, 90e centile 20 jours ; Vote → versement : médiane 5 jours, 90e centile 0 jour."
        );
        // Two series: 20 + 2 × 18 + 12 pixels a line.
        assert_eq!(drawn.get_attr("height").unwrap().to_string(), "136");
    }
}
