// The reader's journey (issue 8), step by step, in one browser: with
// JavaScript, and again without it (the paywall must hold either way).
// Steps run in order and share the reader's state, as a real reader would.
// Steps whose feature has not landed yet are registered as skipped, with
// the reason, when the server answers 404 for the feature's page; they run
// by themselves once it is there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { catalog, freeWhole, meteredWhole, pick } from './catalog.mjs';
import {
  BASE,
  OWNER,
  eventually,
  htmlText,
  launch,
  mailbox,
  newReader,
  norm,
  offsite,
  routeExists,
  RUN,
  shoot,
  signInByLink,
  visit,
} from './harness.mjs';

const BENEFITS = [
  'Exclusive international coverage',
  'An ad-free experience NEW',
  'A weekly digital magazine NEW',
  '9 daily & weekly newsletters',
  'Access to the archives',
];

/** What the features not built yet answer today; checked once per file. */
async function features() {
  const [billing, search, magazine, newsletters, home] = await Promise.all([
    routeExists('/subscribe/monthly'),
    routeExists('/search'),
    routeExists('/magazine'),
    routeExists('/newsletters'),
    fetch(`${BASE}/`).then((r) => r.text()),
  ]);
  // The newsletter sign-up may come as a box before it has a page.
  const newsletterForm = /<form[^>]+action="[^"]*newsletter/i.test(home);
  return { billing, search, magazine, newsletters: newsletters || newsletterForm };
}

/** The article's body blocks as the reader's DOM has them. */
async function blockTexts(page) {
  return page.$$eval('.article-body .block', (els) =>
    els.map((e) => ({ kind: e.className.replace(/.*block-(\S+).*/, '$1'), text: e.textContent.replace(/\s+/g, ' ').trim() })),
  );
}

/** The meter banner's text, or null when there is none. */
async function banner(page) {
  const b = page.locator('.meter-banner');
  return (await b.count()) ? norm(await b.innerText()) : null;
}

/** The "Access" fact on the account page. */
async function accountAccess(page) {
  await visit(page, '/account');
  return norm(await page.locator('.facts dt:text-is("Access") + dd').innerText());
}

