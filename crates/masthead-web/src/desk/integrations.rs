//! (being written)
pub const NAME: &str = "integrations";
