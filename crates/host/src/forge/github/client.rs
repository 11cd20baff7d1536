//! The GitHub API client: configuration, token discovery, and one request
//! loop that waits on rate limits (bounded) and retries 5xx with backoff.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde::Serialize;
use tracing::{debug, warn};

use super::{Error, secs};

/// The public GitHub API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Where the token came from (named in error messages; never the token itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenSource {
    /// Given by the caller.
    Explicit,
    /// The `GITHUB_TOKEN` environment variable.
    GithubToken,
    /// The `GH_TOKEN` environment variable.
    GhToken,
    /// `gh auth token`.
    GhCli,
    /// No token: anonymous requests.
    None,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenSource::Explicit => "the configured token",
            TokenSource::GithubToken => "GITHUB_TOKEN",
            TokenSource::GhToken => "GH_TOKEN",
            TokenSource::GhCli => "`gh auth token`",
            TokenSource::None => "no token (anonymous)",
        })
    }
}

/// A token and its source. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Token {
    secret: String,
    source: TokenSource,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({}, ***)", self.source)
    }
}

impl Token {
    /// A token with a known source.
    pub fn new(secret: impl Into<String>, source: TokenSource) -> Token {
        Token {
            secret: secret.into(),
            source,
        }
    }

    /// Where it came from.
    pub fn source(&self) -> TokenSource {
        self.source
    }

    /// The secret (for git pushes over https).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// `GITHUB_TOKEN`, then `GH_TOKEN`, then `gh auth token --hostname HOST`
    /// when `gh` is installed. `host` is the web host (`github.com`, a GHE host).
    pub fn discover(host: &str) -> Option<Token> {
        for (var, source) in [
            ("GITHUB_TOKEN", TokenSource::GithubToken),
            ("GH_TOKEN", TokenSource::GhToken),
        ] {
            if let Ok(v) = std::env::var(var)
                && !v.trim().is_empty()
            {
                return Some(Token::new(v.trim(), source));
            }
        }
        let out = std::process::Command::new("gh")
            .args(["auth", "token", "--hostname", host])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let t = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !t.trim().is_empty())
            .then(|| Token::new(t.trim(), TokenSource::GhCli))
    }
}

/// How long to wait and how often to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// The longest single rate-limit wait we accept; longer → error.
    pub max_wait: Duration,
    /// How many rate-limit waits per request.
    pub rate_limit_retries: u32,
    /// Retries after a 5xx or a transport error.
    pub server_retries: u32,
    /// First backoff delay (doubles each retry).
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_wait: Duration::from_secs(120),
            rate_limit_retries: 3,
            server_retries: 3,
            backoff: Duration::from_secs(1),
        }
    }
}

/// Client configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base, e.g. `https://api.github.com` or `https://ghe.corp/api/v3`.
    pub api_url: String,
    /// The token, if any.
    pub token: Option<Token>,
    /// Waits and retries.
    pub retry: RetryPolicy,
    /// Per-request read timeout.
    pub timeout: Duration,
}

impl ClientConfig {
    /// A configuration with an explicit API URL and token.
    pub fn new(api_url: impl Into<String>, token: Option<Token>) -> ClientConfig {
        ClientConfig {
            api_url: api_url.into(),
            token,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(60),
        }
    }

    /// From the environment: the API URL is `api_url` (the `--github-api-url`
    /// flag), else `GITHUB_API_URL`, else derived from `web_base` (the run
    /// URL's `https://HOST`: `github.com` → `https://api.github.com`, another
    /// host → `https://HOST/api/v3`, GitHub Enterprise Server), else
    /// [`DEFAULT_API_URL`]. The token comes from [`Token::discover`].
    pub fn from_env(api_url: Option<&str>, web_base: Option<&str>) -> ClientConfig {
        let env_url = std::env::var("GITHUB_API_URL")
            .ok()
            .filter(|s| !s.trim().is_empty());
        let host = web_base
            .map(|w| {
                w.trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
            })
            .filter(|h| !h.is_empty())
            .unwrap_or("github.com");
        let api = api_url.map(str::to_string).or(env_url).unwrap_or_else(|| {
            if host == "github.com" {
                DEFAULT_API_URL.into()
            } else {
                format!("https://{host}/api/v3")
            }
        });
        ClientConfig::new(api, Token::discover(host))
    }

    /// Where the token came from.
    pub fn token_source(&self) -> TokenSource {
        self.token.as_ref().map_or(TokenSource::None, |t| t.source)
    }

    /// One line for the user about authentication.
    pub fn describe_auth(&self) -> String {
        match &self.token {
            Some(t) => format!("using the token from {} for {}", t.source, self.api_url),
            None => format!(
                "no GitHub token found (GITHUB_TOKEN, GH_TOKEN, `gh auth token`): anonymous requests to {} \
                 work for public repositories only, at 60 requests per hour",
                self.api_url
            ),
        }
    }
}

