//! Writes the preprocessed WGSL of every shader variant the layer can build, comments and blank lines
//! dropped, one file per variant: run it before and after a change to the shaders' text and `diff -r`
//! the two folders to see which variants it changed (none, for a refactor that only moves code).
//!
//! `cargo run --release -p omnimoe --example dump_variants -- DIR`

use omnimoe::gpu::pipelines::{preprocess, source};
use omnimoe::gpu::variants::all_variants;

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: dump_variants DIR (the folder to write)");
    std::fs::create_dir_all(&dir)?;
    let variants = all_variants();
    for (n, (stage, entry, variant)) in variants.iter().enumerate() {
        let code = preprocess(source(stage), variant);
        let kept: Vec<&str> = code
            .lines()
            .map(|l| l.split("//").next().unwrap_or("").trim_end())
            .filter(|l| !l.trim().is_empty())
            .collect();
        let path = format!("{dir}/{stage}-{entry}-{n:04}.wgsl");
        std::fs::write(path, format!("// {variant:?}\n{}\n", kept.join("\n")))?;
    }
    println!("{} variants in {dir}", variants.len());
    Ok(())
}
