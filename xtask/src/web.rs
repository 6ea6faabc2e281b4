//! `cargo xtask web` and the browser tier of `cargo xtask test`: the demo page built into `web/dist/`, served
//! over HTTP on 127.0.0.1, the wasm-bindgen tests in headless Chromium and the page checked end to end.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::install::{
    ensure_chromium, ensure_playwright, ensure_wasm_tools, CHROMEDRIVER, CHROMIUM,
};
use crate::{fail, run, workspace_root};

/// The browser tier: wasm-bindgen tests in headless Chromium, then the demo page end to end.
pub(crate) fn browser_tests() {
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

pub(crate) fn web(args: &[String]) {
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
