// Accessibility of the reader's pages: axe-core finds no serious or
// critical violation (contrast included: WCAG AA), and the offer and the
// forms work from the keyboard alone, with a visible focus ring.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axe, blocking, describe } from '../lib/axe.mjs';
import { catalog, freeWhole, meteredWhole, pick } from '../lib/catalog.mjs';
import { launch, newReader, norm, offsite, routeExists, RUN, signInByLink, visit } from '../lib/harness.mjs';

const hasSearch = await routeExists('/search');

let browser;
let R; // an anonymous reader, who signs up half way
let articles;
const found = {};

before(async () => {
  browser = await launch();
  articles = await catalog();
  R = await newReader(browser, 'a11y');
});

after(async () => {
  await browser?.close();
});

async function check(t, name, url, status = 200) {
  if (url) await visit(R.page, url, status);
  const violations = await axe(R.page, name);
  found[name] = violations;
  for (const line of describe(violations)) t.diagnostic(line);
  assert.deepEqual(describe(violations.filter(blocking)), [], `serious or critical axe violations on ${name}`);
}

test('axe: home page', async (t) => check(t, 'home', '/'));
test('axe: latest list', async (t) => check(t, 'latest', '/latest'));
test('axe: article, whole (free)', async (t) => check(t, 'article-free', pick(articles, 1, freeWhole)[0].url));
test('axe: article, whole (metered, with the meter banner)', async (t) => {
  const [first] = pick(articles, 1, meteredWhole);
  await visit(R.page, first.url);
  assert.equal(await R.page.locator('.meter-banner').count(), 1);
  await check(t, 'article-metered');
});
test('axe: article, cut, with the offer', async (t) => {
  const [, second] = pick(articles, 2, meteredWhole);
  await visit(R.page, second.url);
  assert.equal(await R.page.locator('.offer').count(), 1);
  await check(t, 'article-cut');
});
test('axe: subscribe page', async (t) => check(t, 'subscribe', '/subscribe'));
test('axe: sign-in page', async (t) => check(t, 'login', '/login'));
test('axe: sign-up page', async (t) => check(t, 'signup', '/signup'));
test('axe: search page', { skip: hasSearch ? false : 'GET /search answers 404: search has not landed' }, async (t) => check(t, 'search', '/search'));
test('axe: page not found', async (t) => check(t, 'not-found', '/article/no-such-story', 404));
test('axe: account page', async (t) => {
  await signInByLink(R, `a11y-${RUN}@example.org`);
  await check(t, 'account', '/account');
});

/** Where the keyboard focus is, and whether a reader can see it. */
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      text: (el.innerText || el.getAttribute('aria-label') || el.getAttribute('name') || '').replace(/\s+/g, ' ').trim().slice(0, 60),
      href: el.getAttribute('href'),
      ring: (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== 'none',
      onScreen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight,
    };
  });
}

/** Presses Tab until `want` matches the focused element; every stop must be visible. */
async function tabTo(page, want, { max = 120, label } = {}) {
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    let f = await focused(page);
    // The theme scrolls smoothly: give the focused element time to arrive.
    for (let wait = 0; f && !f.onScreen && wait < 20; wait++) {
      await page.waitForTimeout(50);
      f = await focused(page);
    }
    assert.ok(f, `Tab ${i + 1} left the page before reaching ${label}`);
    stops.push(f);
    assert.ok(f.onScreen, `the focused ${f.tag} "${f.text}" is off screen`);
    assert.ok(f.ring, `the focused ${f.tag} "${f.text}" has no visible focus ring`);
    if (want(f)) return stops;
  }
  assert.fail(`${max} presses of Tab did not reach ${label}; went through ${stops.map((s) => s.text || s.id).join(' → ')}`);
}

