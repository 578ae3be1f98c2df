// The demo publication's articles, newest first, with what each is: its
// access level, and whether a reader with an untouched meter gets it whole.
// The demo's content is generated, so the tests look instead of assuming.
// Each article is fetched as a new reader (no cookie, its own user agent),
// so these reads use no one else's meter. Kept in the run's work directory
// so each test file does not crawl again.
import fs from 'node:fs';
import path from 'node:path';
import { BASE, RUN, WORK } from './harness.mjs';

async function get(p, ua) {
  const res = await fetch(BASE + p, { redirect: 'manual', headers: { 'user-agent': ua } });
  return { status: res.status, html: await res.text() };
}

async function crawl() {
  const urls = [];
  for (let n = 1; n <= 50; n++) {
    const { status, html } = await get(`/latest?page=${n}`, `masthead-e2e-catalog/${RUN}`);
    if (status !== 200) break;
    const found = [...html.matchAll(/href="(\/article\/[^"/?#]+)"/g)].map((m) => m[1]);
    const fresh = found.filter((u) => !urls.includes(u));
    if (!fresh.length) break;
    urls.push(...new Set(fresh));
  }
  const articles = [];
  for (const [i, url] of urls.entries()) {
    const { status, html } = await get(url, `masthead-e2e-catalog/${RUN}/${i}`);
    if (status !== 200) continue;
    articles.push({
      url,
      access: html.match(/data-access="([^"]+)"/)?.[1] ?? '',
      headline: html.match(/<h1 class="headline">([^<]*)<\/h1>/)?.[1] ?? '',
      // Whole for a reader whose meter is untouched (archived and
      // subscriber-only articles are cut for everyone).
      whole: !html.includes('class="offer"'),
      keepReading: html.includes('class="keep-reading"'),
      // Blocks of the article's own body, not of the next article's teaser.
      blocks: (html.split('<div class="article-body">')[1]?.split('<footer class="article-footer">')[0].match(/class="block block-/g) ?? []).length,
    });
  }
  return articles;
}

let cached;

export async function catalog() {
  if (cached) return cached;
  const file = path.join(WORK, 'catalog.json');
  if (fs.existsSync(file)) {
    cached = JSON.parse(fs.readFileSync(file, 'utf8'));
    return cached;
  }
  cached = await crawl();
  fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify(cached, null, 1));
  fs.renameSync(`${file}.${process.pid}`, file);
  return cached;
}

/** The newest articles matching `test`, at least `n` of them. */
export function pick(articles, n, test) {
  const found = articles.filter(test);
  if (found.length < n) throw new Error(`the demo has ${found.length} such articles, the test needs ${n}`);
  return found.slice(0, n);
}

/** Metered articles a reader with meter left gets whole, with a body long enough to cut. */
export const meteredWhole = (a) => a.access === 'metered' && a.whole && a.blocks > 4;
export const freeWhole = (a) => a.access === 'free' && a.whole && a.blocks > 4;
