// A stand-in for `preflight serve`, in Node's standard library only, for developing and
// testing src/serve/page.html before (or without) the C server. It follows SERVE_API.md:
// GET / (the page, with the same CSP), GET /healthz, GET /v1/profiles, POST /v1/check and
// POST /v1/fix with a raw body. The verdicts are real: each request runs
// `build/preflight check|fix --json -o - -` (image on stdin, fixed JPEG on stdout, report on stderr).
// Not implemented: multipart bodies, --token, the 503 queue (the page handles them all the same).
//
// usage: node tests/page/mock_server.mjs [PORT]   (0 or nothing: any free port; prints the URL)
import http from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.PF_BIN || path.join(ROOT, 'build/preflight');
const PAGE = path.join(ROOT, 'src/serve/page.html');
const MAX_UPLOAD = 50 * 1000 * 1000;
const CSP = "default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; " +
            "script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'";

const profilesJson = execFileSync(BIN, ['profiles', '--json'], { encoding: 'utf8' });
const profileNames = new Set(JSON.parse(profilesJson).profiles.map(p => p.name));

function send(res, status, type, body, extra = {}) {
  res.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff',
                          'Cache-Control': 'no-store', ...extra });
  res.end(body);
}
const sendError = (res, status, error, extra) =>
  send(res, status, 'application/json', JSON.stringify({ error, status }), extra);

// Run the CLI on one upload; resolve with {stdout: Buffer, report: object}.
function runCli(command, profile, body) {
  return new Promise((resolve, reject) => {
    const args = [command, '--json', '-p', profile];
    if (command === 'fix') args.push('-o', '-');
    args.push('-');
    const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [], err = [];
    child.stdout.on('data', d => out.push(d));
    child.stderr.on('data', d => err.push(d));
    child.on('error', reject);
    child.stdin.on('error', () => {});  // the CLI may stop reading a hostile file early
    child.on('close', () => {
      const stdout = Buffer.concat(out), stderr = Buffer.concat(err).toString('utf8');
      // check writes its JSON to stdout; fix -o - writes the image there and the JSON to stderr.
      const text = command === 'fix' ? stderr : stdout.toString('utf8');
      try { resolve({ stdout, report: JSON.parse(text) }); }
      catch (e) { reject(new Error('preflight printed no JSON: ' + (stderr || text).slice(0, 300))); }
    });
    child.stdin.end(body);
  });
}

async function handleRun(req, res, url, command) {
  const profile = url.searchParams.get('profile') || 'wechat';
  if (!profileNames.has(profile)) return sendError(res, 400, `unknown profile '${profile}'; GET /v1/profiles lists them`);
  const name = url.searchParams.get('name') || 'upload';
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_UPLOAD) {
      sendError(res, 413, 'the file is over the 50 MB upload limit; send a smaller file', { Connection: 'close' });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  }
  const { stdout, report } = await runCli(command, profile, Buffer.concat(chunks));
  const f = report.files[0];
  // The server reports the uploaded name, never "(stdin)" or a server path.
  f.path = name;
  if (typeof f.error === 'string') f.error = f.error.split('(stdin)').join(name);
  if (command === 'fix') {
    const stem = name.replace(/\.[^./\\]*$/, '') || 'upload';
    const filename = stem + '.jpg';
    const wrote = stdout.length > 0;
    f.output = wrote ? filename : null;
    f.image = wrote ? { content_type: 'image/jpeg', filename, base64: stdout.toString('base64') } : null;
  }
  send(res, 200, 'application/json', JSON.stringify(report));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    const route = url.pathname;
    const allow = { '/': 'GET', '/healthz': 'GET', '/v1/profiles': 'GET', '/v1/check': 'POST', '/v1/fix': 'POST' }[route];
    if (!allow) return sendError(res, 404, `no such path: ${route}`);
    if (req.method !== allow) return sendError(res, 405, `use ${allow} for ${route}`, { Allow: allow });
    if (route === '/') return send(res, 200, 'text/html; charset=utf-8', readFileSync(PAGE), { 'Content-Security-Policy': CSP });
    if (route === '/healthz') return send(res, 200, 'text/plain', 'ok');
    if (route === '/v1/profiles') return send(res, 200, 'application/json', profilesJson);
    return await handleRun(req, res, url, route === '/v1/fix' ? 'fix' : 'check');
  } catch (e) {
    if (!res.headersSent) sendError(res, 500, String(e.message || e));
  }
});

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`mock preflight serve on http://127.0.0.1:${server.address().port}/`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
