// A node:test reporter that ends the run with one line, "N passed, M
// failed, K skipped", after naming each skipped and failed test. Tests are
// counted at the top level of each file (a file that fails to load counts
// as one failure).
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  const skipped = [];
  const failures = [];
  for await (const ev of source) {
    if ((ev.type !== 'test:pass' && ev.type !== 'test:fail') || ev.data.nesting !== 0) continue;
    if (ev.type === 'test:fail') {
      failed++;
      failures.push(ev.data.name);
    } else if (ev.data.skip !== undefined || ev.data.todo !== undefined) {
      skipped.push(`${ev.data.name}: ${ev.data.skip ?? ev.data.todo}`);
    } else {
      passed++;
    }
  }
  for (const s of skipped) yield `skipped: ${s}\n`;
  for (const f of failures) yield `failed: ${f}\n`;
  yield `${passed} passed, ${failed} failed, ${skipped.length} skipped\n`;
}
