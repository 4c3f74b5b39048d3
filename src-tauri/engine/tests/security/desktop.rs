//! The desktop window's CSP and capabilities, read from the Tauri config and permissions.

use serde_json::{json, Value};

/// The desktop window's CSP and capabilities, as principles rather than exact strings so the
/// shell can change them within the rules: default-src 'self'; no 'unsafe-eval' or bare `*`
/// anywhere; scripts only from the app; network access only to loopback and Tauri's IPC; and
/// capabilities that name the main window and grant only the app's own commands.
#[test]
fn the_desktop_csp_and_capabilities_stay_narrow() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/tauri.conf.json")).unwrap()).unwrap();
    let security = &config["app"]["security"];
    let directives: Vec<(String, Vec<String>)> = match &security["csp"] {
        Value::String(csp) => csp
            .split(';')
            .filter_map(|d| {
                let mut words = d.split_whitespace().map(str::to_owned);
                words.next().map(|name| (name.to_ascii_lowercase(), words.collect()))
            })
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(name, sources)| {
                let sources = match sources {
                    Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
                    Value::Array(list) => list.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
                    _ => Vec::new(),
                };
                (name.to_ascii_lowercase(), sources)
            })
            .collect(),
        other => panic!("app.security.csp must be set (a string or a map), not {other}"),
    };
    let sources = |name: &str| directives.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone());
    assert_eq!(sources("default-src"), Some(vec!["'self'".to_owned()]), "default-src must be exactly 'self'");
    for (name, list) in &directives {
        for source in list {
            assert_ne!(source, "'unsafe-eval'", "{name} allows 'unsafe-eval'");
            assert_ne!(source, "*", "{name} allows every origin");
            assert!(
                !matches!(source.as_str(), "http:" | "https:" | "ws:" | "wss:"),
                "{name} allows a whole scheme: {source}"
            );
        }
    }
    let scripts = sources("script-src").or_else(|| sources("default-src")).unwrap();
    for source in &scripts {
        assert!(
            matches!(source.as_str(), "'self'" | "'wasm-unsafe-eval'")
                || source.starts_with("'sha256-")
                || source.starts_with("'nonce-"),
            "script-src allows {source}: scripts must come from the app itself"
        );
    }
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]", "ws://127.0.0.1", "ws://localhost"];
    for source in sources("connect-src").unwrap_or_default() {
        let ok = matches!(source.as_str(), "'self'" | "ipc:" | "http://ipc.localhost" | "tauri:" | "'none'")
            || loopback.iter().any(|l| source == *l || source.starts_with(&format!("{l}:")));
        assert!(ok, "connect-src allows {source}: only the app, its IPC and loopback are needed");
    }
    if let Some(objects) = sources("object-src") {
        assert_eq!(objects, vec!["'none'".to_owned()], "object-src, when set, is 'none'");
    }
    assert_ne!(security["dangerousDisableAssetCspModification"], json!(true), "Tauri's CSP nonces must stay on");
    assert!(security.get("dangerousRemoteDomainIpcAccess").is_none(), "no remote domain may reach the IPC");

    // The app's own permissions, from src-tauri/app/permissions/*.toml.
    let mut own = Vec::new();
    for entry in std::fs::read_dir(format!("{root}/src-tauri/app/permissions")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("identifier") {
                own.push(rest.trim_start_matches([' ', '=']).trim().trim_matches('"').to_owned());
            }
        }
    }
    // Plugin or core permissions the UI needs. Empty today; adding one is a deliberate,
    // reviewed change (never `core:default`, `shell:*`, `fs:*` or `http:*`).
    const ALLOWED_FOREIGN: [&str; 0] = [];
    let mut capabilities: Vec<Value> = security["capabilities"].as_array().cloned().unwrap_or_default();
    if let Ok(dir) = std::fs::read_dir(format!("{root}/capabilities")) {
        for entry in dir {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                capabilities.push(serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap());
            }
        }
    }
    assert!(!capabilities.is_empty(), "the app defines its capabilities explicitly");
    for capability in &capabilities {
        let id = capability["identifier"].as_str().unwrap_or("?");
        assert!(capability.get("remote").is_none(), "capability {id} grants IPC to remote URLs");
        let windows = capability["windows"].as_array().unwrap_or_else(|| panic!("capability {id} names its windows"));
        assert!(
            windows.iter().all(|w| w.as_str().is_some_and(|w| !w.contains('*'))),
            "capability {id} uses a window wildcard"
        );
        for permission in capability["permissions"].as_array().unwrap() {
            let name = permission.as_str().or_else(|| permission["identifier"].as_str()).unwrap_or("?");
            assert!(
                own.iter().any(|o| o == name) || ALLOWED_FOREIGN.contains(&name),
                "capability {id} grants {name:?}, which is neither one of the app's own permissions {own:?} nor allowed"
            );
        }
    }
}
