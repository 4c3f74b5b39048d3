//! The static UI folder: its files are served, nothing outside it can be read.

use super::support::{raw_http, TestEngine};

/// The static UI is served from a real folder; nothing outside it can be read, whatever the
/// encoding of the dot segments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_cannot_escape_the_ui_dir() {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(ui.path().join("index.html"), "<!doctype html><title>HOOKY-INDEX</title>").unwrap();
    std::fs::create_dir(ui.path().join("assets")).unwrap();
    std::fs::write(ui.path().join("assets/app.js"), "console.log('HOOKY-ASSET')").unwrap();
    // A secret beside the UI folder, one level up: as reachable by `..` as /etc/passwd.
    let secret = ui.path().parent().unwrap().join(format!("hooky-secret-{}.txt", std::process::id()));
    std::fs::write(&secret, "HOOKY-SECRET-OUTSIDE").unwrap();
    let secret_name = secret.file_name().unwrap().to_str().unwrap().to_owned();
    let ui_dir = ui.path().to_path_buf();
    let engine = TestEngine::start_with(move |config| config.ui_dir = Some(ui_dir)).await;
    let addr = engine.addr();
    let port = addr.port();
    let get = |path: String| {
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        async move { raw_http(addr, request.as_bytes()).await }
    };
    let (status, answer) = get("/".into()).await;
    assert!(status == 200 && answer.contains("HOOKY-INDEX"), "{answer}");
    let (status, answer) = get("/assets/app.js".into()).await;
    assert!(status == 200 && answer.contains("HOOKY-ASSET"), "{answer}");

    let mut paths: Vec<String> = Vec::new();
    for target in ["etc/passwd", secret_name.as_str()] {
        for up in [
            "../",
            "..%2f",
            "..%2F",
            "%2e%2e/",
            "%2e%2e%2f",
            "%2E%2E%2F",
            ".%2e/",
            "%2e./",
            "..%5c",
            "..\\",
            "%252e%252e%252f",
            "....//",
            "..;/",
        ] {
            let depth = if target == "etc/passwd" { 8 } else { 1 };
            paths.push(format!("/{}{target}", up.repeat(depth)));
            paths.push(format!("/assets/{}{target}", up.repeat(depth + 1)));
        }
    }
    paths.extend(
        ["//etc/passwd", "/%2fetc%2fpasswd", "/./../../../../etc/passwd", "/etc/passwd%00.html"].map(String::from),
    );
    let mut leaks = Vec::new();
    for path in &paths {
        let (status, answer) = get(path.clone()).await;
        let leaked = answer.contains("root:") || answer.contains("HOOKY-SECRET-OUTSIDE");
        let fine = matches!(status, 200 | 400 | 403 | 404) && (status != 200 || answer.contains("HOOKY-INDEX"));
        if leaked || !fine {
            leaks.push(format!("{path}: {status} {}", answer.chars().take(200).collect::<String>()));
        }
    }
    let _ = std::fs::remove_file(&secret);
    assert!(leaks.is_empty(), "{} of {} paths escaped or misbehaved:\n{}", leaks.len(), paths.len(), leaks.join("\n"));
    engine.shutdown().await;
}
