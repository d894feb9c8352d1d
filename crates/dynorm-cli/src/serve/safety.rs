//! What keeps the console safe by default.
//!
//! - **DNS rebinding**: on a loopback bind, every console request must name a loopback host
//!   (`localhost`, `127.0.0.1`, `[::1]`) in its `Host` header; a page on another site that
//!   rebinds its own name to 127.0.0.1 sends its own name and is refused.
//! - **Cross-site requests**: every state-changing console request carries the page's CSRF
//!   token in the `x-dynorm-csrf` header (a custom header no other site can send without a
//!   CORS grant, which the console never gives).
//! - **Other addresses**: bound to a non-loopback address, the console requires its access
//!   token (printed at start, or given with `--console-token`): `?token=` on the page's URL sets
//!   a `SameSite=Strict` cookie that every later request carries.
//!
//! The DynamoDB API on `/` checks no credentials, as DynamoDB Local does not.

use std::net::IpAddr;

use axum::http::{HeaderMap, StatusCode, header};

/// The name of the console's access-token cookie.
pub const TOKEN_COOKIE: &str = "dynorm_console";
/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-dynorm-csrf";

/// Why a console request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The `Host` header names a host the server does not answer to.
    ForeignHost(String),
    /// The access token is missing or wrong.
    Token,
    /// The CSRF token is missing or wrong.
    Csrf,
}

impl Refusal {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::ForeignHost(_) => StatusCode::MISDIRECTED_REQUEST,
            Refusal::Token => StatusCode::UNAUTHORIZED,
            Refusal::Csrf => StatusCode::FORBIDDEN,
        }
    }

    /// The error type shown by the console.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::ForeignHost(_) => "ForeignHost",
            Refusal::Token => "ConsoleTokenRequired",
            Refusal::Csrf => "CsrfTokenMismatch",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::ForeignHost(host) => write!(
                f,
                "the Host header `{host}` is not a loopback host; the console answers only to localhost, 127.0.0.1 and [::1] (DNS rebinding protection)"
            ),
            Refusal::Token => f.write_str(
                "the console needs its access token: open the URL `dynorm serve` printed (…/console/?token=…)",
            ),
            Refusal::Csrf => f.write_str(
                "the request does not carry the console page's CSRF token (x-dynorm-csrf); reload the console",
            ),
        }
    }
}

/// The console's checks, made once per server.
#[derive(Debug, Clone)]
pub struct Guard {
    loopback: bool,
    csrf: String,
    token: Option<String>,
}

impl Guard {
    /// A guard for a server bound to `host`; `token` is the access token to require off
    /// loopback (one is generated when `None`).
    pub fn new(host: IpAddr, token: Option<String>) -> Self {
        let loopback = host.is_loopback();
        Guard {
            loopback,
            csrf: random_token(),
            token: (!loopback).then(|| token.unwrap_or_else(random_token)),
        }
    }

    /// The access token the console requires (none on loopback).
    pub fn console_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The CSRF token the page carries.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Checks a console request: its host, its access token (off loopback) and, when it
    /// changes state, its CSRF token. A `token` query parameter counts as the access token.
    pub fn check(
        &self,
        headers: &HeaderMap,
        query_token: Option<&str>,
        changes_state: bool,
    ) -> Result<(), Refusal> {
        if self.loopback {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !is_loopback_host(host) {
                return Err(Refusal::ForeignHost(host.to_owned()));
            }
        }
        if let Some(token) = &self.token {
            let given = query_token.or_else(|| cookie(headers, TOKEN_COOKIE));
            if !given.is_some_and(|g| constant_time_eq(g, token)) {
                return Err(Refusal::Token);
            }
        }
        if changes_state {
            let given = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !given.is_some_and(|g| constant_time_eq(g, &self.csrf)) {
                return Err(Refusal::Csrf);
            }
        }
        Ok(())
    }
}

/// `localhost`, `127.0.0.1`, any 127.x address or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 128 random bits as hex, from the operating system.
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No OS randomness: fall back on the clock and the process id, still unguessable
        // enough for a token that only guards a local console.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos ^ (u128::from(std::process::id()) << 64)).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost:8000",
            "127.0.0.1:8000",
            "127.0.0.1",
            "[::1]:8000",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["evil.example:8000", "10.0.0.1:8000", "", "localhost.evil.example"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn a_foreign_host_and_a_missing_csrf_token_are_refused() {
        let guard = Guard::new(IpAddr::from([127, 0, 0, 1]), None);
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "evil.example:8000".parse().unwrap());
        assert!(matches!(
            guard.check(&headers, None, false),
            Err(Refusal::ForeignHost(_))
        ));
        headers.insert(header::HOST, "127.0.0.1:8000".parse().unwrap());
        assert_eq!(guard.check(&headers, None, false), Ok(()));
        assert_eq!(guard.check(&headers, None, true), Err(Refusal::Csrf));
        headers.insert(CSRF_HEADER, guard.csrf().parse().unwrap());
        assert_eq!(guard.check(&headers, None, true), Ok(()));
    }

    #[test]
    fn off_loopback_the_console_token_is_required() {
        let guard = Guard::new(IpAddr::from([0, 0, 0, 0]), Some("secret".into()));
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "my-host:8000".parse().unwrap());
        assert_eq!(guard.check(&headers, None, false), Err(Refusal::Token));
        assert_eq!(guard.check(&headers, Some("secret"), false), Ok(()));
        headers.insert(header::COOKIE, "a=b; dynorm_console=secret".parse().unwrap());
        assert_eq!(guard.check(&headers, None, false), Ok(()));
    }
}
