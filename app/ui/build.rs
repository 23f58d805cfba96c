//! Lists the translation files for `src/i18n.rs`: every `locales/de/<name>.toml` with its English
//! twin `locales/en/<name>.toml`. A capability's texts are its own two files; no list to extend.

use std::path::Path;
use std::{env, fs};

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let locales = Path::new(&manifest).join("locales");
    // a file added or removed changes the folder; a changed file is tracked by `include_str!`
    println!("cargo:rerun-if-changed={}", locales.join("de").display());
    println!("cargo:rerun-if-changed={}", locales.join("en").display());
    let mut names: Vec<String> = fs::read_dir(locales.join("de"))
        .expect("app/ui/locales/de is readable")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".toml")).map(str::to_owned))
        .collect();
    names.sort();
    let mut out =
        String::from("/// The translation files: (name, German, English).\nconst FILES: &[(&str, &str, &str)] = &[\n");
    for name in &names {
        let de = locales.join("de").join(format!("{name}.toml"));
        let en = locales.join("en").join(format!("{name}.toml"));
        assert!(en.is_file(), "locales/de/{name}.toml has no English twin locales/en/{name}.toml");
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?}), include_str!({:?})),\n",
            de.display().to_string(),
            en.display().to_string()
        ));
    }
    out.push_str("];\n");
    let target = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("locale_files.rs");
    fs::write(target, out).expect("OUT_DIR is writable");
}
