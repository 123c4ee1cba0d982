//! `docs/parameters.md` is exactly what the plugins define (`params --markdown` of every
//! plugin): parameter IDs, ranges, defaults and kinds are the plugins' public interface (presets
//! and saved projects use them), so none may change without this committed file changing too.

use std::path::Path;

const BLESS: &str = "FERRITE_BLESS=1 cargo test --release -p ferrite-tests --test parameters_doc";

#[test]
fn docs_parameters_md_is_what_the_plugins_define() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/parameters.md");
    let generated = ferrite_tests::parameters_doc();
    if std::env::var_os("FERRITE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .enumerate()
            .find(|(_, (c, g))| c != g)
            .map_or_else(
                || format!("the files differ in length ({} vs {} lines)", committed.lines().count(), generated.lines().count()),
                |(i, (c, g))| format!("line {}:\n  committed: {c}\n  plugins:   {g}", i + 1),
            );
        panic!(
            "docs/parameters.md differs from the plugins' parameter definitions ({first_difference}).\n\
             If the change is intended (parameter IDs, ranges and defaults are public interface: \
             presets and saved projects use them), regenerate the file with\n    {BLESS}\nand commit it."
        );
    }
}