/// A response read in full.
#[derive(Debug)]
pub(crate) struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Raw {
    /// GitHub's `message` (JSON body), or the start of the body.
    pub fn message(&self) -> String {
        #[derive(serde::Deserialize)]
        struct Msg {
            message: Option<String>,
        }
        if let Ok(Msg { message: Some(m) }) = serde_json::from_slice::<Msg>(&self.body) {
            return m;
        }
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        if text.is_empty() {
            self.status
                .canonical_reason()
                .unwrap_or("no message")
                .to_string()
        } else {
            text.chars().take(300).collect()
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The URL of the next page (`Link: <…>; rel="next"`).
    pub fn next_link(&self) -> Option<String> {
        let link = self.header("link")?;
        link.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            params
                .split(';')
                .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"))
                .then(|| {
                    url.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_string()
                })
        })
    }
}

/// What the request is for, in error messages.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// "getting run 1 of o/r".
    pub what: String,
    /// The permission a 403 most likely lacks.
    pub permission: &'static str,
}

impl Ctx {
    pub fn new(what: impl Into<String>, permission: &'static str) -> Ctx {
        Ctx {
            what: what.into(),
            permission,
        }
    }
}

/// The GitHub API client.
#[derive(Debug, Clone)]
pub struct GitHub {
    crab: Octocrab,
    cfg: ClientConfig,
}

enum Limit {
    Primary { wait: Duration, reset: Option<u64> },
    Secondary { wait: Duration },
}

