//! What the tests need on the machine, installed where missing: a Vulkan driver (lavapipe), Chromium and
//! ChromeDriver, the wasm32 target with a wasm-bindgen CLI matching Cargo.lock, playwright-core.

use std::path::Path;
use std::process::Command;

use crate::{fail, run, workspace_root};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn apt_install(packages: &[&str], what: &str) {
    if !(is_root() && Path::new("/usr/bin/apt-get").exists()) {
        fail(&format!(
            "{what} is missing: install it with `sudo apt-get install -y {}`",
            packages.join(" ")
        ));
    }
    eprintln!("xtask: installing {}", packages.join(" "));
    run(Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"));
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"));
}

pub(crate) fn ensure_chromium() {
    if !(Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()) {
        apt_install(
            &["chromium", "chromium-driver"],
            "Chromium and ChromeDriver",
        );
    }
}

/// The wasm32 target and a wasm-bindgen CLI of the same version as the `wasm-bindgen` crate in Cargo.lock.
pub(crate) fn ensure_wasm_tools() {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if !installed
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
    {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]));
    }
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).unwrap_or_default();
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"wasm-bindgen\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .unwrap_or_else(|| fail("wasm-bindgen is not in Cargo.lock"));
    let have = Command::new("wasm-bindgen").arg("--version").output();
    if !have.is_ok_and(|o| {
        String::from_utf8_lossy(&o.stdout).trim() == format!("wasm-bindgen {version}")
    }) {
        eprintln!("xtask: installing wasm-bindgen-cli {version} (matches Cargo.lock)");
        run(Command::new(env!("CARGO")).args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &version,
        ]));
    }
}

pub(crate) fn ensure_playwright() {
    let web = workspace_root().join("web");
    if web
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return;
    }
    if Command::new("npm").arg("--version").output().is_err() {
        fail(
            "npm is missing: install Node.js (Debian/Ubuntu: `sudo apt-get install -y nodejs npm`)",
        );
    }
    run(Command::new("npm")
        .current_dir(&web)
        .args(["install", "--no-audit", "--no-fund"]));
}

/// Vulkan ICD manifests, where the loader looks for drivers.
fn vulkan_drivers() -> Vec<String> {
    let mut found = Vec::new();
    for var in ["VK_DRIVER_FILES", "VK_ICD_FILENAMES"] {
        if let Some(v) = std::env::var_os(var) {
            found.push(format!("{var}={}", v.to_string_lossy()));
        }
    }
    for dir in [
        "/usr/share/vulkan/icd.d",
        "/etc/vulkan/icd.d",
        "/usr/local/share/vulkan/icd.d",
    ] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            found.extend(
                entries
                    .flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .map(|e| e.path().display().to_string()),
            );
        }
    }
    found
}

pub(crate) fn ensure_vulkan_driver() {
    let drivers = vulkan_drivers();
    let loader = [
        "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
        "/usr/lib/aarch64-linux-gnu/libvulkan.so.1",
        "/usr/lib/libvulkan.so.1",
        "/usr/lib64/libvulkan.so.1",
    ]
    .iter()
    .any(|p| Path::new(p).exists());
    if !drivers.is_empty() && loader {
        eprintln!("xtask: Vulkan drivers: {}", drivers.join(", "));
        return;
    }
    const FIX: &str = "apt-get install -y mesa-vulkan-drivers";
    eprintln!("xtask: no Vulkan driver found; the GPU tests need one (Mesa's software driver, lavapipe, will do)");
    apt_install(
        &["mesa-vulkan-drivers", "libvulkan1"],
        "a Vulkan driver (your GPU's, or Mesa's software one)",
    );
    if vulkan_drivers().is_empty() {
        fail(&format!(
            "`{FIX}` ran but no Vulkan driver manifest appeared"
        ));
    }
}