export async function defineJourney({ js }) {
  const mode = js ? 'js' : 'no-js';
  const name = (s) => `[${mode}] ${s}`;
  const email = `reader-${mode}-${RUN}@example.org`;
  const has = await features();
  const missing = (flag, what) => (flag ? false : what);

  let browser;
  let A; // the reader
  let B; // the same reader on a second device
  let articles;
  let free;
  let m; // metered articles, newest first
  let subscribed = false;
  const site = {};

  before(async () => {
    browser = await launch();
    articles = await catalog();
    [free] = pick(articles, 1, freeWhole);
    m = pick(articles, 5, meteredWhole);
    A = await newReader(browser, `${mode}-A`, { js });
  });

  after(async () => {
    await browser?.close();
  });

  test(name('1. an anonymous reader opens the home page, reads a free article and a metered one, and sees the meter banner'), async () => {
    const { page } = A;
    await visit(page, '/');
    site.name = norm(await page.locator('.brand-name').innerText());
    assert.ok(site.name, 'the masthead shows the publication');
    assert.ok(norm(await page.locator('.brand-tagline').innerText()), 'and its tagline');
    assert.equal(await page.title(), site.name);
    await assert.doesNotReject(page.locator('.front .lead .teaser-headline a').waitFor(), 'a lead story');
    assert.ok((await page.locator('.latest .teaser').count()) >= 5, 'a latest feed');
    assert.equal(await page.locator('.account-links a', { hasText: 'Sign in' }).count(), 1);
    assert.equal(await page.locator('.account-links a', { hasText: 'Subscribe' }).count(), 1);
    assert.equal(await banner(page), null, 'no meter banner on the home page');
    if (js) await shoot(page, 'home', { docs: true });

    // The free article, by its link on the home page when it is there.
    const link = page.locator(`a[href="${free.url}"]`).first();
    if (await link.count()) {
      await Promise.all([page.waitForURL(`**${free.url}`), link.click()]);
    } else {
      await visit(page, free.url);
    }
    assert.equal(norm(await page.locator('h1.headline').innerText()), htmlText(free.headline));
    assert.equal(await page.locator('article.article').getAttribute('data-access'), 'free');
    assert.equal(await page.locator('.offer').count(), 0, 'a free article is whole');
    assert.equal(await banner(page), null, 'a free article does not use the meter');
    assert.equal((await blockTexts(page)).length, free.blocks);
    if (js) await shoot(page, 'article-full', { docs: true });

    // A metered article: whole, and the banner says it was the last free one.
    await visit(page, m[0].url);
    assert.equal(await page.locator('article.article').getAttribute('data-access'), 'metered');
    assert.equal(await page.locator('.offer').count(), 0, 'the first metered article is whole');
    assert.equal((await blockTexts(page)).length, m[0].blocks);
    assert.match(await banner(page), /^This is your last free article this month\. Create a free account for more, or subscribe for unlimited access\.$/);
    assert.equal(await page.locator('.meter-banner a[href="/signup"]').count(), 1);
    assert.equal(await page.locator('.meter-banner a[href="/subscribe"]').count(), 1);
    if (js) await shoot(page, 'article-metered');
  });

  test(name('2. over quota, the next metered article is cut, with the offer listing plans and benefits; the rest is never sent'), async () => {
    const { page, context } = A;
    // What the whole article says, read by someone whose meter is untouched.
    const other = await newReader(browser, `${mode}-whole-${RUN}`, { js });
    await visit(other.page, m[1].url);
    const whole = await blockTexts(other.page);
    // The control: in the whole article's response the probes below are found.
    const wholeSent = htmlText(await (await other.context.request.get(m[1].url)).text());
    await other.context.close();
    assert.equal(whole.length, m[1].blocks);

    await visit(page, m[1].url);
    const shown = await blockTexts(page);
    assert.equal(shown.length, 3, 'a cut article shows its first three blocks');
    assert.deepEqual(shown.map((b) => b.text), whole.slice(0, 3).map((b) => b.text));
    assert.equal(await banner(page), null, 'a cut article is not counted');
    assert.equal(await page.locator('.paywalled').count(), 0);

    const offer = page.locator('section.offer');
    assert.equal(norm(await offer.locator('h2').innerText()), "You've reached your limit of free articles");
    assert.equal(norm(await offer.locator('.offer-lede').innerText()), 'Get unlimited access. Cancel anytime.');
    assert.deepEqual((await offer.locator('.benefits li').allInnerTexts()).map(norm), BENEFITS);
    const plans = offer.locator('.plan');
    assert.equal(await plans.count(), 2);
    const monthly = plans.nth(0);
    assert.equal(norm(await monthly.locator('.plan-name').innerText()), 'Monthly');
    assert.equal(norm(await monthly.locator('.plan-trial').innerText()), '30-day free trial, then');
    assert.equal(norm(await monthly.locator('.plan-price').innerText()), '$2.90 / month');
    assert.equal(await monthly.locator('a.button').getAttribute('href'), `/subscribe/monthly?next=${m[1].url}`);
    assert.equal(norm(await monthly.locator('a.button').innerText()), 'Start your free trial');
    const annual = plans.nth(1);
    assert.equal(norm(await annual.locator('.plan-badge').innerText()), 'BEST VALUE');
    assert.equal(norm(await annual.locator('.plan-name').innerText()), 'Annual access');
    assert.equal(norm(await annual.locator('.plan-price').innerText()), '$19.90 / year');
    assert.equal(norm(await annual.locator('.plan-saving').innerText()), 'Save $14.90 a year');
    assert.equal(await annual.locator('a.button').getAttribute('href'), `/subscribe/annual?next=${m[1].url}`);
    assert.match(norm(await offer.locator('.offer-signin').innerText()), /^Already a subscriber\? Sign in$/);
    const end = norm(await page.locator('.offer-end').innerText());
    assert.match(end, /^Start your free trial to read the full story\./);
    assert.match(end, /in English for the first time/);
    assert.match(end, /the widest range of perspectives, languages and countries/);

    // The part beyond the cut is not in the page, nor in what was sent:
    // not hidden, not in an attribute, not in structured data. Blocks whose
    // text also appears before the cut (a pull quote repeats the text) prove
    // nothing and are left out.
    const before = whole.slice(0, 3).map((b) => b.text).join(' ');
    const hidden = whole.slice(3).filter((b) => b.text.length > 20 && !before.includes(b.text));
    assert.ok(hidden.length >= 1, 'the article has text beyond the cut to look for');
    const dom = norm(await page.evaluate(() => document.documentElement.outerHTML));
    const domText = norm(await page.evaluate(() => document.documentElement.textContent));
    const raw = await (await context.request.get(m[1].url)).text();
    const sent = htmlText(raw);
    for (const b of hidden) {
      const probe = b.text.slice(0, 80);
      assert.ok(wholeSent.includes(probe), `the probe is found where the text was sent: ${probe}`);
      assert.ok(!domText.includes(probe), `the cut page's text has hidden ${b.kind}: ${probe}`);
      assert.ok(!htmlText(dom).includes(probe), `the cut page's DOM has hidden ${b.kind}: ${probe}`);
      assert.ok(!sent.includes(probe), `the response sent hidden ${b.kind}: ${probe}`);
      assert.ok(!raw.includes(b.text.slice(0, 40)), `the raw response has hidden ${b.kind}`);
    }
    if (js) await shoot(page, 'article-cut', { docs: true, until: '.offer-end' });
    await visit(page, '/subscribe');
    assert.equal(await page.locator('.plans .plan').count(), 2, 'the offer has a page of its own');
    if (js) await shoot(page, 'subscribe');
  });

  test(name('a reader creates a free account by emailed link; the meter follows them, and the cut article becomes whole'), async () => {
    const { page } = A;
    await visit(page, `/signup?next=${m[1].url}`);
    assert.equal(norm(await page.locator('h1').innerText()), 'Create a free account');
    if (js) await shoot(page, 'signup', { docs: true });
    const mail = await signInByLink(A, email, { start: `/signup?next=${m[1].url}`, subject: /^Welcome to .+: confirm your address$/ });
    assert.match(mail.text, /create your free account/);
    assert.match(mail.header('from') ?? '', /@/);
    // Back at the article: a free account has three a month, one is used.
    assert.equal(new URL(page.url()).pathname, m[1].url);
    assert.equal(await page.locator('.offer').count(), 0, 'the article is whole after signing up');
    assert.equal((await blockTexts(page)).length, m[1].blocks);
    assert.equal(await banner(page), '1 of 3 free articles left this month. Subscribe for unlimited access.');
    assert.equal(await page.locator('.account-links a', { hasText: 'Account' }).count(), 1);

    await visit(page, '/account');
    assert.equal(norm(await page.locator('h1').innerText()), 'Your account');
    assert.equal(norm(await page.locator('.facts dt:text-is("Email") + dd').innerText()), email);
    await eventually(async () => assert.equal(await accountAccess(page), 'Free account: 2 of 3 free articles read this month'));
    if (js) await shoot(page, 'account', { docs: true });
  });

  test(name('3. starts the free trial through the demo payment provider, returns, reads the whole article, and the ads are gone'), { skip: missing(has.billing, 'GET /subscribe/monthly answers 404: billing with the demo provider has not landed') }, async () => {
    const { page } = A;
    // This reader still has free articles, so the offer is on its own page.
    await visit(page, `/subscribe?next=${m[4].url}`);
    const start = page.locator('.plans .plan').first().getByRole('link', { name: /free trial/i });
    await Promise.all([page.waitForURL(/\/subscribe\/monthly/), start.click()]);
    assert.match(await page.locator('main').innerText(), /TEST MODE/, 'the demo provider says so');
    await Promise.all([page.waitForURL(/\/billing\/demo\/checkout\//), page.getByRole('button', { name: /start your free trial/i }).click()]);
    assert.match(await page.locator('main').innerText(), /TEST MODE/);
    await Promise.all([page.waitForURL(/\/subscribe\/done/), page.getByRole('button', { name: /start free trial|pay/i }).click()]);
    assert.match(norm(await page.locator('h1').innerText()), /Welcome, subscriber/);
    await visit(page, m[4].url);
    assert.equal(await page.locator('.offer').count(), 0, 'a subscriber reads the whole article');
    assert.equal((await blockTexts(page)).length, m[4].blocks);
    assert.equal(await banner(page), null, 'a subscriber has no meter');
    assert.equal(await page.locator('.ad, .ads, [data-ad], .advert').count(), 0, 'no ads for a subscriber');
    await eventually(async () => assert.match(await accountAccess(page), /^Subscriber/));
    subscribed = true;
  });

  test(name('4. signs up to a newsletter from the in-article box, confirms by the emailed link, then unsubscribes in one click'), { skip: missing(has.newsletters, 'GET /newsletters answers 404 and no page has a newsletter form: newsletters have not landed') }, async () => {
    const reader = await newReader(browser, `${mode}-newsletter`, { js });
    const { page } = reader;
    const address = `newsletter-${mode}-${RUN}@example.org`;
    await visit(page, free.url);
    const box = page.locator('.article-body form[action*="newsletter"]').first();
    assert.equal(await box.count(), 1, 'a newsletter box inside the article body');
    const newsletterName = norm(await page.locator('.article-body .newsletter-box-name').first().innerText());
    if (js) {
      await box.scrollIntoViewIfNeeded();
      await shoot(page, 'newsletter-signup', { docs: true });
    }
    let seen = mailbox.mark();
    await box.locator('input[type=email]').fill(address);
    await box.locator('button[type=submit], input[type=submit]').first().click();
    await page.waitForLoadState('load');
    assert.match(norm(await page.locator('main').innerText()), /check your (email|inbox)|confirm/i);
    const confirm = await mailbox.wait({ to: address, seen });
    const link = confirm.links().find((l) => /confirm/i.test(l));
    assert.ok(link, `a confirmation link in:\n${confirm.text}`);
    seen = mailbox.mark();
    await visit(page, link);
    const button = page.getByRole('button', { name: /confirm|continue|subscribe/i });
    if (await button.count()) await button.first().click();
    await page.waitForLoadState('load');
    assert.match(norm(await page.locator('main').innerText()), /confirmed|subscribed|you're on the list|welcome/i);
    // Later, an edition goes out: an editor writes the next edition's
    // introduction on the desk and sends it to every subscriber now.
    assert.ok(OWNER.password, 'the demo printed an owner login for the desk');
    const desk = await newReader(browser, `${mode}-newsletter-desk`, { js: true });
    await visit(desk.page, '/admin/login');
    await desk.page.locator('#email').fill(OWNER.email);
    await desk.page.locator('#password').fill(OWNER.password);
    await Promise.all([desk.page.waitForURL((u) => u.pathname === '/admin'), desk.page.getByRole('button', { name: 'Sign in' }).click()]);
    await visit(desk.page, '/admin/newsletters');
    const row = desk.page.getByRole('link', { name: newsletterName, exact: true }).first();
    await Promise.all([desk.page.waitForURL(/\/admin\/newsletters\/\d+$/), row.click()]);
    await desk.page.locator('#intro').fill(`A note from the desk for this run (${mode}).`);
    await Promise.all([desk.page.waitForLoadState('load'), desk.page.getByRole('button', { name: 'Save the draft' }).click()]);
    seen = mailbox.mark();
    await Promise.all([desk.page.waitForURL(/send=queued/), desk.page.getByRole('button', { name: 'Send to all subscribers now' }).click()]);
    await desk.context.close();
    const edition = await mailbox.wait({ to: address, seen, timeout: 30000 });
    assert.ok(edition.text.includes(`A note from the desk for this run (${mode}).`), `the edition carries the editor's note:\n${edition.text.slice(0, 400)}`);
    // One click from that email: List-Unsubscribe with List-Unsubscribe-Post (RFC 8058).
    const header = edition.header('list-unsubscribe');
    assert.ok(header, 'the newsletter mail carries List-Unsubscribe');
    assert.equal(edition.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    const url = header.match(/<(https?:[^>]+)>/)?.[1];
    assert.ok(url && new URL(url).origin === new URL(BASE).origin, `an unsubscribe URL on this server: ${header}`);
    // A mail client posts without cookies and follows no redirect.
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
    assert.equal(res.status, 200, `one-click unsubscribe answered ${res.status}`);
    await reader.context.close();
  });

  test(name('5. opens "keep reading" on the next-article teaser, then "show less"'), async () => {
    const { page } = A;
    const withTeaser = articles.find((a) => a.url === free.url && a.keepReading) ?? pick(articles, 1, (a) => a.keepReading && a.access === 'free')[0];
    await visit(page, withTeaser.url);
    const next = page.locator('aside.next-article');
    assert.equal(norm(await next.locator('.next-label').textContent()), 'Next article');
    const details = next.locator('details.keep-reading');
    const summary = details.locator('summary');
    const more = details.locator('.next-body');
    assert.equal(await details.evaluate((d) => d.open), false, 'folded at first');
    assert.equal(norm(await summary.innerText()), 'Keep reading');
    assert.equal(await more.isVisible(), false);
    await summary.click();
    assert.equal(await details.evaluate((d) => d.open), true);
    assert.equal(norm(await summary.innerText()), 'Show less');
    assert.equal(await more.isVisible(), true, 'more of the next article shows');
    if (js) await shoot(page, 'keep-reading-open');
    await summary.click();
    assert.equal(await details.evaluate((d) => d.open), false, 'folded again');
    assert.equal(norm(await summary.innerText()), 'Keep reading');
    // From the keyboard too: a <details> needs no script.
    await summary.focus();
    await page.keyboard.press('Enter');
    assert.equal(await details.evaluate((d) => d.open), true, 'Enter opens it');
    await page.keyboard.press('Space');
    assert.equal(await details.evaluate((d) => d.open), false, 'Space folds it');
  });

  test(name('6. searches the archive and opens a result'), { skip: missing(has.search, 'GET /search answers 404: search has not landed') }, async () => {
    const { page } = A;
    const target = m[2];
    const words = htmlText(target.headline).split(/\s+/).filter((w) => w.length > 5).slice(0, 2).join(' ');
    await visit(page, '/search');
    const box = page.locator('input[type=search], input[name=q]').first();
    await box.fill(words);
    await Promise.all([page.waitForURL(/\/search\?/), box.press('Enter')]);
    const result = page.locator(`main a[href="${target.url}"]`).first();
    assert.equal(await result.count(), 1, `"${words}" finds ${target.url}`);
    if (js) await shoot(page, 'search', { docs: true });
    await Promise.all([page.waitForURL(`**${target.url}`), result.click()]);
    assert.equal(norm(await page.locator('h1.headline').innerText()), htmlText(target.headline));
  });

  test(name("7. downloads this week's magazine EPUB"), { skip: missing(has.magazine, 'GET /magazine answers 404: the weekly magazine has not landed') }, async () => {
    const { page, context } = A;
    await visit(page, '/magazine');
    // The newest issue comes first; its page has the download.
    const issue = page.locator('.issue-card h2 a').first();
    assert.equal(await issue.count(), 1, 'a published issue on /magazine');
    await Promise.all([page.waitForURL(/\/magazine\/\d+$/), issue.click()]);
    if (js) await shoot(page, 'magazine-issue', { docs: true });
    const link = page.locator('a[href$=".epub"]').first();
    assert.equal(await link.count(), 1, 'a link to the EPUB on the issue page');
    const href = await link.getAttribute('href');
    let res = await context.request.get(href);
    if (res.status() === 202) {
      // Not built yet for this reader's access: the worker builds it, and
      // the page says so (Retry-After) until then.
      assert.match(await res.text(), /prepar/i);
      res = await eventually(async () => {
        const r = await context.request.get(href);
        assert.equal(r.status(), 200);
        return r;
      }, { timeout: 120000, every: 2000 });
    }
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'] ?? '', /application\/epub\+zip/);
    const body = await res.body();
    assert.equal(body.subarray(0, 2).toString(), 'PK', 'a zip');
    assert.equal(body.subarray(30, 58).toString(), 'mimetypeapplication/epub+zip', 'an EPUB: mimetype first, stored');
  });

  test(name('8. cancels the subscription from the account page and keeps access until the period ends'), { skip: missing(has.billing, 'GET /subscribe/monthly answers 404: billing (and cancelling) has not landed') }, async () => {
    assert.ok(subscribed, 'step 3 subscribed this reader');
    const { page } = A;
    await visit(page, '/account');
    await page.getByRole('button', { name: /cancel/i }).first().click();
    const confirm = page.getByRole('button', { name: /cancel/i });
    if (await confirm.count()) await confirm.first().click();
    await page.waitForLoadState('load');
    await visit(page, '/account');
    assert.match(norm(await page.locator('main').innerText()), /cancel/i);
    assert.match(norm(await page.locator('main').innerText()), /until|ends/i, 'says until when access lasts');
    await visit(page, m[4].url);
    assert.equal(await page.locator('.offer').count(), 0, 'still whole until the period ends');
  });

  test(name('9. signs in on a second device by emailed link and sees the same meter and subscription'), async () => {
    const { page } = A;
    if (!subscribed) {
      // On the first device: the third and last free article of the month.
      await visit(page, m[2].url);
      assert.equal(await page.locator('.offer').count(), 0);
      assert.match(await banner(page), /^This is your last free article this month\./);
    }
    const onA = await eventually(async () => {
      const access = await accountAccess(page);
      if (!subscribed) assert.equal(access, 'Free account: 3 of 3 free articles read this month');
      return access;
    });

    B = await newReader(browser, `${mode}-B`, { js });
    const mail = await signInByLink(B, email, { subject: /^Sign in to / });
    assert.match(mail.text, /Use this link to sign in/);
    assert.equal(new URL(B.page.url()).pathname, '/account');
    assert.equal(await accountAccess(B.page), onA, 'the same account, the same meter');
    if (subscribed) {
      await visit(B.page, m[3].url);
      assert.equal(await B.page.locator('.offer').count(), 0, 'the subscription follows the reader');
    } else {
      // The meter is the account's, not the browser's: the second device is out too.
      await visit(B.page, m[3].url);
      assert.equal(norm(await B.page.locator('section.offer h2').innerText()), "You've reached your limit of free articles");
      // What was read on the first device stays readable on the second.
      await visit(B.page, m[0].url);
      assert.equal(await B.page.locator('.offer').count(), 0);
      assert.equal(await banner(B.page), null, 'a read already counted costs nothing');
    }
  });

  test(name('signs out on one device; the other stays signed in'), async () => {
    const { page } = A;
    await visit(page, '/account');
    await Promise.all([page.waitForURL(`${BASE}/`), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
    assert.equal(await page.locator('.account-links a', { hasText: 'Sign in' }).count(), 1);
    await visit(page, '/account');
    assert.equal(new URL(page.url()).pathname, '/login', 'the account page asks to sign in');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/account');
    await visit(B.page, '/account');
    assert.equal(norm(await B.page.locator('h1').innerText()), 'Your account');
    await B.context.close();
  });

  test(name('every request of the journey went to this server and nowhere else'), () => {
    const away = [...offsite(A.requests), ...offsite(B?.requests ?? [])];
    assert.deepEqual(away, [], 'requests to other hosts');
    assert.ok(A.requests.length > 10);
  });
}
