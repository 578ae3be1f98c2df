//! (being written)
pub const NAME: &str = "business";
