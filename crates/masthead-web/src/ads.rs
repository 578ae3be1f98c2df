//! Ads: four slots (the header, inside an article after paragraph N, a
//! sidebar, the end of an article) that the publisher fills with an HTML
//! snippet or a house promotion for subscribing. Snippets are sanitized
//! when saved and again when loaded, so no script, frame or style reaches a
//! page. Pages are cached with a placeholder per slot and filled per
//! reader: readers with the ad-free benefit get none, and the anonymous
//! variant stays one cacheable page.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use bytes::Bytes;
use masthead_core::{Benefit, Block, BlockKind};
use serde::{Deserialize, Serialize};

use crate::auth::Staff;
use crate::reader::ReaderCtx;
use crate::site::chrome;
use crate::{AppError, AppResult, AppState, Theme};

pub const SETTINGS_KEY: &str = "ads";

/// Where an ad may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Header,
    InArticle,
    Sidebar,
    EndOfArticle,
}

impl Slot {
    pub const ALL: [Slot; 4] = [Slot::Header, Slot::InArticle, Slot::Sidebar, Slot::EndOfArticle];

    pub fn name(self) -> &'static str {
        match self {
            Slot::Header => "header",
            Slot::InArticle => "in_article",
            Slot::Sidebar => "sidebar",
            Slot::EndOfArticle => "end_of_article",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Slot::Header => "Header, on every page",
            Slot::InArticle => "Inside articles",
            Slot::Sidebar => "Beside articles",
            Slot::EndOfArticle => "After articles",
        }
    }

    /// The placeholder a cached page carries where this slot goes.
    pub fn marker(self) -> &'static str {
        match self {
            Slot::Header => "<!--mh:ad:header-->",
            Slot::InArticle => "<!--mh:ad:in_article-->",
            Slot::Sidebar => "<!--mh:ad:sidebar-->",
            Slot::EndOfArticle => "<!--mh:ad:end_of_article-->",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What fills a slot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fill {
    #[default]
    Empty,
    /// The publisher's own HTML (sanitized).
    Snippet { html: String },
    /// Our promotion for subscribing.
    HousePromotion,
}

/// The publisher's ad settings, kept as JSON in the settings table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdSettings {
    pub header: Fill,
    pub in_article: Fill,
    pub sidebar: Fill,
    pub end_of_article: Fill,
    /// The in-article slot follows this paragraph (counting from 1).
    pub in_article_after: u32,
}

impl Default for AdSettings {
    fn default() -> Self {
        AdSettings { header: Fill::Empty, in_article: Fill::Empty, sidebar: Fill::Empty, end_of_article: Fill::Empty, in_article_after: 3 }
    }
}

impl AdSettings {
    pub fn from_settings(s: &HashMap<String, String>) -> AdSettings {
        let mut a = match s.get(SETTINGS_KEY) {
            Some(json) => serde_json::from_str(json).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the stored ad settings are unreadable; no ads are shown");
                AdSettings::default()
            }),
            None => AdSettings::default(),
        };
        // Sanitized on save too; this guards against settings written
        // around the desk (a restore, a hand edit).
        a.sanitize();
        a
    }

    pub fn fill(&self, slot: Slot) -> &Fill {
        match slot {
            Slot::Header => &self.header,
            Slot::InArticle => &self.in_article,
            Slot::Sidebar => &self.sidebar,
            Slot::EndOfArticle => &self.end_of_article,
        }
    }

    fn fill_mut(&mut self, slot: Slot) -> &mut Fill {
        match slot {
            Slot::Header => &mut self.header,
            Slot::InArticle => &mut self.in_article,
            Slot::Sidebar => &mut self.sidebar,
            Slot::EndOfArticle => &mut self.end_of_article,
        }
    }

    /// Runs every snippet through the article-body allowlist; a snippet
    /// with nothing left is no snippet.
    pub fn sanitize(&mut self) {
        for slot in Slot::ALL {
            let f = self.fill_mut(slot);
            if let Fill::Snippet { html } = f {
                let clean = masthead_render::sanitize_html(html).trim().to_string();
                *f = if clean.is_empty() { Fill::Empty } else { Fill::Snippet { html: clean } };
            }
        }
    }
}

/// The slots as pages get them: rendered once when settings load.
#[derive(Debug, Clone, Default)]
pub struct Ads {
    rendered: [String; 4],
    in_article_after: u32,
}

