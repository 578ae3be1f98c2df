//! The demo's magazine: the two most recent complete weeks become issues 1
//! and 2, made the way a real week's are (reads on the meter, an editor's
//! pick, the automatic proposal), then given a letter and a cover and
//! published. Their EPUBs are built by the worker once the demo serves.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use masthead_core::magazine::week_start;
use masthead_db::magazine::IssueText;
use masthead_db::ListFilter;
use masthead_web::AppState;

pub async fn build(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<()> {
    let db = &state.db;
    let this_week = week_start(now);
    for (n, week) in [this_week - Duration::days(14), this_week - Duration::days(7)].into_iter().enumerate() {
        let end = week + Duration::days(7);
        let list = db.published(ListFilter::All, end - Duration::seconds(1), 200, 0).await?;
        let of_week: Vec<_> = list.items.iter().filter(|t| t.published_at.is_some_and(|p| p >= week)).collect();
        if of_week.is_empty() {
            continue;
        }
        // A readership: fewer readers the further down the week's list,
        // shuffled a little so the most read is not simply the newest.
        let mut reads = Vec::new();
        for (i, t) in of_week.iter().enumerate().take(14) {
            let readers = 3 + (i * 7 + n * 3) % 11;
            for r in 0..readers {
                reads.push((format!("a:demo-magazine-{}-{r}", t.id), t.id, week + Duration::hours(30 + (r as i64 % 90))));
            }
        }
        db.record_meter_reads(&reads, now - Duration::days(400)).await?;
        if let Some(pick) = of_week.get(of_week.len() / 2) {
            db.pick_article(pick.id, None, week + Duration::days(2)).await?;
        }
        let issue = match masthead_web::magazine::propose(state, week, now).await {
            Ok(i) => i,
            // Already made by an earlier run, or by the scheduler.
            Err(masthead_web::AppError::Conflict(_)) => continue,
            Err(e) => return Err(anyhow::anyhow!("proposing the demo issue: {e}")),
        };
        let items = db.issue_articles(issue.id).await?;
        let top: Vec<&str> = items.iter().take(3).map(|i| i.headline.as_str()).collect();
        let letter = format!(
            "Dear reader,\n\nThis week's issue gathers the stories you read most, with one our editors \
             would not let you miss. We begin with *{}*.\n\nAlso in these pages: {}.\n\n\
             As ever, every piece first ran in a newspaper abroad; our translators bring it to you in English.\n\n-- The editors",
            top.first().copied().unwrap_or("the week's news"),
            top.iter().skip(1).copied().collect::<Vec<_>>().join("; "),
        );
        let rendered = masthead_render::render_body(&letter, &state.dims());
        // The latest issue gets a photograph for its cover; the earlier one
        // shows the typographic cover.
        let lead = db.article_by_id(items.first().context("a proposed issue has articles")?.article_id).await?;
        let cover = (n == 1).then(|| lead.hero.as_ref().and_then(|h| h.src.strip_prefix("media:").map(str::to_string))).flatten();
        let text = IssueText {
            title: &issue.title,
            cover_media_key: cover.as_deref(),
            cover_line: &lead.headline,
            letter_markdown: &letter,
            letter_blocks: &rendered.blocks,
        };
        db.update_issue_text(issue.id, &text, now).await?;
        let published = db.publish_issue(issue.id, now).await?;
        println!("Made magazine issue {} ({} articles).", published.number.unwrap_or(0), items.len());
    }
    Ok(())
}
