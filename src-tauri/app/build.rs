//! Build script of the desktop shell. `generate_context!()` embeds the web UI
//! from `ui/dist` at compile time, so that folder must exist even before the UI
//! has been built; then tauri-build checks the config and the ACL.

use std::error::Error;
use std::fs;
use std::path::Path;

/// `build > frontendDist` of tauri.conf.json, relative to the package root.
const UI_DIST: &str = "ui/dist";
/// The app's own permissions, kept with the shell's sources rather than in a
/// top-level `permissions/` folder.
const PERMISSIONS_DIR: &str = "src-tauri/app/permissions";
const PERMISSIONS_PATTERN: &str = "src-tauri/app/permissions/*.toml";

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Hooky</title>
  <style>
    body { margin: 0; min-height: 100vh; display: grid; place-items: center;
           font: 16px/1.5 system-ui, sans-serif; background: #f5f6fa; color: #1f2544; }
    main { max-width: 34rem; padding: 2rem; text-align: center; }
    code { background: #e4e7f5; padding: 0.1em 0.4em; border-radius: 4px; }
  </style>
</head>
<body>
  <main>
    <h1>Hooky</h1>
    <p>Hooky &mdash; the UI has not been built yet; run <code>make ui</code>.</p>
  </main>
</body>
</html>
"#;

fn main() -> Result<(), Box<dyn Error>> {
    ensure_ui_dist(Path::new(UI_DIST))?;
    // Rebuild when the UI is (re)built, so the new files get embedded.
    println!("cargo:rerun-if-changed={UI_DIST}");
    println!("cargo:rerun-if-changed={PERMISSIONS_DIR}");

    let manifest = tauri_build::AppManifest::new().permissions_path_pattern(PERMISSIONS_PATTERN);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .map_err(|err| format!("tauri-build failed: {err:#}"))?;
    Ok(())
}

/// Writes a placeholder page when the UI has not been built (`ui/dist` is git-ignored).
fn ensure_ui_dist(dist: &Path) -> Result<(), Box<dyn Error>> {
    let index = dist.join("index.html");
    if !index.is_file() {
        fs::create_dir_all(dist).map_err(|err| format!("cannot create {}: {err}", dist.display()))?;
        fs::write(&index, PLACEHOLDER).map_err(|err| format!("cannot write {}: {err}", index.display()))?;
        println!("cargo:warning=the web UI is not built; embedding a placeholder page (run `make ui`)");
    }
    Ok(())
}
