//! Outgoing mail for Masthead: a [`Mailer`] that sends an [`Email`] over SMTP,
//! into a directory of .eml files or into memory, and in [`testing`] a real SMTP
//! server on a loopback port that tests can send to and inspect. With a [`Dkim`]
//! in [`MailOptions`], every message is DKIM-signed on its way out, whatever the backend.

mod body;
mod dkim;
mod email;
mod error;
mod mailer;
mod smtp;
pub mod testing;

pub use dkim::{dns_name, Dkim, DkimError};
pub use email::Email;
pub use error::MailError;
pub use mailer::{MailOptions, Mailer};
