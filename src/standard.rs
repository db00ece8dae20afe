//! The standard blueprint set (the book's language reference, "The standard blueprints"), compiled
//! into the binary so that `govrt init` works wherever govrt is installed.
//! The files under `blueprints/` are the source; these are the same bytes.

/// Each standard file: (name, text).
pub const STANDARD_BLUEPRINTS: &[(&str, &str)] = &[
    (
        "blueprints/business_initiative.gov",
        include_str!("../blueprints/business_initiative.gov"),
    ),
    (
        "blueprints/project.gov",
        include_str!("../blueprints/project.gov"),
    ),
    (
        "blueprints/model.gov",
        include_str!("../blueprints/model.gov"),
    ),
    (
        "blueprints/model_version.gov",
        include_str!("../blueprints/model_version.gov"),
    ),
    (
        "blueprints/bundle.gov",
        include_str!("../blueprints/bundle.gov"),
    ),
    (
        "blueprints/controls.gov",
        include_str!("../blueprints/controls.gov"),
    ),
    (
        "blueprints/infrastructures.gov",
        include_str!("../blueprints/infrastructures.gov"),
    ),
    (
        "blueprints/tables.gov",
        include_str!("../blueprints/tables.gov"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_folder_is_compiled_in() {
        let mut on_disk: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/blueprints"))
                .unwrap()
                .map(|e| format!("blueprints/{}", e.unwrap().file_name().to_string_lossy()))
                .filter(|n| n.ends_with(".gov"))
                .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = STANDARD_BLUEPRINTS
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }
}
