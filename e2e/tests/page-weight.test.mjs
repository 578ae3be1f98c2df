// Page weight: an article page's HTML, CSS, fonts and scripts together stay
// under 100 KB compressed (images excluded), and nothing is asked of any
// other host. Chromium's transferred bytes are what the server sent; the
// gzip and brotli sizes are what a server that compresses would send, so the
// budget holds whether or not Masthead compresses yet.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { catalog, freeWhole, meteredWhole, pick } from '../lib/catalog.mjs';
import { ARTIFACTS, launch, newReader, offsite, visit } from '../lib/harness.mjs';

const BUDGET = 100 * 1000;
const COUNTED = new Set(['document', 'stylesheet', 'script', 'font']);

let browser;
let articles;
const report = {};

before(async () => {
  browser = await launch();
  articles = await catalog();
});

after(async () => {
  fs.writeFileSync(path.join(ARTIFACTS, 'page-weight.json'), JSON.stringify(report, null, 1));
  await browser?.close();
});

/**
 * Weighs the last of `urls` as a first visit would (an empty cache), after
 * the others were read with the same cookies (to use up the meter).
 */
async function weigh(name, urls) {
  const before = urls.slice(0, -1);
  let cookies = [];
  if (before.length) {
    const warm = await newReader(browser, `weight-${name}`);
    for (const url of before) await visit(warm.page, url);
    cookies = await warm.context.cookies();
    await warm.context.close();
  }
  const r = await newReader(browser, `weight-${name}`);
  await r.context.addCookies(cookies);
  const responses = [];
  r.page.on('response', (res) => responses.push(res));
  await visit(r.page, urls.at(-1));
  await r.page.waitForLoadState('networkidle');
  const rows = [];
  for (const res of responses) {
    const req = res.request();
    const sizes = await req.sizes();
    const body = await res.body().catch(() => Buffer.alloc(0));
    rows.push({
      url: new URL(res.url()).pathname,
      type: req.resourceType(),
      contentType: res.headers()['content-type'] ?? '',
      encoding: res.headers()['content-encoding'] ?? 'identity',
      transferred: sizes.responseBodySize + sizes.responseHeadersSize,
      body: body.length,
      gzip: zlib.gzipSync(body, { level: 6 }).length,
      brotli: zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    });
  }
  const counted = rows.filter((x) => COUNTED.has(x.type) && !x.contentType.startsWith('image/'));
  const sum = (k, list = counted) => list.reduce((n, x) => n + x[k], 0);
  const totals = {
    transferred: sum('transferred'),
    uncompressed: sum('body'),
    gzip: sum('gzip'),
    brotli: sum('brotli'),
    images: sum('transferred', rows.filter((x) => x.contentType.startsWith('image/'))),
    requests: rows.length,
  };
  report[name] = { url: urls.at(-1), totals, resources: rows };
  const away = offsite(r.requests);
  await r.context.close();
  return { totals, counted, away };
}

function explain(t, { totals, counted }) {
  for (const x of counted) t.diagnostic(`${x.type} ${x.url}: ${x.body} B, ${x.transferred} B transferred (${x.encoding}), gzip ${x.gzip} B, brotli ${x.brotli} B`);
  t.diagnostic(`HTML+CSS+fonts+scripts: ${totals.transferred} B transferred, ${totals.uncompressed} B uncompressed, gzip ${totals.gzip} B, brotli ${totals.brotli} B; images ${totals.images} B; ${totals.requests} requests`);
}

test('page weight: a whole article is under 100 KB compressed, all on this host', async (t) => {
  const [free] = pick(articles, 1, freeWhole);
  const w = await weigh('article-whole', [free.url]);
  explain(t, w);
  assert.deepEqual(w.away, [], 'requests to other hosts');
  assert.ok(w.counted.some((x) => x.type === 'stylesheet'), 'the stylesheet was counted');
  assert.ok(w.totals.gzip < BUDGET, `gzip ${w.totals.gzip} B is over ${BUDGET} B`);
  assert.ok(w.totals.brotli < BUDGET, `brotli ${w.totals.brotli} B is over ${BUDGET} B`);
  // Today's transfer, compressed or not, is reported; what a browser gets
  // must also fit once the server compresses (it does not yet).
  if (w.counted.every((x) => x.encoding !== 'identity')) {
    assert.ok(w.totals.transferred < BUDGET, `transferred ${w.totals.transferred} B is over ${BUDGET} B`);
  }
});

test('page weight: a cut article with the offer is under 100 KB compressed, all on this host', async (t) => {
  const [first, second] = pick(articles, 2, meteredWhole);
  const w = await weigh('article-cut', [first.url, second.url]);
  explain(t, w);
  assert.deepEqual(w.away, [], 'requests to other hosts');
  assert.ok(w.totals.gzip < BUDGET, `gzip ${w.totals.gzip} B is over ${BUDGET} B`);
});

test('no page of the site asks another host for anything', async () => {
  const r = await newReader(browser, 'hosts');
  const [free] = pick(articles, 1, freeWhole);
  for (const url of ['/', '/latest', free.url, `${free.url}/print`, '/subscribe', '/login', '/signup', '/no-such-page']) {
    await r.page.goto(url, { waitUntil: 'networkidle' });
  }
  assert.deepEqual(offsite(r.requests), []);
  assert.ok(r.requests.length > 8);
  await r.context.close();
});
