// axe-core in the page, without a wrapper package: the engine is evaluated
// through the DevTools protocol, which the site's content security policy
// (no inline or foreign scripts) does not apply to.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ARTIFACTS } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe on the page; saves the report; returns the violations, summarized. */
export async function axe(page, name) {
  await page.evaluate(AXE);
  const results = await page.evaluate(() =>
    // Every rule axe has, WCAG 2.x A and AA and its best practices.
    globalThis.axe.run(document, { resultTypes: ['violations', 'incomplete'] }),
  );
  // Where axe cannot tell a text's background (the offer's fade is a
  // pseudo-element above it), work the contrast out from the computed
  // colours, so that every text is held to WCAG AA.
  const unsure = results.incomplete.filter((v) => v.id === 'color-contrast').flatMap((v) => v.nodes.map((n) => n.target[0]));
  const computed = await page.evaluate(contrastOf, unsure);
  const low = computed.filter((c) => c.ratio < c.needed);
  if (low.length) {
    results.violations.push({
      id: 'color-contrast',
      impact: 'serious',
      help: 'Elements must meet minimum color contrast ratio thresholds (computed here where axe could not tell)',
      nodes: low.map((c) => ({ target: [c.target], failureSummary: `contrast ${c.ratio.toFixed(2)} (${c.fg} on ${c.bg}), needs ${c.needed}` })),
    });
  }
  const dir = path.join(ARTIFACTS, 'axe');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ url: page.url(), violations: results.violations, contrastComputed: computed }, null, 1));
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(' ')),
    summary: v.nodes[0]?.failureSummary?.replace(/\s+/g, ' ') ?? '',
  }));
}

export const blocking = (v) => v.impact === 'serious' || v.impact === 'critical';

export function describe(violations) {
  return violations.map((v) => `${v.impact} ${v.id} (${v.help}): ${v.targets.slice(0, 5).join(' | ')}${v.targets.length > 5 ? ` … ${v.targets.length} in all` : ''}`);
}

/** In the page: the contrast of each target's text against the first opaque background behind it. */
function contrastOf(targets) {
  const rgb = (s) => (s.match(/[\d.]+/g) ?? []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  return targets.flatMap((target) => {
    const el = document.querySelector(target);
    if (!el) return [];
    const cs = getComputedStyle(el);
    let bg = null;
    for (let e = el; e && !bg; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length === 3 || c[3] === 1)) bg = c.slice(0, 3);
    }
    bg ??= [255, 255, 255];
    const fg = rgb(cs.color).slice(0, 3);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const size = parseFloat(cs.fontSize);
    const bold = Number(cs.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    return [{ target, ratio: (a + 0.05) / (b + 0.05), needed: large ? 3 : 4.5, fg: `rgb(${fg})`, bg: `rgb(${bg})` }];
  });
}
