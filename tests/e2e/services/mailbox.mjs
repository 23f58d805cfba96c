// A real SMTP server for tests and the demo (npm smtp-server), keeping received mail in memory and
// showing it over HTTP:
//   GET  /messages[?to=addr]  JSON, newest last: to, from, replyTo, subject, messageId, text, html,
//                             attachments (filename, contentType, content), links
//   DELETE /messages          forget everything
//   GET  /                    the mailbox as a page (demo)
// Ports: MAILBOX_SMTP_PORT (2525), MAILBOX_HTTP_PORT (2580); loopback only.
import http from 'node:http';
import { SMTPServer } from 'smtp-server';
import { exitWithParent } from './parent.mjs';

exitWithParent();

const SMTP_PORT = Number(process.env.MAILBOX_SMTP_PORT || 2525);
const HTTP_PORT = Number(process.env.MAILBOX_HTTP_PORT || 2580);
const messages = [];
let nextId = 1;

function unfold(headerText) {
  const headers = {};
  for (const line of headerText.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

function decodeQP(s) {
  const bytes = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWords(s) {
  // white space between two encoded words is not part of the text (RFC 2047)
  return (s || '').replace(/(\?=)\s+(=\?)/g, '$1$2').replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, _cs, enc, data) =>
    enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64').toString('utf8') : decodeQP(data.replace(/_/g, ' ')));
}

function decodeBody(headers, body) {
  const enc = (headers['content-transfer-encoding'] || '').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') return decodeQP(body);
  return body;
}

// Walks the MIME tree (multipart/mixed holding multipart/alternative and attachments): the first
// text/plain and text/html parts are the body; parts with a file name are attachments.
function walk(headers, body, out) {
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] || '');
  if (boundary) {
    for (const part of body.split('--' + boundary[1])) {
      const p = part.replace(/^\r?\n/, '');
      const s = p.search(/\r?\n\r?\n/);
      if (s < 0) continue;
      walk(unfold(p.slice(0, s)), p.slice(s).replace(/^\r?\n\r?\n/, ''), out);
    }
    return;
  }
  const type = (headers['content-type'] || 'text/plain').toLowerCase();
  const name = /filename="?([^";]+)"?/i.exec(headers['content-disposition'] || '') || /name="?([^";]+)"?/i.exec(headers['content-type'] || '')
    || (headers['content-id'] ? [null, headers['content-id'].replace(/[<>]/g, '')] : null);
  const binary = !type.startsWith('text/');
  const content = binary ? body.replace(/\s+/g, '') : decodeBody(headers, body);
  // binary parts keep their base64 (images); text parts are decoded
  if (name) out.attachments.push({ filename: decodeWords(name[1]), contentType: type.split(';')[0], content, base64: binary });
  else if (type.startsWith('text/plain') && !out.text) out.text = content;
  else if (type.startsWith('text/html') && !out.html) out.html = content;
}

function parse(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = unfold(raw.slice(0, split));
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const out = { text: '', html: '', attachments: [] };
  walk(headers, body, out);
  const links = [...new Set((out.text.match(/https?:\/\/[^\s<>"]+/g) || []))];
  return { headers, subject: decodeWords(headers.subject), from: decodeWords(headers.from), replyTo: decodeWords(headers['reply-to'] || ''), text: out.text, html: out.html, attachments: out.attachments, links };
}

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const m = parse(Buffer.concat(chunks).toString('utf8'));
      for (const rcpt of session.envelope.rcptTo) {
        messages.push({ id: nextId++, to: rcpt.address.toLowerCase(), from: m.from, replyTo: m.replyTo, subject: m.subject, messageId: m.headers["message-id"] || "", text: m.text, html: m.html, attachments: m.attachments, links: m.links, receivedAt: new Date().toISOString() });
      }
      callback();
    });
  },
});
smtp.on('error', (e) => console.error('smtp error', e.message));
smtp.listen(SMTP_PORT, '127.0.0.1', () => console.log(`mailbox: SMTP on 127.0.0.1:${SMTP_PORT}`));

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/messages' && req.method === 'GET') {
    const to = (url.searchParams.get('to') || '').toLowerCase();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(messages.filter((m) => !to || m.to === to)));
  } else if (url.pathname === '/messages' && req.method === 'DELETE') {
    messages.length = 0;
    res.writeHead(204).end();
  } else if (url.pathname === '/') {
    const rows = messages.slice().reverse().map((m) => `<article><h2>${escape(m.subject)}</h2><p>An: ${escape(m.to)} · Von: ${escape(m.from)} · ${escape(m.receivedAt)}</p><pre>${escape(m.text)}</pre>${m.links.map((l) => `<p><a href="${escape(l)}">${escape(l)}</a></p>`).join('')}</article>`).join('<hr>');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Postfach (Demo)</title></head><body><main><h1>Postfach (Demo)</h1>${rows || '<p>Noch keine E-Mails.</p>'}</main></body></html>`);
  } else {
    res.writeHead(404).end();
  }
}).listen(HTTP_PORT, '127.0.0.1', () => console.log(`mailbox: HTTP on http://127.0.0.1:${HTTP_PORT}`));