impl Ads {
    pub fn new(settings: &AdSettings, theme: &Theme, site: &crate::Site, plans: &[masthead_core::billing::Plan]) -> Ads {
        let cheapest = crate::paywall::plan_views(plans).into_iter().find(|p| p.interval == "month").map(|p| p.price);
        let mut rendered: [String; 4] = Default::default();
        for slot in Slot::ALL {
            let ctx = match settings.fill(slot) {
                Fill::Empty => continue,
                Fill::Snippet { html } => minijinja::context! { slot => slot.name(), house => false, html, site },
                Fill::HousePromotion => minijinja::context! { slot => slot.name(), house => true, site, price => cheapest },
            };
            rendered[slot.index()] = theme.render("ads/slot.html", ctx).unwrap_or_else(|e| {
                tracing::error!(error = %e, slot = slot.name(), "the ad slot template failed to render; the slot stays empty");
                String::new()
            });
        }
        let in_article_after = if matches!(settings.in_article, Fill::Empty) { 0 } else { settings.in_article_after.max(1) };
        Ads { rendered, in_article_after }
    }

    /// True when no slot has anything in it.
    pub fn is_empty(&self) -> bool {
        self.rendered.iter().all(String::is_empty)
    }

    /// After which of these blocks the in-article slot goes: the N-th
    /// paragraph, if the reader is sent that many.
    pub fn in_article_at(&self, blocks: &[Block]) -> Option<usize> {
        if self.in_article_after == 0 {
            return None;
        }
        blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.kind == BlockKind::Paragraph)
            .nth(self.in_article_after as usize - 1)
            .map(|(i, _)| i)
            // Not as the very last thing: that is the end-of-article slot's place.
            .filter(|i| i + 1 < blocks.len())
    }

    /// Fills a page's slots: with the ads, or with nothing for a reader
    /// who has the ad-free benefit.
    pub fn fill(&self, body: &[u8], ad_free: bool) -> Bytes {
        crate::slots::fill(&Bytes::copy_from_slice(body), &self.fills(ad_free))
    }

    /// Each slot's marker with what replaces it for this reader.
    pub fn fills(&self, ad_free: bool) -> Vec<(&'static str, &str)> {
        Slot::ALL.iter().map(|s| (s.marker(), if ad_free { "" } else { self.rendered[s.index()].as_str() })).collect()
    }
}

/// True when a page still has an ad placeholder to fill.
pub fn has_marker(body: &[u8]) -> bool {
    crate::slots::any_ad(body)
}

/// Whether the reader behind these request headers is ad-free. Anonymous
/// readers never are, and are answered without the database.
pub async fn ad_free(state: &AppState, headers: &HeaderMap) -> bool {
    let mut req = axum::http::Request::new(());
    *req.headers_mut() = headers.clone();
    let (mut parts, ()) = req.into_parts();
    match <ReaderCtx as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await {
        Ok(r) => r.entitlements().has(Benefit::AdFree),
        Err(e) => {
            tracing::warn!(error = %e, "could not look up the reader's benefits; ads are shown");
            false
        }
    }
}

// ---- the desk -----------------------------------------------------------

fn may_edit(staff: &Staff) -> AppResult<()> {
    staff.require(masthead_core::staff::Action::ManageSettings, masthead_core::staff::Ownership::NotApplicable)
}

#[derive(Serialize)]
struct SlotForm {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    html: String,
}

