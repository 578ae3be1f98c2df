// Reading what the SMTP capture server kept: just enough MIME (headers,
// multipart, quoted-printable, base64, encoded words) to find a message and
// the links in it.
import fs from 'node:fs';
import path from 'node:path';

function splitHead(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  if (at < 0) return [raw, ''];
  const sep = raw.slice(at).match(/^\r?\n\r?\n/)[0];
  return [raw.slice(0, at), raw.slice(at + sep.length)];
}

function parseHeaders(head) {
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    (headers[name] ??= []).push(value);
  }
  return headers;
}

function decodeWords(s) {
  return s.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=\s*/g, (_, charset, enc, text) => {
    const bytes = enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : qp(text.replace(/_/g, ' '));
    return new TextDecoder(charset).decode(bytes);
  });
}

function qp(s) {
  const soft = s.replace(/=\r?\n/g, '');
  const out = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(...Buffer.from(c, 'latin1'));
    }
  }
  return Buffer.from(out);
}

function decodeBody(body, headers) {
  const enc = (headers['content-transfer-encoding']?.[0] ?? '7bit').toLowerCase();
  const type = headers['content-type']?.[0] ?? 'text/plain';
  const charset = (type.match(/charset="?([^";]+)"?/i)?.[1] ?? 'utf-8').toLowerCase();
  let bytes;
  if (enc === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (enc === 'quoted-printable') bytes = qp(body);
  else bytes = Buffer.from(body, 'latin1');
  return new TextDecoder(charset).decode(bytes);
}

/** The parts of a message, multipart flattened: [{ type, headers, text }]. */
function parts(raw) {
  const [head, body] = splitHead(raw);
  const headers = parseHeaders(head);
  const type = (headers['content-type']?.[0] ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = headers['content-type'][0].match(/boundary="?([^";]+)"?/i)?.[1];
    if (!boundary) return [];
    const chunks = body.split(new RegExp(`\\r?\\n?--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*\\r?\\n?`));
    return chunks.slice(1).filter((c) => c.trim()).flatMap(parts);
  }
  return [{ type: type.split(';')[0].trim(), headers, text: decodeBody(body, headers) }];
}

/** One captured message. */
export function parseMessage(raw, file) {
  // Bodies are read as latin1 so that every byte survives until decoded.
  const [head] = splitHead(raw);
  const headers = parseHeaders(head);
  const all = parts(raw);
  const text = all.find((p) => p.type === 'text/plain')?.text ?? '';
  const html = all.find((p) => p.type === 'text/html')?.text ?? '';
  return {
    file,
    headers,
    header: (name) => (headers[name.toLowerCase()]?.[0] !== undefined ? decodeWords(headers[name.toLowerCase()][0]) : undefined),
    to: (headers['x-envelope-to']?.[0] ?? '').toLowerCase(),
    subject: decodeWords(headers.subject?.[0] ?? ''),
    text,
    html,
    /** Every http(s) URL in the text part, then the HTML part. */
    links() {
      const found = [...text.matchAll(/https?:\/\/[^\s<>"']+/g), ...html.matchAll(/href="(https?:\/\/[^"]+)"/g)]
        .map((m) => (m[1] ?? m[0]).replace(/&amp;/g, '&'));
      return [...new Set(found)];
    },
  };
}

export class Mailbox {
  constructor(dir) {
    this.dir = dir;
  }

  files() {
    return fs.readdirSync(this.dir).filter((f) => f.endsWith('.eml') && !f.startsWith('.')).sort();
  }

  /** What is in the box now; pass it to `wait` to see only newer mail. */
  mark() {
    return new Set(this.files());
  }

  read(file) {
    return parseMessage(fs.readFileSync(path.join(this.dir, file), 'latin1'), file);
  }

  /** Waits for a message to `to` (and matching `subject`) not in `seen`. */
  async wait({ to, subject, seen = new Set(), timeout = 15000 }) {
    const until = Date.now() + timeout;
    for (;;) {
      for (const f of this.files()) {
        if (seen.has(f)) continue;
        const m = this.read(f);
        if (to && !m.to.split(/,\s*/).includes(to.toLowerCase())) continue;
        if (subject && !subject.test(m.subject)) continue;
        return m;
      }
      if (Date.now() > until) {
        const got = this.files().filter((f) => !seen.has(f)).map((f) => `${this.read(f).to}: ${this.read(f).subject}`);
        throw new Error(`no mail to ${to} matching ${subject} within ${timeout} ms; new mail: ${JSON.stringify(got)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
