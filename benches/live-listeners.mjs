// Benchmark driver for benches/appointments.sh: opens LISTENERS server-sent-event streams to one
// server process (half call displays, half portal waiting-time streams of the same location),
// waits until each has its first state, then makes one change in the database (a ticket called,
// as a counter would) and measures how long each listener takes to receive the new state.
// Prints JSON: listeners, connect_ms, delay_ms {p50, p99, max}.
import http from 'node:http';
import { execFileSync } from 'node:child_process';

const PORT = Number(process.env.PORT);
const HOST = process.env.HOST;
const N = Number(process.env.LISTENERS || 1000);
const DISPLAY = process.env.DISPLAY_PATH;
const PORTAL = process.env.PORTAL_PATH;
const CHANGE_SQL = process.env.CHANGE_SQL;
const PSQL_URL = process.env.PSQL_URL;
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

function listen(path) {
  return new Promise((resolve, reject) => {
    const l = { events: 0, firstAt: 0, changedAt: 0, buf: '' };
    const req = http.get({ host: '127.0.0.1', port: PORT, path, agent, headers: { Host: HOST, Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${path}: ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        l.buf += chunk;
        let i;
        while ((i = l.buf.indexOf('\n\n')) >= 0) {
          const ev = l.buf.slice(0, i); l.buf = l.buf.slice(i + 2);
          if (!/^data:/m.test(ev)) continue; // keep-alive comments
          l.events += 1;
          if (l.events === 1) { l.firstAt = performance.now(); resolve(l); }
          if (l.events === 2) l.changedAt = performance.now();
        }
      });
    });
    req.on('error', reject);
    l.req = req;
  });
}

const t0 = performance.now();
const listeners = [];
for (let i = 0; i < N; i += 50) {
  const batch = [];
  for (let j = i; j < Math.min(N, i + 50); j++) batch.push(listen(j % 2 ? PORTAL : DISPLAY));
  listeners.push(...(await Promise.all(batch)));
}
const connectMs = performance.now() - t0;
// the server's memory is read by the caller now (it waits for this line)
console.error('READY');
await new Promise((r) => process.stdin.once('data', r));
const changed = performance.now();
execFileSync('psql', [PSQL_URL, '-qtAc', CHANGE_SQL]);
const until = performance.now() + 10000;
while (listeners.some((l) => !l.changedAt) && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
const delays = listeners.filter((l) => l.changedAt).map((l) => l.changedAt - changed).sort((a, b) => a - b);
const q = (p) => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))];
console.log(JSON.stringify({ listeners: N, received: delays.length, connect_ms: Math.round(connectMs), delay_ms: { p50: Math.round(q(0.5)), p99: Math.round(q(0.99)), max: Math.round(delays[delays.length - 1] || -1) } }));
for (const l of listeners) l.req.destroy();
process.exit(0);
