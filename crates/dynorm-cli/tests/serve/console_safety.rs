//! The console is safe by default: it refuses a request naming a foreign host (DNS rebinding)
//! and a state change without the page's CSRF token; bound to a non-loopback address it needs
//! its access token. Requests go over plain TCP, as a browser's would.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};

use dynorm_cli::serve::{ServeOptions, Server};

/// One request; the status and the whole response (headers and body).
fn send(address: SocketAddr, head: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    (status, response)
}

/// The CSRF token the console page carries.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"dynorm-csrf\" content=\"").unwrap() + 28;
    page[at..at + 32].to_owned()
}

#[test]
fn on_loopback_the_console_checks_the_host_and_the_csrf_token() {
    let server = Server::start(ServeOptions::default()).unwrap();
    let a = server.address();
    let (status, page) = send(a, &format!("GET /console/ HTTP/1.1\r\nHost: {a}"), "");
    assert_eq!(status, 200, "{page}");
    let token = csrf(&page);

    // DNS rebinding: a page of another site, its name now pointing at 127.0.0.1.
    let (status, answer) = send(
        a,
        "GET /console/api/tables HTTP/1.1\r\nHost: evil.example:8000",
        "",
    );
    assert_eq!(status, 421, "{answer}");
    assert!(
        answer.contains("ForeignHost") && answer.contains("evil.example"),
        "{answer}"
    );

    let create = r#"{"operation":"CreateTable","request":{"TableName":"things","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}}"#;
    let post = format!("POST /console/api/call HTTP/1.1\r\nHost: {a}\r\nContent-Type: application/json");
    let (status, answer) = send(a, &post, create);
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("CsrfTokenMismatch"), "{answer}");
    let (status, answer) = send(a, &format!("{post}\r\nx-dynorm-csrf: {token}"), create);
    assert_eq!(status, 200, "{answer}");

    // The console shows the engine's typed errors.
    let (status, answer) = send(a, &format!("{post}\r\nx-dynorm-csrf: {token}"), create);
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("ResourceInUseException"), "{answer}");
    server.stop().unwrap();
}

#[test]
fn off_loopback_the_console_needs_its_token() {
    let server = Server::start(ServeOptions {
        host: IpAddr::from([0, 0, 0, 0]),
        console_token: Some("s3cret".into()),
        ..ServeOptions::default()
    })
    .unwrap();
    assert!(server.console_url().ends_with("/console/?token=s3cret"));
    let a = SocketAddr::from(([127, 0, 0, 1], server.address().port()));
    let (status, answer) = send(a, "GET /console/ HTTP/1.1\r\nHost: my-laptop:8000", "");
    assert_eq!(status, 401, "{answer}");
    assert!(answer.contains("ConsoleTokenRequired"), "{answer}");
    let (status, page) = send(
        a,
        "GET /console/?token=s3cret HTTP/1.1\r\nHost: my-laptop:8000",
        "",
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("dynorm_console=s3cret"),
        "the token is kept in a cookie: {page}"
    );
    let (status, answer) = send(
        a,
        "GET /console/api/tables HTTP/1.1\r\nHost: my-laptop:8000\r\nCookie: dynorm_console=s3cret",
        "",
    );
    assert_eq!(status, 200, "{answer}");
    server.stop().unwrap();
}
