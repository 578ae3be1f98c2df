//! (being written)
pub const NAME: &str = "numbers";
