//! `vouch answer`: fills a questionnaire (CAIQ workbook, SIG or any spreadsheet, xlsx or CSV)
//! in place from a report. Only the answer and description cells of question rows are written;
//! every other cell, and its formatting, is left as it was.
//!
//! The filled copy is meant to be sent: only automatic `Yes` answers are written, with
//! customer-facing text from a template that names no file, host or weakness. Every other
//! question is marked "needs review" and goes, with a drafted answer and the evidence behind
//! it, to a separate review sheet (`--review`, CSV) and to the printed review list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use checks::catalog::Strength;
use reports::questionnaire::{self, Answer, Decision, DescriptionData, Mapping, QuestionMap};
use serde::Deserialize;

use crate::{bounded, evidence, templates};

/// Rows searched for the header row (CAIQ has metadata in row 1 and headers in row 2).
const HEADER_SEARCH_ROWS: u32 = 20;

#[derive(Debug, clap::Args)]
pub struct AnswerArgs {
    /// The questionnaire to fill: .xlsx or .csv (never modified; see --out).
    #[arg(long, value_name = "FILE")]
    workbook: PathBuf,
    /// The report/v1 JSON the answers are derived from (e.g. PACK/report.json).
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
    /// Mapping for non-CAIQ questionnaires: `[questions] "A.1" = ["TEN-01"]` (the controls
    /// verify the question) or `"A.1" = { controls = ["APP-01"], except = ["http-security-headers"],
    /// strength = "supports", policy = false }` or `"A.1" = { checks = ["http-hsts"] }`;
    /// optional `[columns] id/answer/description = "header text"`.
    #[arg(long, value_name = "MAP.toml")]
    map: Option<PathBuf>,
    /// Where to write the filled copy (same format as the input).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace answers and descriptions a person already wrote.
    #[arg(long)]
    overwrite: bool,
    /// Directory whose `answer-description.hbs` (or `answer-description-internal.hbs`)
    /// replaces the bundled template.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Write the detailed internal text (checks, subjects, failures, evidence file) into the
    /// description cells instead of the customer-facing text. Not for sending.
    #[arg(long)]
    internal: bool,
    /// Where to write the review sheet (CSV: question, drafted answer, why, evidence);
    /// default: OUT with `.review.csv` in place of its extension.
    #[arg(long, value_name = "FILE")]
    review: Option<PathBuf>,
}

impl AnswerArgs {
    /// The arguments of `vouch answer --workbook W --report R --out O` and no other option.
    pub fn new(workbook: PathBuf, report: PathBuf, out: PathBuf) -> AnswerArgs {
        AnswerArgs {
            workbook,
            report,
            map: None,
            out,
            overwrite: false,
            templates: None,
            internal: false,
            review: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    #[serde(default)]
    columns: ColumnNames,
    #[serde(default)]
    questions: BTreeMap<String, QuestionEntry>,
}

/// One question of a map file: a list of controls that verify it, or a detailed binding.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum QuestionEntry {
    Controls(Vec<String>),
    Detailed(DetailedEntry),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailedEntry {
    #[serde(default)]
    controls: Vec<String>,
    #[serde(default)]
    checks: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    #[serde(default = "verifies")]
    strength: Strength,
    /// The question asks about policies or procedures: never answered automatically.
    #[serde(default)]
    policy: bool,
}

fn verifies() -> Strength {
    Strength::Verifies
}

impl QuestionEntry {
    fn to_map(&self) -> QuestionMap {
        match self {
            QuestionEntry::Controls(list) => QuestionMap {
                mappings: list
                    .iter()
                    .map(|c| Mapping::new(c.clone(), Strength::Verifies))
                    .collect(),
                policy: false,
            },
            QuestionEntry::Detailed(d) => QuestionMap {
                mappings: d.mappings(),
                policy: d.policy,
            },
        }
    }
}

impl DetailedEntry {
    fn mappings(&self) -> Vec<Mapping> {
        let with = |control: &str, only: Vec<String>| Mapping {
            only,
            except: self.except.clone(),
            ..Mapping::new(control, self.strength)
        };
        if !self.controls.is_empty() {
            return self.controls.iter().map(|c| with(c, Vec::new())).collect();
        }
        checks::catalog::catalog()
            .controls
            .iter()
            .filter(|c| self.checks.iter().any(|k| serves(k, &c.id)))
            .map(|c| with(&c.id, self.checks.clone()))
            .collect()
    }

    /// Problems serde cannot see, one sentence each.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.controls.is_empty() == self.checks.is_empty() {
            problems.push("give either `controls` or `checks`".to_owned());
        }
        if !self.except.is_empty() && self.controls.is_empty() {
            problems.push("`except` needs `controls`".to_owned());
        }
        for c in &self.controls {
            if checks::catalog::catalog().control(c).is_none() {
                problems.push(format!("unknown control `{c}`"));
            }
        }
        for k in self.checks.iter().chain(&self.except) {
            if checks::find(k).is_none() {
                problems.push(format!("unknown check `{k}`"));
            }
        }
        problems
    }
}