test('keyboard: from the top of a cut article, Tab reaches the skip link, then both plans of the offer', async (t) => {
  const k = await newReader(browser, 'keyboard-offer');
  const [first, second] = pick(articles, 2, meteredWhole);
  await visit(k.page, first.url);
  await visit(k.page, second.url);
  const skip = await tabTo(k.page, () => true, { label: 'the skip link' });
  assert.equal(skip[0].text, 'Skip to content', 'the first stop is the skip link, and it shows');
  const monthly = await tabTo(k.page, (f) => f.href?.startsWith('/subscribe/monthly'), { label: 'the monthly plan' });
  assert.equal(monthly.at(-1).text, 'Start your free trial');
  const annual = await tabTo(k.page, (f) => f.href?.startsWith('/subscribe/annual'), { label: 'the annual plan' });
  assert.equal(annual.at(-1).text, 'Subscribe');
  t.diagnostic(`the monthly plan is ${skip.length + monthly.length} Tab presses from the top, the annual plan one more`);
  assert.equal(annual.length, 1, 'the annual plan follows the monthly one');
  await tabTo(k.page, (f) => f.href?.startsWith('/login?next='), { label: 'the offer’s sign-in link', max: 3 });
  assert.deepEqual(offsite(k.requests), []);
  await k.context.close();
});

test('keyboard: the sign-in form, by link and by password, works without a mouse', async () => {
  const k = await newReader(browser, 'keyboard-login');
  await visit(k.page, '/login');
  await tabTo(k.page, (f) => f.id === 'link-email', { label: 'the email field' });
  await k.page.keyboard.type(`keyboard-${RUN}@example.org`);
  const [button] = await tabTo(k.page, (f) => f.tag === 'button', { label: 'the send button', max: 1 });
  assert.equal(button.text, 'Email me a sign-in link');
  await tabTo(k.page, (f) => f.tag === 'summary', { label: 'the password option', max: 2 });
  await k.page.keyboard.press('Enter');
  assert.equal(await k.page.locator('details.password-login').evaluate((d) => d.open), true, 'Enter opens the password form');
  await tabTo(k.page, (f) => f.id === 'pw-email', { label: 'the password form’s email', max: 1 });
  await tabTo(k.page, (f) => f.id === 'pw-password', { label: 'the password field', max: 1 });
  const [signIn] = await tabTo(k.page, (f) => f.tag === 'button', { label: 'the sign-in button', max: 1 });
  assert.equal(signIn.text, 'Sign in');
  // Back to the link form and send it with Enter.
  await k.page.locator('#link-email').focus();
  await Promise.all([k.page.waitForURL(/\/login\/sent/), k.page.keyboard.press('Enter')]);
  assert.equal(norm(await k.page.locator('h1').innerText()), 'Check your email');
  await k.context.close();
});

test('keyboard: the sign-up form', async () => {
  const k = await newReader(browser, 'keyboard-signup');
  await visit(k.page, '/signup');
  await tabTo(k.page, (f) => f.id === 'link-email', { label: 'the email field' });
  const [button] = await tabTo(k.page, (f) => f.tag === 'button', { label: 'the send button', max: 1 });
  assert.equal(button.text, 'Email me a sign-in link');
  await k.context.close();
});

test('keyboard: every form of the account page, in order', async () => {
  // R signed in for the account page's axe test.
  await visit(R.page, '/account');
  const order = [
    (f) => f.id === 'name',
    (f) => f.tag === 'button' && f.text === 'Save',
    (f) => f.id === 'new-password',
    (f) => f.text === 'Save password',
    (f) => f.id === 'new-email',
    (f) => f.text === 'Send confirmation',
    (f) => f.text === 'Make my private feed address',
    (f) => f.text === 'Sign out',
    (f) => f.text === 'Sign out on every device',
    (f) => f.id === 'confirm-delete',
    (f) => f.text === 'Delete my account',
  ];
  await tabTo(R.page, order[0], { label: 'the name field' });
  for (const [i, want] of order.slice(1).entries()) {
    await tabTo(R.page, want, { label: `account control ${i + 2}`, max: 1 });
  }
});

test('axe found nothing serious on any page, and no page asked another host for anything', () => {
  const serious = Object.entries(found).flatMap(([page, v]) => describe(v.filter(blocking)).map((l) => `${page}: ${l}`));
  assert.deepEqual(serious, []);
  assert.deepEqual(offsite(R.requests), []);
});
