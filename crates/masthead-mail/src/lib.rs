//! Outgoing mail for Masthead: a [`Mailer`] that sends an [`Email`] over SMTP,
//! into a directory of .eml files or into memory, and in [`testing`] a real SMTP
//! server on a loopback port that tests can send to and inspect.

mod body;
mod email;
mod error;
mod mailer;
mod smtp;
pub mod testing;

pub use email::Email;
pub use error::MailError;
pub use mailer::{MailOptions, Mailer};
