// The `preflight serve` page in a real browser: headless Chromium driven by playwright-core.
//
// Server, in this order: PF_SERVE_URL (one already running); else `build/preflight serve
// --listen 127.0.0.1:PORT` when the binary has `serve`; else tests/page/mock_server.mjs
// (Node's standard library around `build/preflight fix -o - -`: real verdicts).
// Browser: PF_CHROMIUM, else /usr/bin/chromium, else `chromium` on PATH.
// Screenshots and downloads go to build/page-test/ (PF_PAGE_OUT overrides).
//
// usage: node tests/page/page_test.mjs     (exit 0 all passed, 1 a failure, 77 skipped)
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, rmSync, existsSync, copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import assert from 'node:assert/strict';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = process.env.PF_BIN || path.join(ROOT, 'build/preflight');
const SAMPLES = path.join(ROOT, 'testdata/samples');
const OUT = process.env.PF_PAGE_OUT || path.join(ROOT, 'build/page-test');
const BUDGET = 200000;            // the wechat profile's max_bytes
const VERDICT_TIMEOUT = 90000;

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('page test: playwright-core is not installed; run: npm ci --prefix tests/page --no-audit --no-fund');
  process.exit(1);
}

function findChromium() {
  for (const p of [process.env.PF_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  const w = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' });
  return w.status === 0 ? w.stdout.trim() : null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

async function waitHealthy(base, child, ms = 15000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before answering`);
    try {
      const r = await fetch(new URL('healthz', base));
      if (r.ok && (await r.text()).trim() === 'ok') return;
    } catch (e) { /* not up yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`no 200 "ok" from ${base}healthz within ${ms} ms`);
}

// Which server to test, started if need be: {base, child, kind}.
async function startServer() {
  if (process.env.PF_SERVE_URL) {
    const base = process.env.PF_SERVE_URL.replace(/\/?$/, '/');
    await waitHealthy(base, null);
    return { base, child: null, kind: 'PF_SERVE_URL ' + base };
  }
  if (!existsSync(BIN)) throw new Error(`${BIN} not built; run make first`);
  const port = await freePort();
  const hasServe = spawnSync(BIN, ['serve', '--help'], { encoding: 'utf8' }).status === 0;
  const [cmd, args, kind] = hasServe
    ? [BIN, ['serve', '--listen', `127.0.0.1:${port}`], path.relative(ROOT, BIN) + ' serve']
    : [process.execPath, [path.join(HERE, 'mock_server.mjs'), String(port)], 'mock server (build/preflight has no serve)'];
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PF_BIN: BIN } });
  const base = `http://127.0.0.1:${port}/`;
  await waitHealthy(base, child);
  return { base, child, kind };
}

const rowSel = name => `#results li.row[data-name="${name.replace(/["\\]/g, '\\$&')}"]`;

// Read a STORE-only ZIP: every entry's name, bytes and whether its CRC-32 is right.
function readZip(buf) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'ZIP has an end-of-central-directory record');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'central directory header signature');
    const flags = buf.readUInt16LE(p + 8), method = buf.readUInt16LE(p + 10), crc = buf.readUInt32LE(p + 16);
    const size = buf.readUInt32LE(p + 24), nlen = buf.readUInt16LE(p + 28);
    const xlen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32), off = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nlen).toString('utf8');
    assert.equal(buf.readUInt32LE(off), 0x04034b50, `local header of ${name}`);
    const lnlen = buf.readUInt16LE(off + 26), lxlen = buf.readUInt16LE(off + 28);
    const data = buf.subarray(off + 30 + lnlen + lxlen, off + 30 + lnlen + lxlen + size);
    entries.push({ name, flags, method, data, crcOk: zlib.crc32(data) === crc && buf.readUInt32LE(off + 14) === crc });
    p += 46 + nlen + xlen + clen;
  }
  return entries;
}

function assertJpeg(bytes, what) {
  assert.ok(bytes.length > 1000, `${what}: ${bytes.length} bytes is too small for a picture`);
  assert.ok(bytes[0] === 0xFF && bytes[1] === 0xD8, `${what} starts with FF D8`);
  assert.ok(bytes[bytes.length - 2] === 0xFF && bytes[bytes.length - 1] === 0xD9, `${what} ends with FF D9`);
  assert.ok(bytes.length <= BUDGET, `${what}: ${bytes.length} B within ${BUDGET} B`);
}