impl GitHub {
    /// Build the client. Must run inside a tokio runtime (octocrab spawns a
    /// worker); [`super::Blocking`] does that for synchronous callers.
    pub fn new(cfg: ClientConfig) -> Result<GitHub, Error> {
        let bad = |reason: String| Error::BadApiUrl {
            url: cfg.api_url.clone(),
            reason,
        };
        let base = cfg.api_url.trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(bad("it must start with https://".into()));
        }
        let mut b = Octocrab::builder()
            .base_uri(base)
            .map_err(|e| bad(e.to_string()))?
            // Our own loop below handles rate limits and 5xx, with messages.
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(30)))
            .set_read_timeout(Some(cfg.timeout));
        if let Some(t) = &cfg.token {
            b = b.personal_token(t.secret.clone());
        }
        let crab = b.build().map_err(|e| bad(e.to_string()))?;
        Ok(GitHub { crab, cfg })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The underlying octocrab client (for typed calls).
    pub fn octocrab(&self) -> &Octocrab {
        &self.crab
    }

    async fn send_once(
        &self,
        method: &Method,
        route: &str,
        body: Option<&serde_json::Value>,
    ) -> octocrab::Result<Raw> {
        let resp = match *method {
            Method::POST => self.crab._post(route, body).await?,
            Method::PATCH => self.crab._patch(route, body).await?,
            _ => self.crab._get(route).await?,
        };
        let (parts, body) = resp.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Raw {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// Send a request; wait on rate limits (bounded) and retry 5xx and
    /// transport errors with exponential backoff. Any other status is
    /// returned for the caller to interpret (see [`GitHub::check`]).
    pub(crate) async fn request(
        &self,
        method: Method,
        route: &str,
        body: Option<&serde_json::Value>,
        ctx: &Ctx,
    ) -> Result<Raw, Error> {
        let policy = &self.cfg.retry;
        let (mut attempts, mut server_failures, mut waits) = (0u32, 0u32, 0u32);
        loop {
            attempts += 1;
            debug!(%method, route, attempt = attempts, "github request");
            let last = match self.send_once(&method, route, body).await {
                Ok(raw) if raw.status.is_server_error() => {
                    format!("{} {}", raw.status.as_u16(), raw.message())
                }
                Ok(raw) => {
                    let Some(limit) = rate_limit(&raw) else {
                        return Ok(raw);
                    };
                    let (kind, wait, reset) = match limit {
                        Limit::Primary { wait, reset } => ("primary", wait, reset),
                        Limit::Secondary { wait } => ("secondary", wait, None),
                    };
                    if wait > policy.max_wait || waits >= policy.rate_limit_retries {
                        return Err(Error::RateLimited {
                            kind,
                            what: ctx.what.clone(),
                            wait_secs: secs(wait),
                            max_wait_secs: secs(policy.max_wait),
                            reset: reset
                                .map(|r| format!(", the limit resets at {r} (Unix time)"))
                                .unwrap_or_default(),
                            auth_hint: if self.cfg.token.is_none() {
                                ", or set GITHUB_TOKEN: authenticated requests get 5000 per hour instead of 60".into()
                            } else {
                                String::new()
                            },
                        });
                    }
                    waits += 1;
                    warn!(
                        "GitHub {kind} rate limit hit while {}; waiting {}s before retrying",
                        ctx.what,
                        secs(wait)
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => format!("{e}"),
            };
            if server_failures >= policy.server_retries {
                return Err(Error::Server {
                    what: ctx.what.clone(),
                    attempts,
                    last,
                });
            }
            let delay = policy.backoff.saturating_mul(1 << server_failures.min(16));
            server_failures += 1;
            warn!(
                "GitHub failed while {} ({last}); retrying in {:.1}s",
                ctx.what,
                delay.as_secs_f64()
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Map a non-success status to an [`Error`]; success passes through.
    pub(crate) fn check(&self, raw: Raw, ctx: &Ctx) -> Result<Raw, Error> {
        let status = raw.status.as_u16();
        if raw.status.is_success() {
            return Ok(raw);
        }
        let token = self.cfg.token_source();
        let message = raw.message();
        let what = ctx.what.clone();
        Err(match status {
            401 => Error::Unauthorized {
                what,
                token,
                message,
            },
            403 => Error::Forbidden {
                what,
                token,
                hint: if token == TokenSource::None {
                    format!(
                        "No token was found: set GITHUB_TOKEN (or GH_TOKEN, or log in with `gh auth login`) to a token with the `{}` permission",
                        ctx.permission
                    )
                } else {
                    format!(
                        "The token needs the `{}` permission (fine-grained token), or the `repo` scope (classic token) for private repositories; \
                         an organisation may also require SSO authorisation of the token",
                        ctx.permission
                    )
                },
                message,
            },
            404 => Error::NotFound {
                what,
                hint: if token == TokenSource::None {
                    "no token was found (set GITHUB_TOKEN or GH_TOKEN, or run `gh auth login`)"
                        .into()
                } else {
                    format!("the token from {token} cannot see it")
                },
            },
            410 => Error::LogsExpired { what },
            _ => Error::Api {
                what,
                status,
                message,
            },
        })
    }

    /// GET a JSON document, checking the status.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        route: &str,
        ctx: &Ctx,
    ) -> Result<(T, Raw), Error> {
        let raw = self.request(Method::GET, route, None, ctx).await?;
        let raw = self.check(raw, ctx)?;
        let v = serde_json::from_slice(&raw.body).map_err(|e| Error::BadResponse {
            what: ctx.what.clone(),
            message: e.to_string(),
        })?;
        Ok((v, raw))
    }
}

fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Whether a response is a rate limit, and how long GitHub asks us to wait
/// (GitHub's guidance: `retry-after` first, then `x-ratelimit-reset` when
/// `x-ratelimit-remaining` is 0, otherwise at least a minute).
fn rate_limit(raw: &Raw) -> Option<Limit> {
    let status = raw.status.as_u16();
    if status != 403 && status != 429 {
        return None;
    }
    let num = |h: &str| raw.header(h).and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(s) = num("retry-after") {
        return Some(Limit::Secondary {
            wait: Duration::from_secs(s),
        });
    }
    if raw.header("x-ratelimit-remaining").map(str::trim) == Some("0") {
        let reset = num("x-ratelimit-reset");
        let wait = reset.map_or(60, |r| r.saturating_sub(now_epoch()) + 1);
        return Some(Limit::Primary {
            wait: Duration::from_secs(wait),
            reset,
        });
    }
    let msg = raw.message().to_ascii_lowercase();
    if msg.contains("secondary rate limit") || msg.contains("abuse detection") || status == 429 {
        return Some(Limit::Secondary {
            wait: Duration::from_secs(60),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, headers: &[(&'static str, &str)], body: &str) -> Raw {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, v.parse().unwrap());
        }
        Raw {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn link_next() {
        let r = raw(
            200,
            &[(
                "link",
                "<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=5>; rel=\"last\"",
            )],
            "",
        );
        assert_eq!(
            r.next_link().as_deref(),
            Some("https://api.github.com/x?page=2")
        );
        assert_eq!(raw(200, &[], "").next_link(), None);
    }

    #[test]
    fn limits() {
        assert!(
            rate_limit(&raw(
                403,
                &[],
                "{\"message\":\"Resource not accessible by integration\"}"
            ))
            .is_none()
        );
        assert!(
            matches!(rate_limit(&raw(429, &[("retry-after", "7")], "")), Some(Limit::Secondary { wait }) if wait.as_secs() == 7)
        );
        let reset = (now_epoch() + 30).to_string();
        let r = raw(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", reset.as_str()),
            ],
            "",
        );
        assert!(
            matches!(rate_limit(&r), Some(Limit::Primary { wait, .. }) if (29..=32).contains(&wait.as_secs()))
        );
        let r = raw(
            403,
            &[],
            "{\"message\":\"You have exceeded a secondary rate limit. Please wait.\"}",
        );
        assert!(matches!(rate_limit(&r), Some(Limit::Secondary { wait }) if wait.as_secs() == 60));
    }
}
