// What every browser test shares: the server run.sh started, Debian's
// Chromium through playwright-core, readers (browser contexts) that record
// every request they make, screenshots at phone and desktop widths, the
// captured mail, and run-time checks for features that have not landed yet.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Mailbox } from './mail.mjs';

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests with bash e2e/run.sh`);
  return v;
}

export const BASE = env('E2E_BASE_URL').replace(/\/$/, '');
export const ORIGIN = new URL(BASE).origin;
export const ARTIFACTS = env('E2E_ARTIFACTS');
export const WORK = env('E2E_WORK');
export const mailbox = new Mailbox(env('E2E_MAIL_DIR'));
/** Set by run.sh from what `masthead demo` printed. */
export const OWNER = { email: process.env.E2E_OWNER_EMAIL ?? '', password: process.env.E2E_OWNER_PASSWORD ?? '' };
/** A directory to also write the screenshots that are committed to docs/. */
const DOCS_SHOTS = process.env.E2E_DOCS_SCREENSHOTS || '';
/** Unique per run, for addresses, so reruns against one server don't collide. */
export const RUN = process.env.E2E_RUN_ID || String(Date.now());

export const WIDTHS = [375, 1280];

// The flags this machine's Chromium needs as root and without a network
// beyond loopback (see the machine notes): without the background-networking
// ones it tries Google's hosts at every start.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS, timeout: 60000 });
}

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/**
 * A reader: a fresh browser context (its own cookies) and one page. Each
 * reader's user agent is its own, because the server also meters by network
 * (address and user agent): readers who share both share that meter.
 */
export async function newReader(browser, name, { js = true, width = 1280 } = {}) {
  const context = await browser.newContext({
    baseURL: BASE,
    javaScriptEnabled: js,
    viewport: { width, height: 900 },
    userAgent: `${UA} masthead-e2e/${name}-${RUN}`,
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(30000);
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  return { name, js, context, page, requests };
}

/** Requests that left this server: anything not on its origin. */
export function offsite(requests) {
  return requests.filter((u) => {
    if (/^(data|blob|about):/.test(u)) return false;
    const url = new URL(u);
    return url.origin !== ORIGIN || url.hostname !== '127.0.0.1';
  });
}

/** Visits `url` and checks the answer's status. */
export async function visit(page, url, status = 200) {
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.ok(res, `no response for ${url}`);
  assert.equal(res.status(), status, `GET ${url} answered ${res.status()}`);
  return res;
}

/**
 * Saves full-page screenshots of the page at each width. With `docs`, also
 * a JPEG for docs/screenshots, cut below `until` (a selector) or at a
 * screenful or two, to keep the repository small.
 */
export async function shoot(page, name, { docs = false, until } = {}) {
  const before = page.viewportSize();
  fs.mkdirSync(path.join(ARTIFACTS, 'screenshots'), { recursive: true });
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width < 600 ? 812 : 900 });
    await page.evaluate(() => document.fonts?.ready);
    const file = path.join(ARTIFACTS, 'screenshots', `${name}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (docs && DOCS_SHOTS) {
      // JPEG keeps the committed pictures small enough for the repository.
      fs.mkdirSync(DOCS_SHOTS, { recursive: true });
      const full = await page.evaluate(() => document.documentElement.scrollHeight);
      let height = Math.min(full, width < 600 ? 2400 : 1800);
      if (until) {
        const box = await page.locator(until).first().boundingBox();
        const top = await page.evaluate(() => window.scrollY);
        if (box) height = Math.min(full, Math.ceil(box.y + top + box.height + 24));
      }
      await page.screenshot({ path: path.join(DOCS_SHOTS, `${name}-${width}.jpg`), fullPage: true, clip: { x: 0, y: 0, width, height }, type: 'jpeg', quality: 75 });
    }
  }
  if (before) await page.setViewportSize(before);
}

/** Text as a reader sees it: whitespace collapsed. */
export function norm(s) {
  return s.replace(/\s+/g, ' ').trim();
}

/** The text of an HTML document as sent: tags dropped, entities decoded. */
export function htmlText(html) {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', rsquo: '’', lsquo: '‘', ldquo: '“', rdquo: '”', mdash: '—', ndash: '–', hellip: '…' };
  return norm(
    html
      .replace(/<[^>]*>/g, ' ')
      .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
      .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
      .replace(/&([a-z]+);/gi, (m, n) => named[n.toLowerCase()] ?? m),
  );
}

/** True when GET `path` answers anything but 404: the feature is there. */
export async function routeExists(p) {
  const res = await fetch(BASE + p, { redirect: 'manual', headers: { 'user-agent': `masthead-e2e-probe/${RUN}` } });
  await res.arrayBuffer();
  return res.status !== 404;
}

/** Signs a reader in (or up) with the emailed link. Returns the mail. */
export async function signInByLink(reader, email, { start = '/login', subject } = {}) {
  const { page } = reader;
  const seen = mailbox.mark();
  await visit(page, start);
  await page.locator('#link-email').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.waitForURL(/\/login\/sent/);
  assert.equal(norm(await page.locator('h1').innerText()), 'Check your email');
  const mail = await mailbox.wait({ to: email, subject, seen });
  const link = mail.links().find((l) => l.includes('/login/verify?token='));
  assert.ok(link, `no sign-in link in the mail:\n${mail.text}`);
  assert.equal(new URL(link).origin, ORIGIN, 'the link points at this server');
  // The link opens a page with one button, so that mail scanners that
  // follow links cannot use the single-use token up.
  await visit(page, link);
  const next = new URL(link).searchParams.get('next') || '/account';
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((u) => u.pathname === new URL(next, BASE).pathname);
  return mail;
}

/** Retries `fn` until it stops throwing, for what the server writes in batches. */
export async function eventually(fn, { timeout = 5000, every = 200 } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, every));
    }
  }
}