fn serves(check: &str, control: &str) -> bool {
    checks::find(check).is_some_and(|k| k.meta().controls.contains(&control))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnNames {
    id: Option<String>,
    answer: Option<String>,
    description: Option<String>,
}

/// Where the question id, answer and description live (1-based).
#[derive(Debug, Clone, Copy)]
struct Layout {
    header_row: u32,
    id: u32,
    answer: u32,
    description: Option<u32>,
}

/// A question a person must answer, for the review sheet and the printed list.
struct ReviewItem {
    question: String,
    decision: Decision,
}

#[derive(Debug, Default)]
struct Tally {
    questions: usize,
    yes: usize,
    review: usize,
    kept: usize,
}

/// The description a customer reads: no file, host, subject or weakness (see the template).
const CUSTOMER_TEMPLATE: &str = "answer-description.hbs";
/// The detailed text (`--internal`): checks, subjects and failures.
const INTERNAL_TEMPLATE: &str = "answer-description-internal.hbs";

/// `vouch answer`: fills the questionnaire, writes the review sheet and prints the tally and
/// the questions left for a person.
pub fn run(args: &AnswerArgs) -> Result<()> {
    let answered = fill(args)?;
    let tally = &answered.tally;
    crate::outln!(
        "answered automatically {} of {} questions (Yes {}); {} need review ({}); {} human answers kept",
        tally.yes,
        tally.questions,
        tally.yes,
        tally.review,
        answered.review_path.display(),
        tally.kept
    )?;
    for r in &answered.reviews {
        crate::outln!("{}", review_line(r))?;
    }
    Ok(())
}

/// What [`fill`] did: the counts, and the questions left for a person.
pub struct Answered {
    tally: Tally,
    reviews: Vec<ReviewItem>,
    review_path: PathBuf,
}

impl Answered {
    /// Questions found in the questionnaire.
    pub fn questions(&self) -> usize {
        self.tally.questions
    }
}

/// Reads the questionnaire, answers what the report proves, and writes the filled copy and the
/// review sheet. Prints nothing (the fuzz target `questionnaire` calls it on hostile workbooks).
pub fn fill(args: &AnswerArgs) -> Result<Answered> {
    let (report, evidence) = evidence::load_report(&args.report)?;
    let map = match &args.map {
        Some(p) => load_map(p)?,
        None => MapFile::default(),
    };
    let template_name = if args.internal {
        INTERNAL_TEMPLATE
    } else {
        CUSTOMER_TEMPLATE
    };
    let template = templates::load(template_name, args.templates.as_deref())?;
    if crate::paths::same_file(&args.out, &args.workbook) {
        bail!(
            "--out {} is the questionnaire itself: vouch never rewrites its input; name a new file",
            args.out.display()
        );
    }
    let mut sheet = Sheet::open(&args.workbook)?;
    if Sheet::kind_of(&args.out)? != sheet.kind() {
        bail!(
            "--out {} must have the same format as --workbook",
            args.out.display()
        );
    }
    let review_path = args
        .review
        .clone()
        .unwrap_or_else(|| args.out.with_extension("review.csv"));
    let layout = find_layout(&sheet, &map.columns)
        .with_context(|| format!("{} has no recognisable header row", args.workbook.display()))?;
    let mut tally = Tally::default();
    let mut reviews = Vec::new();
    for row in layout.header_row + 1..=sheet.rows() {
        let id = sheet.get(row, layout.id).trim().to_owned();
        if id.is_empty() {
            continue;
        }
        tally.questions += 1;
        let question = map
            .questions
            .get(&id)
            .map_or_else(|| questionnaire::caiq_map(&id), QuestionEntry::to_map);
        let decision = questionnaire::decide(&question, &report);
        if !args.overwrite && sheet.is_filled(row, layout.answer) {
            tally.kept += 1;
            continue;
        }
        match decision.answer {
            Some(_) => tally.yes += 1,
            None => tally.review += 1,
        }
        // Only an automatic Yes is written; a person answers everything else.
        sheet.set(
            row,
            layout.answer,
            decision.answer.map_or("", Answer::as_str),
        );
        if let Some(col) = layout.description
            && (args.overwrite || !sheet.is_filled(row, col))
        {
            let data = DescriptionData {
                question_id: &id,
                decision: &decision,
                evidence: &evidence,
                generated_at: &report.generated_at,
                tool_version: &report.tool.version,
            };
            let text = reports::render::templates::render(template_name, &template, &data, false)
                .map_err(anyhow::Error::msg)?;
            sheet.set(row, col, text.trim());
        }
        if decision.answer.is_none() {
            reviews.push(ReviewItem {
                question: id,
                decision,
            });
        }
    }
    crate::paths::write_atomically(&args.out, |temp| sheet.save(temp))?;
    write_review_sheet(&review_path, &reviews, &evidence)?;
    Ok(Answered {
        tally,
        reviews,
        review_path,
    })
}

/// `needs review: ID (draft No): why; evidence…` for the printed list.
fn review_line(r: &ReviewItem) -> String {
    let d = &r.decision;
    let draft = d
        .draft
        .map_or_else(String::new, |a| format!(" (draft {})", a.as_str()));
    let mut line = format!(
        "needs review: {}{draft}: {}",
        r.question,
        d.review.as_deref().unwrap_or_default()
    );
    for f in &d.failing {
        line.push_str("; ");
        line.push_str(f);
    }
    line
}

/// The internal review sheet: one row per question left for a person.
fn write_review_sheet(
    path: &Path,
    reviews: &[ReviewItem],
    evidence: &reports::view::EvidenceRef,
) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .with_context(|| format!("cannot write review sheet {}", path.display()))?;
    w.write_record([
        "Question ID",
        "Status",
        "Drafted answer",
        "Why it needs review",
        "Controls",
        "Failing evidence (internal)",
        "Report sha256",
    ])?;
    for r in reviews {
        let d = &r.decision;
        let controls: Vec<String> = d
            .controls
            .iter()
            .map(|v| format!("{} {}", v.id, v.status.as_str()))
            .collect();
        w.write_record([
            r.question.as_str(),
            "needs review",
            d.draft.map_or("", Answer::as_str),
            d.review.as_deref().unwrap_or_default(),
            &controls.join("; "),
            &d.failing.join("; "),
            evidence.sha256.as_str(),
        ])?;
    }
    w.flush()
        .with_context(|| format!("cannot write review sheet {}", path.display()))
}

