//! Progress of long commands (import, dump, scan, backfill) on standard error: a bar with rate
//! and ETA when the number of items is known, else a spinner with count and rate. Shown only on a
//! terminal, so output piped or redirected stays as it is and scripts see nothing extra.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether progress can be shown: standard error is a terminal, and the items themselves are
/// not being printed on it (`to_stdout` with standard output on the same terminal would mix
/// lines with the bar).
pub(crate) fn visible(to_stdout: bool) -> bool {
    std::io::stderr().is_terminal() && !(to_stdout && std::io::stdout().is_terminal())
}

/// Progress over `total` items (DynamoDB's item count may be approximate or absent), or a
/// hidden bar when it cannot be shown.
pub(crate) fn items(total: Option<u64>, message: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total.filter(|n| *n > 0) {
        Some(n) => (
            ProgressBar::new(n),
            "{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {msg}: {pos} item(s) ({per_sec}, {elapsed})",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
