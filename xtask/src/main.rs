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

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

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
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for name in ["gemm_cm2.comp", "variants.txt"] {
        let bytes = std::fs::read(dir.join(name))
            .unwrap_or_else(|e| fail(&format!("cannot read {name}: {e}")));
        for byte in bytes {
            hash = (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
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

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The browser tier: wasm-bindgen tests in headless Chromium, then the demo page end to end.
fn browser_tests() {
    let root = workspace_root();
    ensure_chromium();
    ensure_wasm_tools();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root.join("web"))
        .args([
            "test",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "omnimoe-web",
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "900");
    run(&mut cmd);

    let dist = build_web();
    ensure_playwright();
    let listener =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| fail(&format!("cannot listen: {e}")));
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || serve(listener, dist));
    let shot = root.join("target/web-demo.png");
    run(Command::new("node")
        .current_dir(root.join("web"))
        .arg("e2e.mjs")
        .arg(&url)
        .arg(&shot)
        .env("CHROMIUM", CHROMIUM));
    eprintln!("xtask: demo page ok; screenshot {}", shot.display());
    // The end-to-end check as a test runner's closing line.
    println!("e2e: 1 passed, 0 failed");
}

fn web(args: &[String]) {
    let dist = build_web();
    if args.iter().any(|a| a == "--build") {
        eprintln!("xtask: built {}", dist.display());
        return;
    }
    let listener = (8000..8100)
        .find_map(|port| TcpListener::bind(("127.0.0.1", port)).ok())
        .unwrap_or_else(|| fail("no free port in 127.0.0.1:8000-8099"));
    println!(
        "omnimoe demo: http://{}/  (Ctrl-C stops)",
        listener.local_addr().unwrap()
    );
    serve(listener, dist);
}

/// Builds the demo into `web/dist/`: the WebAssembly module, its JS bindings, the page.
fn build_web() -> PathBuf {
    let root = workspace_root();
    ensure_wasm_tools();
    run(Command::new(env!("CARGO")).current_dir(root).args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "omnimoe-web",
    ]));
    let dist = root.join("web/dist");
    let wasm = root.join("target/wasm32-unknown-unknown/release/omnimoe_web.wasm");
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&dist)
        .arg(&wasm));
    for page in ["index.html", "main.js"] {
        std::fs::copy(root.join("web").join(page), dist.join(page))
            .unwrap_or_else(|e| fail(&format!("copying {page}: {e}")));
    }
    dist
}

/// Serves `dir` over HTTP/1.0 until the process ends: GET only, no path outside `dir`.
fn serve(listener: TcpListener, dir: PathBuf) {
    for stream in listener.incoming().flatten() {
        let dir = dir.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &dir);
        });
    }
}

fn answer(mut stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let path = path
        .split('?')
        .next()
        .unwrap_or("/")
        .trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let file = dir.join(path);
    let body = if path.split('/').any(|c| c == "..") {
        None
    } else {
        std::fs::read(&file).ok()
    };
    let Some(body) = body else {
        return stream.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    };
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    write!(
        stream,
        "HTTP/1.0 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)
}

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

fn ensure_chromium() {
    if !(Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()) {
        apt_install(
            &["chromium", "chromium-driver"],
            "Chromium and ChromeDriver",
        );
    }
}

/// The wasm32 target and a wasm-bindgen CLI of the same version as the `wasm-bindgen` crate in Cargo.lock.
fn ensure_wasm_tools() {
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

fn ensure_playwright() {
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

fn ensure_vulkan_driver() {
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