fn load_map(path: &Path) -> Result<MapFile> {
    let text = bounded::read_text(path, bounded::CONFIG_MAX)
        .with_context(|| format!("cannot read map {}", path.display()))?;
    let map: MapFile = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message().replace('\n', " ")))?;
    for (q, entry) in &map.questions {
        match entry {
            QuestionEntry::Controls(controls) => {
                for c in controls {
                    if checks::catalog::catalog().control(c).is_none() {
                        bail!(
                            "{}: question {q} maps to unknown control `{c}`",
                            path.display()
                        );
                    }
                }
            }
            QuestionEntry::Detailed(d) => {
                if let Some(problem) = d.problems().into_iter().next() {
                    bail!("{}: question {q}: {problem}", path.display());
                }
            }
        }
    }
    Ok(map)
}

/// Lower case with runs of whitespace folded, so `CSC Responsibilities  (Optional)` matches.
fn normalise(header: &str) -> String {
    header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn find_layout(sheet: &Sheet, names: &ColumnNames) -> Option<Layout> {
    let wanted = |given: &Option<String>| given.as_deref().map(normalise);
    let (id_name, answer_name, desc_name) = (
        wanted(&names.id),
        wanted(&names.answer),
        wanted(&names.description),
    );
    for row in 1..=sheet.rows().min(HEADER_SEARCH_ROWS) {
        let headers: Vec<(u32, String)> = (1..=sheet.cols())
            .map(|c| (c, normalise(&sheet.get(row, c))))
            .collect();
        let pick = |given: &Option<String>, default: &dyn Fn(&str) -> bool| {
            headers
                .iter()
                .find(|(_, h)| match given {
                    Some(g) => h == g,
                    None => default(h),
                })
                .map(|(c, _)| *c)
        };
        let id = pick(&id_name, &|h| {
            matches!(
                h,
                "question id" | "question number" | "question no." | "ques num" | "id"
            )
        });
        let answer = pick(&answer_name, &|h| h.contains("answer") || h == "response");
        let description =
            pick(&desc_name, &|h| h.contains("implementation description")).or_else(|| {
                pick(&None, &|h| {
                    h.contains("description") || h.contains("comment")
                })
            });
        if let (Some(id), Some(answer)) = (id, answer) {
            return Some(Layout {
                header_row: row,
                id,
                answer,
                description,
            });
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Xlsx,
    Csv,
}

/// A workbook's first recognisable sheet or a CSV table, addressed by 1-based (row, column).
enum Sheet {
    Xlsx(Box<umya_spreadsheet::Spreadsheet>, usize),
    Csv(Vec<Vec<String>>),
}

impl Sheet {
    fn kind_of(path: &Path) -> Result<Kind> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("xlsx") => Ok(Kind::Xlsx),
            Some("csv") => Ok(Kind::Csv),
            _ => bail!("{} is neither .xlsx nor .csv", path.display()),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Sheet::Xlsx(..) => Kind::Xlsx,
            Sheet::Csv(_) => Kind::Csv,
        }
    }

    fn open(path: &Path) -> Result<Sheet> {
        match Sheet::kind_of(path)? {
            Kind::Xlsx => {
                let bytes = bounded::read_file(path, bounded::WORKBOOK_MAX)
                    .map_err(|e| anyhow::anyhow!("workbook {} {e}", path.display()))?;
                bounded::check_xlsx(&bytes)
                    .map_err(|e| anyhow::anyhow!("workbook {} {e}", path.display()))?;
                let book = contained(|| umya_spreadsheet::reader::xlsx::read(path))
                    .and_then(|read| read.map_err(|e| e.to_string()))
                    .map_err(|e| anyhow::anyhow!("cannot read workbook {}: {e}", path.display()))?;
                let count = book.get_sheet_count();
                let mut sheet = Sheet::Xlsx(Box::new(book), 0);
                for index in 0..count {
                    if let Sheet::Xlsx(_, i) = &mut sheet {
                        *i = index;
                    }
                    if find_layout(&sheet, &ColumnNames::default()).is_some() {
                        break;
                    }
                }
                Ok(sheet)
            }
            Kind::Csv => {
                let bytes = bounded::read_file(path, bounded::WORKBOOK_MAX)
                    .map_err(|e| anyhow::anyhow!("workbook {} {e}", path.display()))?;
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(bytes.as_slice());
                let rows = reader
                    .records()
                    .take(usize::try_from(bounded::WORKBOOK_ROWS_MAX).unwrap_or(usize::MAX) + 1)
                    .map(|r| r.map(|rec| rec.iter().map(str::to_owned).collect()))
                    .collect::<Result<Vec<Vec<String>>, _>>()
                    .with_context(|| format!("{} is not valid CSV", path.display()))?;
                if rows.len() as u64 > bounded::WORKBOOK_ROWS_MAX {
                    bail!(
                        "workbook {} has more than {} rows, over the limit",
                        path.display(),
                        bounded::WORKBOOK_ROWS_MAX
                    );
                }
                Ok(Sheet::Csv(rows))
            }
        }
    }

    fn worksheet(&self) -> Option<&umya_spreadsheet::Worksheet> {
        match self {
            Sheet::Xlsx(book, i) => book.get_sheet(i),
            Sheet::Csv(_) => None,
        }
    }

    fn rows(&self) -> u32 {
        match self {
            Sheet::Xlsx(..) => self
                .worksheet()
                .map_or(0, umya_spreadsheet::Worksheet::get_highest_row),
            Sheet::Csv(rows) => u32::try_from(rows.len()).unwrap_or(u32::MAX),
        }
    }

    fn cols(&self) -> u32 {
        match self {
            Sheet::Xlsx(..) => self
                .worksheet()
                .map_or(0, umya_spreadsheet::Worksheet::get_highest_column),
            Sheet::Csv(rows) => rows
                .iter()
                .map(Vec::len)
                .max()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
        }
    }

    fn get(&self, row: u32, col: u32) -> String {
        match self {
            Sheet::Xlsx(..) => self
                .worksheet()
                .map(|s| s.get_value((col, row)))
                .unwrap_or_default(),
            Sheet::Csv(rows) => rows
                .get(row as usize - 1)
                .and_then(|r| r.get(col as usize - 1))
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// Whether a person already put something in the cell: a value, or a formula (whose
    /// cached result may well be empty, e.g. `=Answers!B7` in a workbook never recalculated).
    fn is_filled(&self, row: u32, col: u32) -> bool {
        let formula = self
            .worksheet()
            .and_then(|s| s.get_cell((col, row)))
            .is_some_and(|c| c.is_formula() || !c.get_formula().is_empty());
        formula || !self.get(row, col).trim().is_empty()
    }

    fn set(&mut self, row: u32, col: u32, value: &str) {
        match self {
            Sheet::Xlsx(book, i) => {
                if let Some(sheet) = book.get_sheet_mut(i) {
                    sheet.get_cell_mut((col, row)).set_value(value);
                }
            }
            Sheet::Csv(rows) => {
                let r = &mut rows[row as usize - 1];
                if r.len() < col as usize {
                    r.resize(col as usize, String::new());
                }
                value.clone_into(&mut r[col as usize - 1]);
            }
        }
    }

    fn save(&self, path: &Path) -> Result<()> {
        match self {
            Sheet::Xlsx(book, _) => contained(|| umya_spreadsheet::writer::xlsx::write(book, path))
                .and_then(|written| written.map_err(|e| e.to_string()))
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
            Sheet::Csv(rows) => {
                let mut w = csv::WriterBuilder::new()
                    .flexible(true)
                    .from_path(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                for r in rows {
                    w.write_record(r)?;
                }
                w.flush()
                    .with_context(|| format!("cannot write {}", path.display()))
            }
        }
    }
}

/// Runs the workbook library, which panics on some malformed workbooks (an `unwrap` on a part
/// the relationships name but the archive lacks): the panic becomes an error naming the cause,
/// never vouch's exit. No backtrace reaches the terminal: the panic hook stays quiet for a panic
/// on this thread while it runs the library, and only then (other threads, a runtime's idle
/// workers, keep the hook they had).
fn contained<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    thread_local! {
        static CONTAINED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let earlier = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(std::cell::Cell::get) {
                earlier(info);
            }
        }));
    });
    CONTAINED.with(|c| c.set(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    CONTAINED.with(|c| c.set(false));
    outcome.map_err(|panic| {
        let cause = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown cause");
        format!(
            "malformed workbook (the xlsx reader failed: {})",
            checks::redact::bounded_reason(cause)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_sheet(rows: &[&[&str]]) -> Sheet {
        Sheet::Csv(
            rows.iter()
                .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
                .collect(),
        )
    }

    #[test]
    fn finds_caiq_header_below_a_metadata_row_tolerantly() {
        let sheet = csv_sheet(&[
            &[
                "Consensus Assessments Initiative Questionnaire v4.0.3",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "Question ID",
                "Question",
                "CSP CAIQ  Answer",
                "SSRM Control Ownership",
                "CSP Implementation Description (Optional/Recommended)",
                "CSC Responsibilities  (Optional/Recommended)",
            ],
            &["IVS-06.1", "placeholder", "", "", "", ""],
        ]);
        let layout = find_layout(&sheet, &ColumnNames::default()).unwrap();
        assert_eq!((layout.header_row, layout.id, layout.answer), (2, 1, 3));
        assert_eq!(layout.description, Some(5));
    }

    #[test]
    fn custom_column_names_come_from_the_map() {
        let sheet = csv_sheet(&[&["Ques Num", "Text", "Response", "Additional Information"]]);
        let names = ColumnNames {
            id: Some("ques num".into()),
            answer: Some("Response".into()),
            description: Some("additional  information".into()),
        };
        let layout = find_layout(&sheet, &names).unwrap();
        assert_eq!(
            (layout.id, layout.answer, layout.description),
            (1, 3, Some(4))
        );
    }

    #[test]
    fn a_formula_cell_is_a_human_answer() {
        let mut book = umya_spreadsheet::new_file();
        let ws = book.get_sheet_mut(&0).unwrap();
        ws.get_cell_mut("A1").set_value("Question ID");
        ws.get_cell_mut("B1").set_value("Answer");
        ws.get_cell_mut("A2").set_value("IVS-06.1");
        ws.get_cell_mut("B2").set_formula("Answers!B7");
        let sheet = Sheet::Xlsx(Box::new(book), 0);
        assert!(sheet.get(2, 2).trim().is_empty(), "no cached value");
        assert!(sheet.is_filled(2, 2));
        assert!(!sheet.is_filled(3, 2));
    }

    #[test]
    fn no_header_is_none() {
        assert!(
            find_layout(
                &csv_sheet(&[&["a", "b"], &["c", "d"]]),
                &ColumnNames::default()
            )
            .is_none()
        );
    }
}
