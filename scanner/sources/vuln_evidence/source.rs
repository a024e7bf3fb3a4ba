//! The vulnerability scanner outputs as an engine [`Source`]: the files
//! `[[evidence.vulnerabilities]]` names inside the repository. Static: read on every scan, and
//! judged against the real time they were read at, like live evidence.

use checks::facts::vuln::VulnReport;
use futures_util::FutureExt;

use crate::engine::{Collected, Context, Job, Reading, Source};

pub struct ScannerOutputs;

impl Source for ScannerOutputs {
    fn kind(&self) -> &'static str {
        "vulnerabilities"
    }

    fn live(&self) -> bool {
        false
    }

    fn targets(&self, cx: &Context<'_>) -> Vec<String> {
        (cx.settings.evidence.vulnerabilities.iter())
            .map(|e| e.path.clone())
            .collect()
    }

    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        async move {
            let (root, settings) = (cx.root.to_path_buf(), cx.settings.clone());
            let read_at = cx.live_at.to_owned();
            let read =
                crate::engine::blocking(move || super::collect(&root, &settings, &read_at)).await;
            for _ in &job.targets {
                job.progress.target_done();
            }
            match read {
                Ok(reports) => deposit(reports),
                Err(e) => self.unreadable(cx, &job.targets, &e.to_string()),
            }
        }
        .boxed()
    }

    fn unreadable(&self, cx: &Context<'_>, _targets: &[String], cause: &str) -> Collected {
        let reports = (cx.settings.evidence.vulnerabilities.iter())
            .map(|e| VulnReport {
                path: e.path.clone(),
                collected_at: cx.live_at.to_owned(),
                max_age_days: e.max_age_days,
                error: Some(cause.to_owned()),
                ..VulnReport::default()
            })
            .collect();
        deposit(reports)
    }
}

/// Scanner outputs have no collection record of their own: each report carries its read time
/// and any error.
fn deposit(reports: Vec<VulnReport>) -> Collected {
    Collected::new(Vec::new(), move |facts| {
        facts.vulnerabilities.extend(reports);
    })
}
