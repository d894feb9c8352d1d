//! `dynorm`: the command-line tool for dynorm table definitions (see the `dynorm_cli` library).

fn main() -> std::process::ExitCode {
    dynorm_cli::run()
}
