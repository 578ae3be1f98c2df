// A real SMTP server on loopback that keeps every message it is given as an
// .eml file, so the browser tests can open the links Masthead mails.
//
//   node smtp-capture.mjs MAIL_DIR PORT_FILE
//
// It listens on a free port of 127.0.0.1 and writes that port to PORT_FILE
// once it accepts connections. Each message is written to a hidden file and
// renamed into place, so a reader of MAIL_DIR never sees half a message.
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const [dir, portFile] = process.argv.slice(2);
if (!dir || !portFile) {
  console.error('usage: node smtp-capture.mjs MAIL_DIR PORT_FILE');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });

let count = 0;
const server = new SMTPServer({
  // Masthead speaks plain SMTP to loopback: no TLS, no login.
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, session, done) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', done);
    stream.on('end', () => {
      const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const name = `${Date.now()}-${String(++count).padStart(5, '0')}.eml`;
      const envelope = `X-Envelope-From: ${from}\r\nX-Envelope-To: ${to}\r\n`;
      try {
        const tmp = path.join(dir, `.${name}`);
        fs.writeFileSync(tmp, Buffer.concat([Buffer.from(envelope), ...chunks]));
        fs.renameSync(tmp, path.join(dir, name));
        done();
      } catch (e) {
        done(e);
      }
    });
  },
});

server.on('error', (e) => console.error(`smtp-capture: ${e.message}`));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.server.address();
  fs.writeFileSync(`${portFile}.tmp`, String(port));
  fs.renameSync(`${portFile}.tmp`, portFile);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
