//! Open the draft pull request for a fix branch, or update the one that
//! already exists for it.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::{Instrument, info, info_span, warn};

use super::Error;
use super::client::{Ctx, GitHub, Raw};

const PR_WRITE: &str = "pull_requests:write";

/// What to open.
#[derive(Debug, Clone)]
pub struct PrRequest {
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// The fix branch (`fix/slug`), or `user:branch` for a fork.
    pub head: String,
    /// The base branch (`main`).
    pub base: String,
    /// PR title.
    pub title: String,
    /// PR body (the report).
    pub body: String,
    /// Open a normal PR when the repository refuses drafts.
    pub allow_non_draft: bool,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrAction {
    /// A draft PR was created.
    Created,
    /// Drafts are refused here; a normal PR was created (allowed by the caller).
    CreatedNonDraft,
    /// A PR for the branch existed; its title and body were updated.
    Updated,
}

/// The pull request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrOutcome {
    /// PR number.
    pub number: u64,
    /// Web link.
    pub url: String,
    /// Whether it is a draft.
    pub draft: bool,
    /// What was done.
    pub action: PrAction,
}

#[derive(Debug, Deserialize)]
struct ApiPull {
    number: u64,
    html_url: String,
    #[serde(default)]
    draft: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct ValidationBody {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

/// All messages of a 422 body (`message` and each `errors[].message`/`code`).
fn validation_messages(raw: &Raw) -> Vec<String> {
    let body: ValidationBody = serde_json::from_slice(&raw.body).unwrap_or_default();
    let mut out: Vec<String> = body.message.into_iter().collect();
    for e in body.errors {
        match e {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Object(o) => {
                if let Some(m) = o.get("message").and_then(|m| m.as_str()) {
                    out.push(m.to_string());
                } else if let Some(c) = o.get("code").and_then(|m| m.as_str()) {
                    out.push(
                        format!(
                            "{} {}",
                            o.get("field").and_then(|f| f.as_str()).unwrap_or(""),
                            c
                        )
                        .trim()
                        .to_string(),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

impl GitHub {
    /// Create a draft PR. If GitHub says a PR for the branch already exists,
    /// find it (`GET pulls?head=owner:branch`) and update its title and body.
    /// If the repository does not support drafts, fail with
    /// [`Error::DraftNotSupported`] unless `allow_non_draft`, in which case a
    /// normal PR is created (with a warning).
    pub async fn create_or_update_draft_pr(&self, req: &PrRequest) -> Result<PrOutcome, Error> {
        let span = info_span!("phase.pr", owner = %req.owner, repo = %req.repo, head = %req.head);
        self.pr_inner(req).instrument(span).await
    }

    async fn pr_inner(&self, req: &PrRequest) -> Result<PrOutcome, Error> {
        let route = format!("/repos/{}/{}/pulls", req.owner, req.repo);
        let ctx = Ctx::new(
            format!(
                "creating a pull request {} → {} in {}/{}",
                req.head, req.base, req.owner, req.repo
            ),
            PR_WRITE,
        );
        let mut draft = true;
        loop {
            let body = json!({
                "title": req.title,
                "head": req.head,
                "base": req.base,
                "body": req.body,
                "draft": draft,
                "maintainer_can_modify": true,
            });
            let raw = self
                .request(Method::POST, &route, Some(&body), &ctx)
                .await?;
            if raw.status.as_u16() != 422 {
                let raw = self.check(raw, &ctx)?;
                let pr = parse_pull(&raw, &ctx)?;
                let action = if draft {
                    PrAction::Created
                } else {
                    PrAction::CreatedNonDraft
                };
                info!(number = pr.number, url = %pr.html_url, "pull request created");
                return Ok(PrOutcome {
                    number: pr.number,
                    url: pr.html_url,
                    draft: pr.draft.unwrap_or(draft),
                    action,
                });
            }
            let messages = validation_messages(&raw);
            let lower: Vec<String> = messages.iter().map(|m| m.to_ascii_lowercase()).collect();
            if lower.iter().any(|m| m.contains("already exists")) {
                return self.update_existing(req).await;
            }
            if draft
                && lower
                    .iter()
                    .any(|m| m.contains("draft") && m.contains("not supported"))
            {
                if !req.allow_non_draft {
                    return Err(Error::DraftNotSupported {
                        owner: req.owner.clone(),
                        repo: req.repo.clone(),
                    });
                }
                warn!(
                    "{}/{} does not accept draft pull requests; opening a normal pull request instead, as allowed",
                    req.owner, req.repo
                );
                draft = false;
                continue;
            }
            return Err(Error::Validation {
                head: req.head.clone(),
                base: req.base.clone(),
                message: if messages.is_empty() {
                    raw.message()
                } else {
                    messages.join("; ")
                },
            });
        }
    }

    async fn update_existing(&self, req: &PrRequest) -> Result<PrOutcome, Error> {
        let head = if req.head.contains(':') {
            req.head.clone()
        } else {
            format!("{}:{}", req.owner, req.head)
        };
        let ctx = Ctx::new(
            format!(
                "looking up the open pull request for {head} in {}/{}",
                req.owner, req.repo
            ),
            PR_WRITE,
        );
        let route = format!(
            "/repos/{}/{}/pulls?state=open&head={}&per_page=10",
            req.owner,
            req.repo,
            encode(&head)
        );
        let (pulls, _) = self.get_json::<Vec<ApiPull>>(&route, &ctx).await?;
        let Some(existing) = pulls.into_iter().next() else {
            return Err(Error::Validation {
                head: req.head.clone(),
                base: req.base.clone(),
                message: "GitHub says a pull request already exists for this branch, but no open one was found".into(),
            });
        };
        let ctx = Ctx::new(
            format!(
                "updating pull request #{} in {}/{}",
                existing.number, req.owner, req.repo
            ),
            PR_WRITE,
        );
        let route = format!(
            "/repos/{}/{}/pulls/{}",
            req.owner, req.repo, existing.number
        );
        let body = json!({ "title": req.title, "body": req.body });
        let raw = self
            .request(Method::PATCH, &route, Some(&body), &ctx)
            .await?;
        let raw = self.check(raw, &ctx)?;
        let pr = parse_pull(&raw, &ctx)?;
        info!(number = pr.number, url = %pr.html_url, "existing pull request updated");
        Ok(PrOutcome {
            number: pr.number,
            url: pr.html_url,
            draft: pr.draft.unwrap_or(false),
            action: PrAction::Updated,
        })
    }
}

impl GitHub {
    /// Replace the body of pull request `number` (the run's final record, rendered
    /// once the run is over).
    pub async fn update_pr_body(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<(), Error> {
        let ctx = Ctx::new(
            format!("updating the body of pull request #{number} in {owner}/{repo}"),
            PR_WRITE,
        );
        let route = format!("/repos/{owner}/{repo}/pulls/{number}");
        let raw = self
            .request(Method::PATCH, &route, Some(&json!({ "body": body })), &ctx)
            .await?;
        self.check(raw, &ctx)?;
        Ok(())
    }
}

fn parse_pull(raw: &Raw, ctx: &Ctx) -> Result<ApiPull, Error> {
    serde_json::from_slice(&raw.body).map_err(|e| Error::BadResponse {
        what: ctx.what.clone(),
        message: e.to_string(),
    })
}

/// Percent-encode a query value (unreserved characters kept).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
