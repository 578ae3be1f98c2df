// Screenshots of pages as a signed-in staff member sees them, with the
// system's Chromium driven over the DevTools protocol (no browser
// download, no npm packages). Node 20 needs --experimental-websocket.
//
//   node --experimental-websocket scripts/screenshots.mjs BASE_URL STAFF_COOKIE OUT_DIR name=/path ...
import { spawn } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";

const [base, cookie, out, ...pages] = process.argv.slice(2);
const port = 9300 + Math.floor(Math.random() * 600);
mkdirSync(out, { recursive: true });
const chrome = spawn("chromium", [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars",
  `--remote-debugging-port=${port}`, "--window-size=1280,900", `--user-data-dir=/tmp/mh-shots-${port}`, "about:blank",
], { stdio: "ignore" });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let target;
for (let i = 0; i < 100 && !target; i++) {
  try {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    target = list.find((t) => t.type === "page");
  } catch { await sleep(100); }
}
if (!target) { chrome.kill(); throw new Error("Chromium did not start"); }

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

await call("Page.enable");
await call("Network.enable");
const [name, value] = cookie.split(/=(.*)/s);
await call("Network.setCookie", { name, value, url: base });
await call("Emulation.setDeviceMetricsOverride", { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
for (const spec of pages) {
  const [file, path] = spec.split(/=(.*)/s);
  const done = loaded();
  await call("Page.navigate", { url: base + path });
  await done;
  await sleep(300);
  const { contentSize } = await call("Page.getLayoutMetrics");
  const height = Math.min(Math.ceil(contentSize.height), 2200);
  const shot = await call("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip: { x: 0, y: 0, width: 1280, height, scale: 1 } });
  writeFileSync(`${out}/${file}.png`, Buffer.from(shot.data, "base64"));
  console.log(`${out}/${file}.png  ${path}`);
}
ws.close();
chrome.kill();
