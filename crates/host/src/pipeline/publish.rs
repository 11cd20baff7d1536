//! Publish: push the fix branch and open (or update) the draft pull request.
//! The PR is opened with the body of the run as it stands, and its body is
//! replaced by the finished run's once the run is over ([`finalize`]).

use cifix_model::{PhaseStatus, Reviewer, RunReport, Status};

use super::{Forge, Recorder, RunOptions};
use crate::forge::github::{Blocking, PrRequest, suggest_reviewers};
use crate::reporters::pr_body;
use crate::vcs::{Auth, FixWorktree, Repo};

/// The pull request a run opened, to update once the run is over.
#[derive(Debug, Clone)]
pub struct OpenedPr {
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// PR number.
    pub number: u64,
}

/// OWNER/REPO from a remote URL (`https://host/o/r(.git)`, `git@host:o/r.git`, `ssh://git@host/o/r`).
pub fn owner_repo_from_remote(url: &str) -> Option<(String, String)> {
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/')?.1.to_string()
    } else if let Some((_, rest)) = url.split_once(':') {
        rest.to_string()
    } else {
        return None;
    };
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let mut it = path.rsplit('/');
    let repo = it.next()?.to_string();
    let owner = it.next()?.to_string();
    (!owner.is_empty() && !repo.is_empty()).then_some((owner, repo))
}

/// The publish phase, recorded.
pub fn phase(
    rec: &mut Recorder<'_>,
    repo: &Repo,
    forge: &Forge,
    auth: &Auth,
    mut wt: FixWorktree,
    o: &RunOptions,
) -> Option<OpenedPr> {
    let changed = rec
        .report
        .fix
        .as_ref()
        .map(|f| f.changed_files.clone())
        .unwrap_or_default();
    if let Ok(rv) = suggest_reviewers(wt.path(), &changed) {
        rec.report.reviewers = rv
            .into_iter()
            .take(5)
            .map(|x| Reviewer {
                who: x
                    .handle
                    .clone()
                    .or(x.name.clone())
                    .or(x.email.clone())
                    .unwrap_or_else(|| "?".into()),
                reason: x.reasons.join("; "),
            })
            .collect();
    }
    let t = rec.start("publish");
    if let Err(e) = wt.push(auth) {
        rec.record("publish", t, PhaseStatus::Failed, format!("push: {e}"));
        rec.report.status = Status::Partial;
        rec.next(format!("The fix is committed on the local branch `{}` but could not be pushed: {e}. Push it by hand and open the PR.", wt.branch()));
        let _ = wt.finish(true);
        return None;
    }
    let branch = wt.branch().to_string();
    let base = wt.base().to_string();
    let remote_url = repo.remote_url(wt.remote()).unwrap_or_default();
    let _ = wt.finish(true);
    if o.no_pr {
        rec.report.status = Status::Success;
        rec.record(
            "publish",
            t,
            PhaseStatus::Ok,
            format!("pushed `{branch}`; no PR (--no-pr)"),
        );
        rec.next(format!("Open a PR from `{branch}` when ready."));
        return None;
    }
    let owner_repo = o
        .github_repo
        .as_ref()
        .and_then(|s| {
            s.split_once('/')
                .map(|(o, r)| (o.to_string(), r.to_string()))
        })
        .or_else(|| {
            forge
                .run_url
                .as_ref()
                .map(|h| (h.owner.clone(), h.repo.clone()))
        })
        .or_else(|| owner_repo_from_remote(&remote_url));
    let Some((owner, name)) = owner_repo else {
        rec.record(
            "publish",
            t,
            PhaseStatus::Failed,
            "pushed, but the GitHub repository is unknown",
        );
        rec.report.status = Status::Partial;
        rec.next(format!(
            "Pushed `{branch}`; pass --github-repo OWNER/REPO to open the PR, or open it by hand."
        ));
        return None;
    };
    let mut draft = rec.snapshot();
    draft.status = Status::Success;
    let pr = Blocking::new(forge.config.clone()).and_then(|gh| {
        gh.create_or_update_draft_pr(&PrRequest {
            owner: owner.clone(),
            repo: name.clone(),
            head: branch.clone(),
            base,
            title: pr_body::title(&draft),
            body: pr_body::render(&draft),
            allow_non_draft: o.allow_non_draft,
        })
    });
    match pr {
        Ok(p) => {
            rec.report.status = Status::Success;
            rec.report.pr_url = Some(p.url.clone());
            rec.record(
                "publish",
                t,
                PhaseStatus::Ok,
                format!("pushed `{branch}`; PR #{} ({:?})", p.number, p.action),
            );
            rec.next("Review the draft PR, mark it ready, and merge when CI is green.");
            Some(OpenedPr {
                owner,
                repo: name,
                number: p.number,
            })
        }
        Err(e) => {
            rec.report.status = Status::Partial;
            rec.record("publish", t, PhaseStatus::Failed, format!("PR: {e}"));
            rec.next(format!(
                "Pushed `{branch}` but the PR could not be opened: {e}"
            ));
            None
        }
    }
}

/// Replace the PR's body with the finished run's. A failure here changes nothing
/// about the run; it is logged.
pub fn finalize(forge: &Forge, pr: &OpenedPr, report: &RunReport) {
    let body = pr_body::render(report);
    let r = Blocking::new(forge.config.clone())
        .and_then(|gh| gh.update_pr_body(&pr.owner, &pr.repo, pr.number, &body));
    if let Err(e) = r {
        tracing::warn!(
            "could not update the body of PR #{} with the finished report: {e}",
            pr.number
        );
    }
}

#[cfg(test)]
mod tests {
    use super::owner_repo_from_remote;

    #[test]
    fn remotes() {
        let o = |s: &str| owner_repo_from_remote(s);
        assert_eq!(
            o("https://github.com/acme/app.git"),
            Some(("acme".into(), "app".into()))
        );
        assert_eq!(
            o("git@github.com:acme/app.git"),
            Some(("acme".into(), "app".into()))
        );
        assert_eq!(
            o("ssh://git@ghe.corp/acme/app"),
            Some(("acme".into(), "app".into()))
        );
        assert_eq!(o("/tmp/origin.git"), None);
    }
}