async function main() {
  const exe = findChromium();
  if (!exe) { console.log('page test: skipped, no Chromium (apt-get install chromium)'); return 77; }
  mkdirSync(OUT, { recursive: true });
  const server = await startServer();
  console.log(`page test: ${server.kind}, Chromium ${exe}`);
  const browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox'] });
  let page;
  try {
    const step = s => console.log('  ' + s);

    // Language from navigator.languages: a zh-CN browser gets Chinese without touching the switch.
    {
      const ctx = await browser.newContext({ locale: 'zh-CN' });
      const p = await ctx.newPage();
      await p.goto(server.base);
      assert.match(await p.textContent('h1'), /备案/, 'zh-CN browser: Chinese title');
      assert.equal(await p.getAttribute('html', 'lang'), 'zh-CN');
      await ctx.close();
      step('zh-CN browser opens in Chinese');
    }

    const ctx = await browser.newContext({ locale: 'en-US', acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
    const problems = [];       // console errors (CSP violations among them) and uncaught exceptions
    page.on('console', m => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
    page.on('pageerror', e => problems.push('pageerror: ' + e.message));
    let inFlight = 0, maxInFlight = 0;
    const fixUrls = [];
    page.on('request', r => {
      if (r.method() === 'POST' && /\/v1\/fix\?/.test(r.url())) { fixUrls.push(r.url()); maxInFlight = Math.max(maxInFlight, ++inFlight); }
    });
    const done = r => { if (r.method() === 'POST' && /\/v1\/fix\?/.test(r.url())) inFlight--; };
    page.on('requestfinished', done);
    page.on('requestfailed', done);

    const response = await page.goto(server.base);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'] || '', /^text\/html/);
    assert.match(await page.textContent('h1'), /ICP filing/, 'en-US browser: English title');

    // The profile list comes from GET /v1/profiles.
    await page.waitForFunction(() => document.querySelectorAll('#profile option').length > 1);
    const api = await (await fetch(new URL('v1/profiles', server.base))).json();
    const options = await page.$$eval('#profile option', os => os.map(o => o.value).filter(Boolean));
    assert.deepEqual(options, api.profiles.map(p => p.name), 'the select lists every profile');
    await page.selectOption('#profile', 'wechat');
    step(`profiles: ${options.join(', ')}`);

    // Three files at once through the file input.
    const files = ['ready.jpg', 'id-front-phone.jpg', 'letter.pdf'];
    await page.setInputFiles('#pick-files', files.map(f => path.join(SAMPLES, f)));
    await page.waitForFunction(n => document.querySelectorAll('#results .badge[data-status]').length === n,
                               files.length, { timeout: VERDICT_TIMEOUT });
    const expected = { 'ready.jpg': 'pass', 'id-front-phone.jpg': 'fixed', 'letter.pdf': 'fixed' };
    for (const [name, status] of Object.entries(expected)) {
      const row = page.locator(rowSel(name));
      assert.equal(await row.locator('.badge').getAttribute('data-status'), status, `${name} status`);
      assert.equal(await row.locator('.badge').textContent(), status, `${name} badge word`);
      assert.ok(await row.locator('tbody tr').count() >= 3, `${name} shows its checks`);
      assert.equal(await row.locator('.err').count(), 0, `${name} shows no error`);
      // The thumbnail decoded (the PDF's is the fixed JPEG): the CSP lets blob: images in.
      const w = await row.locator('img.thumb').evaluate(img => img.complete ? img.naturalWidth : -1);
      assert.ok(w > 0, `${name} thumbnail decoded (naturalWidth ${w})`);
      assert.equal(await row.locator('a[download]').count(), 1, `${name} has a download link`);
    }
    assert.ok(await page.locator(rowSel('letter.pdf') + ' .actions li').count() >= 1, 'letter.pdf lists what was done');
    // A clean pass starts with its checks folded; a tap opens them. A fixed file's are open.
    assert.equal(await page.locator(rowSel('ready.jpg') + ' table').isVisible(), false, 'clean pass: checks folded');
    assert.equal(await page.locator(rowSel('id-front-phone.jpg') + ' table').isVisible(), true, 'fixed: checks open');
    await page.locator(rowSel('ready.jpg') + ' summary').click();
    assert.equal(await page.locator(rowSel('ready.jpg') + ' table').isVisible(), true, 'tap opens the checks');
    assert.match(await page.textContent('#progress'), /3 of 3 done: 1 pass, 2 fixed/);
    assert.ok(fixUrls.every(u => /[?&]profile=wechat(&|$)/.test(u)), 'every upload names the chosen profile');
    assert.ok(fixUrls.some(u => u.includes('name=id-front-phone.jpg')), 'uploads carry the file name');
    assert.ok(maxInFlight >= 1 && maxInFlight <= 2, `at most 2 uploads at once (saw ${maxInFlight})`);
    step(`verdicts: ${Object.entries(expected).map(([n, s]) => n + ' ' + s).join(', ')}; ${maxInFlight} at once`);

    // Download the fixed id-front-phone.jpg through the link.
    const [dl] = await Promise.all([page.waitForEvent('download'),
                                    page.locator(rowSel('id-front-phone.jpg') + ' a[download]').click()]);
    assert.equal(dl.suggestedFilename(), 'id-front-phone.jpg');
    const fixed = readFileSync(await dl.path());
    assertJpeg(fixed, 'downloaded id-front-phone.jpg');
    copyFileSync(await dl.path(), path.join(OUT, 'id-front-phone.fixed.jpg'));
    step(`download: id-front-phone.jpg, ${fixed.length} B, FF D8 … FF D9`);

    // A dropped file whose name is markup (and Chinese) is shown as text, never run.
    const evil = '身份证<img src=x onerror="window.__pwned=1">.jpg';
    const b64 = readFileSync(path.join(SAMPLES, 'ready.jpg')).toString('base64');
    await page.evaluate(([name, data]) => {
      const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: 'image/jpeg' }));
      document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [evil, b64]);
    await page.waitForFunction(() => document.querySelectorAll('#results .badge[data-status]').length === 4,
                               null, { timeout: VERDICT_TIMEOUT });
    assert.equal(await page.locator(rowSel(evil) + ' .name').textContent(), evil, 'markup name shown as text');
    assert.equal(await page.locator(rowSel(evil) + ' .badge').getAttribute('data-status'), 'pass');
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'no element made from the name');
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing ran');
    step('drop: a file named with markup shows as text, verdict pass');

    // A folder through the folder picker: its picture is uploaded with its path, its dot file left out.
    const folder = path.join(OUT, 'folder-pick');
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(path.join(folder, 'scans'), { recursive: true });
    copyFileSync(path.join(SAMPLES, 'licence-scan.png'), path.join(folder, 'scans', '营业执照.png'));
    writeFileSync(path.join(folder, 'scans', '.DS_Store'), 'not a picture');
    await page.setInputFiles('#pick-folder', folder);
    await page.waitForFunction(() => document.querySelectorAll('#results .badge[data-status]').length === 5,
                               null, { timeout: VERDICT_TIMEOUT });
    assert.equal(await page.locator('#results li.row').count(), 5, 'the dot file was not added');
    assert.equal(await page.locator(rowSel('营业执照.png') + ' .name').textContent(), 'folder-pick/scans/营业执照.png');
    assert.equal(await page.locator(rowSel('营业执照.png') + ' .badge').getAttribute('data-status'), 'fixed');
    step('folder pick: folder-pick/scans/营业执照.png fixed, .DS_Store left out');

    // Download all (after the drop, so one name is Chinese): one STORE ZIP with UTF-8 names and right CRCs, holding the same bytes.
    const [zdl] = await Promise.all([page.waitForEvent('download'), page.click('#zip')]);
    const zip = readFileSync(await zdl.path());
    copyFileSync(await zdl.path(), path.join(OUT, 'preflight-fixed.zip'));
    const entries = readZip(zip);
    const evilJpg = evil.replace(/\.jpg$/, '') + '.jpg';
    assert.deepEqual(entries.map(e => e.name).sort(),
                     ['id-front-phone.jpg', 'letter.jpg', 'ready.jpg', evilJpg, 'folder-pick/scans/营业执照.jpg'].sort());
    for (const e of entries) {
      assert.ok(e.crcOk, `${e.name}: CRC-32 matches`);
      assert.equal(e.method, 0, `${e.name}: stored`);
      assert.ok(e.flags & 0x0800, `${e.name}: UTF-8 flag`);
      assertJpeg(e.data, `${e.name} in the ZIP`);
    }
    assert.ok(entries.find(e => e.name === 'id-front-phone.jpg').data.equals(fixed), 'ZIP entry = the single download');
    // Info-ZIP unzip, when installed, must test the archive and list the Chinese name as it is.
    const unzip = spawnSync('unzip', ['-t', path.join(OUT, 'preflight-fixed.zip')],
                            { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    if (!unzip.error) {
      assert.equal(unzip.status, 0, 'unzip -t: ' + unzip.stdout + unzip.stderr);
      assert.ok(unzip.stdout.includes(evilJpg), 'unzip reads the UTF-8 name: ' + unzip.stdout);
    }
    step(`download all: ZIP of ${entries.length}, CRCs right${unzip.error ? '' : ', unzip -t ok'}`);

    // Errors: a JSON error from the server and a network failure each give a row that says so.
    await page.route(/\/v1\/fix\?.*name=too-big\.jpg/, r => r.fulfill({ status: 413, contentType: 'application/json',
      body: JSON.stringify({ error: 'the file is over the 50 MB upload limit', status: 413 }) }));
    await page.route(/\/v1\/fix\?.*name=offline\.jpg/, r => r.abort('connectionreset'));
    await page.setInputFiles('#pick-files', [
      { name: 'too-big.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('x') },
      { name: 'offline.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('x') }]);
    await page.waitForFunction(() => document.querySelectorAll('#results .badge[data-status]').length === 7,
                               null, { timeout: VERDICT_TIMEOUT });
    for (const [name, re] of [['too-big.jpg', /HTTP 413: the file is over the 50 MB upload limit/], ['offline.jpg', /^Network error/]]) {
      assert.equal(await page.locator(rowSel(name) + ' .badge').getAttribute('data-status'), 'error', `${name} status`);
      assert.match(await page.locator(rowSel(name) + ' .err').textContent(), re, `${name} message`);
    }
    problems.splice(0, problems.length, ...problems.filter(p => !/Failed to load resource|net::ERR_CONNECTION_RESET/.test(p)));
    step('errors: HTTP 413 JSON and a reset connection each shown in their row');
    await page.screenshot({ path: path.join(OUT, 'desktop-en.png'), fullPage: true });

    // The switch re-renders every label and the status words.
    await page.click('#lang-zh');
    assert.match(await page.textContent('h1'), /ICP 备案/);
    assert.equal(await page.locator(rowSel('ready.jpg') + ' .badge').textContent(), '通过');
    assert.equal(await page.locator(rowSel('letter.pdf') + ' .badge').textContent(), '已修正');
    assert.equal(await page.textContent('#pick-files-btn'), '选择文件');
    assert.equal(await page.locator(rowSel('ready.jpg') + ' th').first().textContent(), '检查项');
    assert.match(await page.textContent('#progress'), /已完成 7 \/ 7/);
    assert.match(await page.locator(rowSel('too-big.jpg') + ' .err').textContent(), /^服务器返回 HTTP 413: the file is over/);
    await page.screenshot({ path: path.join(OUT, 'desktop-zh.png'), fullPage: true });
    step('language switch: English → 中文 relabels the page and the verdicts');

    // Phone: 390×844, rows stacked, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const fit = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > vw + 0.5 && e.getClientRects().length)
        .map(e => e.tagName + '.' + e.className);
      const row = document.querySelector('#results li.row');
      const thumb = row.firstElementChild.getBoundingClientRect(), det = row.lastElementChild.getBoundingClientRect();
      return { vw, scrollW: document.documentElement.scrollWidth, wide, stacked: thumb.bottom <= det.top + 0.5 };
    });
    assert.equal(fit.vw, 390);
    assert.ok(fit.scrollW <= fit.vw, `no horizontal scroll at 390 px (scrollWidth ${fit.scrollW}; too wide: ${fit.wide.join(" ")})`);
    assert.deepEqual(fit.wide, [], 'no element reaches past the right edge');
    assert.ok(fit.stacked, 'phone rows stack: thumbnail above the details');
    await page.screenshot({ path: path.join(OUT, 'phone-zh.png'), fullPage: true });
    await page.screenshot({ path: path.join(OUT, 'phone-zh-top.png') });
    await page.locator(rowSel('id-front-phone.jpg')).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'phone-zh-row.png') });
    await page.click('#lang-en');
    assert.equal(await page.locator(rowSel('ready.jpg') + ' .badge').textContent(), 'pass');
    await page.screenshot({ path: path.join(OUT, 'phone-en.png'), fullPage: true });
    step('phone 390×844: rows fit, stacked; back to English');

    assert.deepEqual(problems, [], 'no console errors, CSP violations or exceptions');
    console.log(`page test: passed (screenshots in ${path.relative(process.cwd(), OUT) || '.'})`);
    return 0;
  } catch (e) {
    if (page) await page.screenshot({ path: path.join(OUT, 'failure.png'), fullPage: true }).catch(() => {});
    console.error('page test: FAILED: ' + (e.stack || e));
    return 1;
  } finally {
    await browser.close();
    if (server.child) { server.child.kill('SIGTERM'); }
  }
}

process.exit(await main());
