// Screenshots of pages as a signed-in staff member sees them, with the
// system's Chromium driven over the DevTools protocol (no browser
// download, no npm packages). Node 20 needs --experimental-websocket.
//
//   node --experimental-websocket scripts/screenshots.mjs BASE_URL STAFF_COOKIE OUT_DIR name.jpg=/path ...
//
// A name ending in .jpg is written as JPEG (quality SHOT_QUALITY, 80),
// any other as PNG (.png added when it has no extension). SHOT_WIDTH is
// the viewport's width (1280); a page taller than SHOT_MAX_HEIGHT (2200)
// is cut there, or at HEIGHT for a name written name.jpg:HEIGHT. Fails
// when a page answers anything but 200 or sends the browser elsewhere.
import { spawn } from "node:child_process";
import { writeFileSync, mkdirSync, rmSync } from "node:fs";

const [base, cookie, out, ...pages] = process.argv.slice(2);
const width = Number(process.env.SHOT_WIDTH || 1280);
const maxHeight = Number(process.env.SHOT_MAX_HEIGHT || 2200);
const quality = Number(process.env.SHOT_QUALITY || 80);
const port = 9300 + Math.floor(Math.random() * 600);
mkdirSync(out, { recursive: true });
const chrome = spawn("chromium", [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars",
  `--remote-debugging-port=${port}`, `--window-size=${width},900`, `--user-data-dir=/tmp/mh-shots-${port}`, "about:blank",
], { stdio: "ignore" });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let target;
for (let i = 0; i < 100 && !target; i++) {
  try {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    target = list.find((t) => t.type === "page");
  } catch { await sleep(100); }
}
if (!target) { chrome.kill(); rmSync(`/tmp/mh-shots-${port}`, { recursive: true, force: true }); throw new Error("Chromium did not start"); }

const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener("open", r, { once: true }));
let next = 1;
const waiting = new Map();
const listeners = [];
ws.addEventListener("message", (e) => {
  const m = JSON.parse(e.data);
  if (m.id && waiting.has(m.id)) { waiting.get(m.id)(m); waiting.delete(m.id); }
  else if (m.method) listeners.forEach((l) => l(m));
});
const call = (method, params = {}) => new Promise((resolve, reject) => {
  const id = next++;
  waiting.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
  ws.send(JSON.stringify({ id, method, params }));
});
const loaded = () => new Promise((resolve) => {
  const l = (m) => { if (m.method === "Page.loadEventFired") { listeners.splice(listeners.indexOf(l), 1); resolve(); } };
  listeners.push(l);
});
// The status and address of the page's own document (not of its images
// or scripts): a redirect, e.g. to the sign-in page, is no picture of it.
let documentStatus = 0;
let documentUrl = "";
listeners.push((m) => {
  if (m.method === "Network.responseReceived" && m.params.type === "Document") {
    documentStatus = m.params.response.status;
    documentUrl = m.params.response.url;
  }
});

await call("Page.enable");
await call("Network.enable");
const [name, value] = cookie.split(/=(.*)/s);
await call("Network.setCookie", { name, value, url: base });
await call("Emulation.setDeviceMetricsOverride", { width, height: 900, deviceScaleFactor: 1, mobile: width < 600 });
let failed = 0;
for (const spec of pages) {
  let [file, path] = spec.split(/=(.*)/s);
  let cut = maxHeight;
  const tall = file.match(/^(.*):(\d+)$/);
  if (tall) [file, cut] = [tall[1], Number(tall[2])];
  const jpeg = /\.jpe?g$/.test(file);
  if (!/\.(jpe?g|png)$/.test(file)) file += ".png";
  documentStatus = 0;
  documentUrl = "";
  const done = loaded();
  await call("Page.navigate", { url: base + path });
  await done;
  await sleep(300);
  if (documentStatus !== 200 || documentUrl !== base + path) {
    console.error(`${path} answered ${documentStatus} at ${documentUrl}; no screenshot`);
    failed++;
    continue;
  }
  const { contentSize } = await call("Page.getLayoutMetrics");
  const height = Math.min(Math.ceil(contentSize.height), cut);
  const shot = await call("Page.captureScreenshot", {
    format: jpeg ? "jpeg" : "png", ...(jpeg ? { quality } : {}),
    captureBeyondViewport: true, clip: { x: 0, y: 0, width, height, scale: 1 },
  });
  const bytes = Buffer.from(shot.data, "base64");
  writeFileSync(`${out}/${file}`, bytes);
  console.log(`${out}/${file}  ${path}  ${width}x${height}  ${Math.round(bytes.length / 1024)} KB`);
}
ws.close();
await new Promise((r) => { chrome.once("exit", r); chrome.kill(); });
rmSync(`/tmp/mh-shots-${port}`, { recursive: true, force: true });
if (failed) process.exit(1);
