//! Project tasks.
//!
//! - `cargo xtask test` is the one test command (CI runs exactly it). Crate hygiene: the library's
//!   `rust-version` covers its locked dependencies' and `cargo package -p omnimoe` builds the packaged
//!   crate. Native tier: makes sure a Vulkan
//!   driver exists (installing Mesa's software driver, lavapipe, on Debian/Ubuntu as root when there is
//!   none; otherwise it names the command to run), pins `WGPU_BACKEND=vulkan` on Linux, and runs every
//!   test of the workspace in release mode. Browser tier: installs what is missing (Chromium and its
//!   driver, the wasm32 target, wasm-bindgen-cli matching Cargo.lock, playwright-core), runs the browser
//!   tests in headless Chromium on WebGPU, then loads the demo page and checks `window.omnimoeResult`,
//!   saving a screenshot to `target/web-demo.png`.
//! - `cargo xtask web` builds the demo page into `web/dist/` and serves it on 127.0.0.1;
//!   `cargo xtask web --build` only builds it.
//! - `cargo xtask spirv` compiles the GLSL kernels of `shaders/spirv/` (those WGSL cannot express) into
//!   the SPIR-V files the crate embeds, with glslang 15 or newer (`GLSLANG`, else `glslang` on PATH),
//!   and records the sources' hash that a unit test compares, so stale binaries fail the tests.

use std::path::Path;
use std::process::{exit, Command};

mod install;
mod web;

use install::ensure_vulkan_driver;
use web::{browser_tests, web};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("web") => web(&args[1..]),
        Some("spirv") => spirv(),
        _ => {
            eprintln!(
                "usage: cargo xtask test [-- <cargo test arguments>]\n       cargo xtask web [--build]\n       \
                 cargo xtask spirv"
            );
            exit(2);
        }
    }
}

/// FNV-1a (64 bits) of the GLSL sources and the variant list: what `shaders/spirv/SOURCES_HASH` records
/// (the library's unit test computes the same).
fn sources_hash(dir: &Path) -> u64 {
    use std::hash::Hasher;
    let mut hash = fnv::FnvHasher::default();
    for name in ["gemm_cm2.comp", "variants.txt"] {
        let bytes = std::fs::read(dir.join(name))
            .unwrap_or_else(|e| fail(&format!("cannot read {name}: {e}")));
        hash.write(&bytes);
    }
    hash.finish()
}

fn spirv() {
    let dir = workspace_root().join("shaders/spirv");
    let glslang = std::env::var("GLSLANG").unwrap_or_else(|_| "glslang".into());
    let list = std::fs::read_to_string(dir.join("variants.txt"))
        .unwrap_or_else(|e| fail(&format!("cannot read variants.txt: {e}")));
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap();
        let mut cmd = Command::new(&glslang);
        cmd.current_dir(&dir)
            .args(["-V", "--target-env", "vulkan1.3"])
            .args(words.map(|d| format!("-D{d}")))
            .args(["gemm_cm2.comp", "-o", &format!("{name}.spv")]);
        run(&mut cmd);
    }
    let hash = format!("{:016x}\n", sources_hash(&dir));
    std::fs::write(dir.join("SOURCES_HASH"), hash).unwrap_or_else(|e| fail(&e.to_string()));
}

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn run(cmd: &mut Command) {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .status()
        .unwrap_or_else(|e| fail(&format!("could not start {cmd:?}: {e}")));
    if !status.success() {
        fail(&format!("{cmd:?} failed ({status})"));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("xtask: {msg}");
    exit(1)
}

fn test(extra: &[String]) {
    let root = workspace_root();
    if !root.join("../shared/golden/README.md").is_file()
        && std::env::var_os("OMNIMOE_GOLDEN_DIR").is_none()
    {
        fail(&format!(
            "the golden files are missing: expected {} (check out shared/ beside the repository, \
             or set OMNIMOE_GOLDEN_DIR)",
            root.join("../shared/golden").display()
        ));
    }
    let mut cmd = Command::new(env!("CARGO"));
    if cfg!(target_os = "linux") {
        ensure_vulkan_driver();
        if std::env::var_os("WGPU_BACKEND").is_none() {
            cmd.env("WGPU_BACKEND", "vulkan");
        }
        // Mesa's window-system code complains on every device without it; compute needs none.
        if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
            let dir = std::env::temp_dir().join("omnimoe-xdg");
            let _ = std::fs::create_dir_all(&dir);
            cmd.env("XDG_RUNTIME_DIR", dir);
        }
    }
    crate_hygiene();
    cmd.current_dir(root)
        .args(["test", "--workspace", "--release"])
        .args(extra);
    run(&mut cmd);
    browser_tests();
}

/// The library crate as published: its `rust-version` covers every locked dependency's (and this
/// toolchain meets it), and `cargo package -p omnimoe` builds it from its own files alone.
fn crate_hygiene() {
    let root = workspace_root();
    let out = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .unwrap_or_else(|e| fail(&format!("cargo metadata: {e}")));
    if !out.status.success() {
        fail(&format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| fail(&format!("cargo metadata: {e}")));
    let version = |v: &serde_json::Value| -> Option<(u32, u32)> {
        let mut it = v.as_str()?.split('.').map(|x| x.parse::<u32>().ok());
        Some((it.next()??, it.next().flatten().unwrap_or(0)))
    };
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    let by_id = |id: &str| packages.iter().find(|p| p["id"] == id);
    let ours = packages
        .iter()
        .find(|p| p["name"] == "omnimoe")
        .unwrap_or_else(|| fail("no omnimoe package in cargo metadata"));
    let msrv = version(&ours["rust_version"])
        .unwrap_or_else(|| fail("omnimoe's Cargo.toml sets no rust-version"));
    // The library's normal dependencies, transitively, from the resolved graph.
    let nodes = meta["resolve"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id);
    let mut todo = vec![ours["id"].as_str().unwrap_or_default().to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        for dep in node(&id)
            .and_then(|n| n["deps"].as_array())
            .into_iter()
            .flatten()
        {
            let normal = dep["dep_kinds"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k["kind"].is_null()));
            if normal {
                todo.push(dep["pkg"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    for id in &seen {
        let Some(p) = by_id(id) else { continue };
        if let Some(need) = version(&p["rust_version"]) {
            if need > msrv {
                fail(&format!(
                    "omnimoe's rust-version {}.{} is below {} {}'s {}.{}: raise it in Cargo.toml",
                    msrv.0, msrv.1, p["name"], p["version"], need.0, need.1
                ));
            }
        }
    }
    let rustc = Command::new("rustc").arg("--version").output();
    let have = rustc
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            version(&serde_json::Value::from(text.split_whitespace().nth(1)?))
        })
        .unwrap_or_else(|| fail("cannot read rustc's version"));
    if have < msrv {
        fail(&format!(
            "this rustc is {}.{}, older than omnimoe's rust-version {}.{}",
            have.0, have.1, msrv.0, msrv.1
        ));
    }
    eprintln!(
        "xtask: rust-version {}.{} covers the {} crates omnimoe builds on",
        msrv.0,
        msrv.1,
        seen.len() - 1
    );
    run(Command::new(env!("CARGO")).current_dir(root).args([
        "package",
        "-p",
        "omnimoe",
        "--allow-dirty",
        "--locked",
    ]));
}
