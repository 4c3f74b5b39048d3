//! The table the benchmark prints.

pub struct Row {
    pub workload: String,
    pub figure: String,
    pub value: String,
    pub baseline: String,
    pub ratio: String,
    pub target: String,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
}

impl Report {
    pub fn add(&mut self, workload: &str, figure: &str, value: String, baseline: String, ratio: String, target: &str) {
        println!("  {workload}: {figure} = {value} (baseline {baseline}, ratio {ratio}; target {target})");
        self.rows.push(Row {
            workload: workload.into(),
            figure: figure.into(),
            value,
            baseline,
            ratio,
            target: target.into(),
        });
    }

    /// A Markdown table, so the README can carry it as printed.
    pub fn print(&self) {
        println!("\n| workload | figure | value | baseline (same run) | ratio | target |");
        println!("| --- | --- | --- | --- | --- | --- |");
        for row in &self.rows {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                row.workload, row.figure, row.value, row.baseline, row.ratio, row.target
            );
        }
    }
}

pub fn rate(per_second: f64) -> String {
    format!("{per_second:.0}/s")
}

pub fn ms(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2} ms")
    } else {
        format!("{value:.1} ms")
    }
}

pub fn ratio(value: f64, baseline: f64) -> String {
    if baseline > 0.0 {
        format!("{:.0} %", 100.0 * value / baseline)
    } else {
        "n/a".into()
    }
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub fn best(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

/// The range of several runs, for a figure that is their best: " (3 runs: 10.2k–11.9k/s)".
pub fn spread(runs: &[f64]) -> String {
    if runs.len() < 2 {
        return String::new();
    }
    let low = runs.iter().copied().fold(f64::INFINITY, f64::min);
    format!(" ({} runs: {:.1}k–{:.1}k/s)", runs.len(), low / 1000.0, best(runs) / 1000.0)
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    percentile(&values, 0.5)
}
