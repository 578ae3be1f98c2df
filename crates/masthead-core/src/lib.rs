//! Masthead's domain: the newsroom's words as types, and the rules that
//! need no I/O (slugs, reading time, validation). Every other crate
//! depends on this one; it depends on nothing of ours.

pub mod access;
pub mod article;
pub mod billing;
pub mod diff;
pub mod error;
pub mod search;
pub mod magazine;
pub mod newsletter;
pub mod numbers;
pub mod slug;
pub mod staff;

pub use access::*;
pub use article::*;
pub use error::{DomainError, FieldError};
