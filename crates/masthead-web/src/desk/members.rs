//! (being written)
pub const NAME: &str = "members";
