//! Fetch: the failed jobs' logs from the GitHub API, or the user's raw logs, into
//! the failure folder's `logs/`.

use std::path::{Path, PathBuf};

use cifix_model::PhaseStatus;

use super::{Forge, Recorder};
use crate::config::info::{Info, LogSource};
use crate::forge::github::Blocking;

/// Save raw log text as `logs/raw.log` in the failure folder.
pub fn save_raw(failure_dir: &Path, text: &str) -> std::io::Result<PathBuf> {
    let p = failure_dir.join("logs").join("raw.log");
    std::fs::create_dir_all(p.parent().expect("logs/raw.log has a parent"))?;
    std::fs::write(&p, text)?;
    Ok(p)
}

/// The logs of this failure, saved in the failure folder (none with an existing test).
pub fn collect(info: &Info, forge: &Forge, failure_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    match &info.logs {
        LogSource::RawLogs(text) => Ok(vec![save_raw(failure_dir, text)?]),
        LogSource::Url(url) => {
            let _span = tracing::info_span!("phase.fetch").entered();
            let gh = Blocking::new(forge.config.clone())?;
            let fetched = gh.fetch_logs(url, failure_dir)?;
            for m in &fetched.missing {
                tracing::warn!("no log for job {} ({}): {}", m.job_name, m.job_id, m.reason);
            }
            if fetched.logs.is_empty() {
                anyhow::bail!("the run {url} has no failed job logs to work from");
            }
            Ok(fetched.logs.into_iter().map(|l| l.path).collect())
        }
        LogSource::None => Ok(Vec::new()),
    }
}

/// The fetch phase, recorded.
pub fn phase(
    rec: &mut Recorder<'_>,
    info: &Info,
    forge: &Forge,
    failure_dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let t = rec.start("fetch");
    match collect(info, forge, failure_dir) {
        Ok(logs) => {
            match &info.logs {
                LogSource::Url(u) => rec.record(
                    "fetch",
                    t,
                    PhaseStatus::Ok,
                    format!("{} job log(s) from {u}", logs.len()),
                ),
                LogSource::RawLogs(_) => {
                    rec.record("fetch", t, PhaseStatus::Ok, "raw logs from info.json")
                }
                LogSource::None => rec.skip("fetch", "no logs: an existing test was given"),
            }
            Ok(logs)
        }
        Err(e) => {
            rec.record("fetch", t, PhaseStatus::Failed, format!("{e:#}"));
            Err(e)
        }
    }
}