fn desk_page(state: &AppState, staff: &Staff, settings: &AdSettings, notice: Option<&str>, status: StatusCode) -> AppResult<Response> {
    let slots: Vec<SlotForm> = Slot::ALL
        .iter()
        .map(|&s| {
            let (kind, html) = match settings.fill(s) {
                Fill::Empty => ("empty", String::new()),
                Fill::Snippet { html } => ("snippet", html.clone()),
                Fill::HousePromotion => ("house", String::new()),
            };
            SlotForm { name: s.name(), label: s.label(), kind, html }
        })
        .collect();
    let body = state.theme.render(
        "admin/ads.html",
        minijinja::context! {
            chrome => chrome(state, "/admin/ads"), staff => staff.name, csrf => staff.csrf(state), desk => crate::desk::DeskNav::for_staff(staff),
            slots, in_article_after => settings.in_article_after, notice,
        },
    )?;
    Ok((status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response())
}

/// `GET /admin/ads`: the slots and what fills them.
pub async fn desk(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    may_edit(&staff)?;
    let settings = AdSettings::from_settings(&state.db.settings().await?);
    desk_page(&state, &staff, &settings, None, StatusCode::OK)
}

/// `POST /admin/ads`: saves the slots. A snippet is sanitized before it is
/// stored, and the desk shows what was kept.
pub async fn save(State(state): State<AppState>, staff: Staff, Form(form): Form<HashMap<String, String>>) -> AppResult<Response> {
    may_edit(&staff)?;
    staff.check_csrf(&state, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let mut settings = AdSettings::default();
    let mut changed = false;
    for slot in Slot::ALL {
        let kind = form.get(&format!("{}_kind", slot.name())).map(String::as_str).unwrap_or("empty");
        let html = form.get(&format!("{}_html", slot.name())).cloned().unwrap_or_default();
        *settings.fill_mut(slot) = match kind {
            "empty" => Fill::Empty,
            "house" => Fill::HousePromotion,
            "snippet" => {
                let clean = masthead_render::sanitize_html(&html).trim().to_string();
                changed |= clean != html.trim();
                if clean.is_empty() {
                    return Err(AppError::Invalid(vec![masthead_core::FieldError::new(
                        format!("{}_html", slot.name()),
                        "this snippet has nothing that may be shown (scripts, frames and styles are removed)",
                    )]));
                }
                Fill::Snippet { html: clean }
            }
            other => return Err(AppError::BadRequest(format!("\"{other}\" is not a way to fill a slot"))),
        };
    }
    let after = form.get("in_article_after").map(|s| s.trim()).unwrap_or("3");
    settings.in_article_after = match after.parse::<u32>() {
        Ok(n) if (1..=50).contains(&n) => n,
        _ => {
            return Err(AppError::Invalid(vec![masthead_core::FieldError::new(
                "in_article_after",
                "give the paragraph after which the in-article slot goes, from 1 to 50",
            )]))
        }
    };
    let json = serde_json::to_string(&settings).map_err(AppError::internal)?;
    state.db.set_setting(SETTINGS_KEY, &json).await?;
    state.reload().await.map_err(AppError::internal)?;
    tracing::info!(staff = staff.id, "ad slots saved");
    if changed {
        let notice = "Saved. Some markup was removed (scripts, frames, styles or unknown attributes never reach readers): what you see below is what readers get.";
        return desk_page(&state, &staff, &settings, Some(notice), StatusCode::OK);
    }
    Ok(Redirect::to("/admin/ads?saved=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(n: usize) -> Vec<Block> {
        (0..n).map(|i| Block { kind: if i == 1 { BlockKind::Subhead } else { BlockKind::Paragraph }, html: String::new(), text: String::new() }).collect()
    }

    #[test]
    fn the_in_article_slot_counts_paragraphs_only() {
        let ads = Ads { rendered: Default::default(), in_article_after: 2 };
        // Blocks: P0, H1, P2, P3 ... the second paragraph is block 2.
        assert_eq!(ads.in_article_at(&para(6)), Some(2));
        assert_eq!(ads.in_article_at(&para(3)), None, "not after the last block");
        assert_eq!(Ads { in_article_after: 0, ..ads }.in_article_at(&para(6)), None);
    }

    #[test]
    fn snippets_lose_their_scripts() {
        let mut s = AdSettings {
            header: Fill::Snippet { html: "<a href=\"https://shop.example\">Shop</a><script>alert(1)</script>".into() },
            sidebar: Fill::Snippet { html: "<script>only()</script>".into() },
            ..Default::default()
        };
        s.sanitize();
        assert_eq!(s.header, Fill::Snippet { html: "<a href=\"https://shop.example\" rel=\"noopener noreferrer\">Shop</a>".into() });
        assert_eq!(s.sidebar, Fill::Empty);
    }

    #[test]
    fn ad_free_readers_get_empty_slots() {
        let ads = Ads { rendered: ["<aside>AD</aside>".into(), String::new(), String::new(), String::new()], in_article_after: 0 };
        let page = b"<body><!--mh:ad:header--><main><!--mh:ad:sidebar--></main></body>";
        assert_eq!(&ads.fill(page, false)[..], b"<body><aside>AD</aside><main></main></body>");
        assert_eq!(&ads.fill(page, true)[..], b"<body><main></main></body>");
    }
}
