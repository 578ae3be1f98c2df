//! Themes: minijinja templates and static assets. The default theme is
//! compiled into the binary; a theme directory from the config overrides
//! any template (`templates/NAME`) or asset (`static/NAME`) at start-up,
//! without rebuilding. A broken template stops start-up with its name and
//! line, rather than failing later in front of a reader.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

macro_rules! embedded {
    ($dir:literal: $($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../../themes/default/", $dir, "/", $name)) as &[u8])),*]
    };
}

const TEMPLATES: &[(&str, &[u8])] = embedded!("templates":
    "base.html", "home.html", "article.html", "list.html", "error.html", "macros.html",
    "admin/base.html", "admin/login.html", "admin/index.html", "admin/media.html",
    "admin/ads.html", "ads/slot.html",
    "offer.html", "meter_banner.html", "print.html", "subscribe.html",
    "account/login.html", "account/sent.html", "account/verify.html", "account/link_invalid.html",
    "newsletter/list.html", "newsletter/sent.html", "newsletter/confirm.html", "newsletter/confirmed.html",
    "newsletter/preferences.html", "newsletter/unsubscribe.html", "newsletter/unsubscribed.html", "newsletter/box.html",
    "email/newsletter.html", "email/newsletter.txt", "email/newsletter_confirm.html", "email/newsletter_confirm.txt",
    "admin/newsletters.html", "admin/newsletter.html", "admin/newsletter_form.html",
    "account/account.html", "account/deleted.html", "account/gift.html",
    "email/login.txt", "email/login.html", "email/email_change.txt", "email/email_change.html",
    "email/billing.txt", "email/billing.html", "email/gift.txt", "email/gift.html",
    "billing/confirm.html", "billing/demo_checkout.html", "billing/done.html", "billing/unavailable.html",
    "billing/gift.html", "billing/redeem.html",
    "search.html", "archive.html", "archive_day.html",
    "magazine/index.html", "magazine/edition.html", "magazine/offer.html", "magazine/preparing.html",
    "admin/magazine.html", "admin/magazine_issue.html",
    "admin/login_code.html", "admin/invite.html", "admin/security.html", "admin/staff.html", "admin/audit.html",
    "admin/pagination.html", "admin/editor.html", "admin/preview.html", "admin/revisions.html", "admin/compare.html",
    "admin/taxonomy.html", "admin/plans.html", "admin/settings.html", "admin/members.html", "admin/member.html",
    "admin/numbers.html", "admin/integrations.html",
    "email/staff_invite.txt", "email/staff_invite.html",
);

const ASSETS: &[(&str, &[u8])] = embedded!("static": "site.css", "admin.css", "favicon.svg", "magazine.css", "desk.js");

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme directory {0} does not exist or is not a directory")]
    MissingDir(PathBuf),
    #[error("theme template {name}, line {line}: {message}")]
    Template { name: String, line: usize, message: String },
    #[error("theme file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// A static asset, ready to serve.
#[derive(Debug, Clone)]
pub struct Asset {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// Short content hash, used in URLs so assets can be cached forever.
    pub hash: String,
}

pub struct Theme {
    env: minijinja::Environment<'static>,
    assets: HashMap<String, Asset>,
    /// Where each template came from, for the desk and for tests.
    pub overridden: Vec<String>,
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..6])
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), ThemeError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ThemeError::Io { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| ThemeError::Io { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        if path.is_dir() {
            list_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

impl Theme {
    /// Loads the default theme, with the files of `override_dir` on top.
    pub fn load(override_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let mut templates: HashMap<String, String> = TEMPLATES
            .iter()
            .map(|(n, b)| (n.to_string(), String::from_utf8_lossy(b).into_owned()))
            .collect();
        let mut assets: HashMap<String, Asset> = ASSETS
            .iter()
            .map(|(n, b)| {
                let bytes = Bytes::from_static(b);
                (n.to_string(), Asset { hash: short_hash(&bytes), bytes, content_type: content_type(n) })
            })
            .collect();
        let mut overridden = Vec::new();
        if let Some(dir) = override_dir {
            if !dir.is_dir() {
                return Err(ThemeError::MissingDir(dir.to_path_buf()));
            }
            let tdir = dir.join("templates");
            if tdir.is_dir() {
                let mut names = Vec::new();
                list_files(&tdir, &tdir, &mut names)?;
                for name in names {
                    let path = tdir.join(&name);
                    let text = std::fs::read_to_string(&path).map_err(|source| ThemeError::Io { path, source })?;
                    overridden.push(format!("templates/{name}"));
                    templates.insert(name, text);
                }
            }
            let sdir = dir.join("static");
            if sdir.is_dir() {
                let mut names = Vec::new();
                list_files(&sdir, &sdir, &mut names)?;
                for name in names {
                    let path = sdir.join(&name);
                    let bytes = std::fs::read(&path).map_err(|source| ThemeError::Io { path, source })?;
                    overridden.push(format!("static/{name}"));
                    let bytes = Bytes::from(bytes);
                    assets.insert(name.clone(), Asset { hash: short_hash(&bytes), bytes, content_type: content_type(&name) });
                }
            }
        }
        overridden.sort();

        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        env.set_formatter(escape_minimal);
        let urls: Arc<HashMap<String, String>> =
            Arc::new(assets.iter().map(|(n, a)| (n.clone(), format!("/static/{n}?v={}", a.hash))).collect());
        env.add_function("asset", move |name: &str| -> Result<String, minijinja::Error> {
            urls.get(name).cloned().ok_or_else(|| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("no theme asset named {name:?}"))
            })
        });
        let mut names: Vec<String> = templates.keys().cloned().collect();
        names.sort();
        for name in &names {
            let source = templates.get(name).cloned().unwrap_or_default();
            env.add_template_owned(name.clone(), source).map_err(|e| template_error(name, &e))?;
        }
        // Compile-time problems show above; this catches a missing include
        // or an unknown macro import, which only show when loaded together.
        for name in &names {
            env.get_template(name).map_err(|e| template_error(name, &e))?;
        }
        Ok(Theme { env, assets, overridden })
    }

    pub fn render(&self, name: &str, ctx: impl serde::Serialize) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }

    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.get(name)
    }
}

/// Escapes what HTML needs escaped (& < > " ') and nothing more: the
/// default also escapes `/`, which bloats every URL in a page.
fn escape_minimal(out: &mut minijinja::Output, state: &minijinja::State, value: &minijinja::Value) -> Result<(), minijinja::Error> {
    if matches!(state.auto_escape(), minijinja::AutoEscape::None) || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    let text = value.to_string();
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i]).map_err(|_| write_error())?;
        out.write_str(rep).map_err(|_| write_error())?;
        last = i + 1;
    }
    out.write_str(&text[last..]).map_err(|_| write_error())
}

fn write_error() -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "could not write template output")
}

fn template_error(name: &str, e: &minijinja::Error) -> ThemeError {
    ThemeError::Template {
        name: e.name().unwrap_or(name).to_string(),
        line: e.line().unwrap_or(0),
        message: e.detail().map(str::to_string).unwrap_or_else(|| e.kind().to_string()),
    }
}
