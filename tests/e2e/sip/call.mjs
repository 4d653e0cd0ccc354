// SPDX-License-Identifier: MIT
// Browser -> SIP phone through the gateway, with real peers: headless Chromium (a 440 Hz tone
// as its microphone) calls SIPp, which answers with SDP and echoes the RTP it receives. The
// test proves the call signalling (progress, answer, BYE) and that audio went both ways through
// the dataplane (SRTP <-> RTP): the browser receives, decodes and hears its tone back, and the
// gateway's counters show packets to and from the phone. Then: a busy phone (486) is reported
// to the browser with its status, and a malformed target is refused.
// Runs inside a private network namespace (run.sh); argv: PONTE_BINARY.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = await import(
  path.join(here, '../browser/node_modules/playwright-core/index.mjs'));

const HTTP = 18100;
const SIP = 5060;
const PHONE = 5070;
let passed = 0;
let failed = 0;
function check(cond, what, detail = '') {
  if (cond) passed++;
  else failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${passed + failed} - ${what}${cond ? '' : ' ' + detail}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const deadline = setTimeout(() => {
  console.log('not ok - overall timeout');
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 170000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ponte-sip-'));
// 8 kHz mono 16-bit, 440 Hz: the level the browser measures on the echo is clearly not 0.
function writeTone(file) {
  const rate = 48000;
  const n = rate * 20;
  const b = Buffer.alloc(44 + 2 * n);
  b.write('RIFF', 0); b.writeUInt32LE(36 + 2 * n, 4); b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(12000 * Math.sin(2 * Math.PI * 440 * i / rate)), 44 + 2 * i);
  fs.writeFileSync(file, b);
}
const tone = path.join(dir, 'tone.wav');
writeTone(tone);
fs.writeFileSync(path.join(dir, 'ponte.yaml'), `log:
  level: debug
http:
  port: ${HTTP}
sip:
  listen: 127.0.0.1
  port: ${SIP}
  media_timeout: 5
`);
const logFd = fs.openSync(path.join(dir, 'ponte.log'), 'w');
const daemon = spawn(process.argv[2], ['-c', path.join(dir, 'ponte.yaml')],
  { stdio: ['ignore', logFd, logFd] });
const base = `http://127.0.0.1:${HTTP}`;
const status = async () => (await fetch(`${base}/status`)).json();
for (let i = 0; i < 100; i++) {
  try { await status(); break; } catch { await sleep(50); }
}

function sipp(args) {
  const out = fs.openSync(path.join(dir, `sipp-${Date.now()}.log`), 'w');
  const p = spawn('sipp', ['-i', '127.0.0.1', '-p', String(PHONE), '-m', '1', '-nostdin',
    '-timeout', '60s', ...args], { stdio: ['ignore', out, out], cwd: dir });
  p.done = new Promise((r) => p.on('exit', (code) => r(code)));
  return p;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-audio-capture=${tone}`, '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'] });

// In the page: attach the sip service to `to`, offer audio, follow the call.
async function call(page, to) {
  return page.evaluate(async (target) => {
    const st = { events: [] };
    window.st = st;
    const ws = new WebSocket(`ws://${location.host}/ws`);
    st.ws = ws;
    await new Promise((r) => { ws.onopen = r; });
    ws.onmessage = async (e) => {
      const m = JSON.parse(e.data);
      st.events.push(m);
      if (m.type === 'candidate' && st.pc) {
        st.pc.addIceCandidate(m.candidate ? { candidate: m.candidate, sdpMid: '0' } : null)
          .catch(() => {});
      }
      if (m.type === 'attached') st.session = m.session;
      if (m.type === 'answer') await st.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
    };
    ws.send(JSON.stringify({ type: 'attach', service: 'sip', to: target, tx: 1 }));
    for (let i = 0; i < 50 && !st.session; i++) {
      if (st.events.some((m) => m.type === 'error')) return st.events;
      await new Promise((r) => setTimeout(r, 50));
    }
    const pc = new RTCPeerConnection();
    st.pc = pc;
    const mic = await navigator.mediaDevices.getUserMedia({ audio: {
      echoCancellation: false, autoGainControl: false, noiseSuppression: false } });
    mic.getTracks().forEach((t) => pc.addTrack(t, mic));
    pc.ontrack = (e) => {
      const a = new Audio();
      a.srcObject = e.streams[0] || new MediaStream([e.track]);
      a.play().catch(() => {});
      st.audio = a;
    };
    pc.onicecandidate = (e) => ws.send(JSON.stringify({ type: 'candidate', session: st.session,
      candidate: e.candidate ? e.candidate.candidate : '' }));
    await pc.setLocalDescription(await pc.createOffer());
    ws.send(JSON.stringify({ type: 'offer', session: st.session, sdp: pc.localDescription.sdp }));
    return st.events;
  }, to);
}

const events = (page) => page.evaluate(() => window.st.events.map((m) => {
  const c = { ...m };
  delete c.sdp;
  return c;
}));

async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await sleep(100);
  }
  return false;
}

async function answeredCall() {
  const phone = sipp(['-sn', 'uas', '-mi', '127.0.0.1', '-mp', '6000', '-rtp_echo']);
  await sleep(300);
  const page = await browser.newPage();
  await page.goto(base + '/status'); // a page without CSP: the test evaluates code in it
  await call(page, `sip:echo@127.0.0.1:${PHONE}`);
  const answered = await waitFor(async () => (await events(page)).some(
    (m) => m.type === 'call' && m.state === 'answered'), 15000);
  const evs = await events(page);
  check(answered, 'the phone answers: call events reach the browser',
    JSON.stringify(evs.filter((m) => m.type !== 'candidate')));
  check(evs.some((m) => m.type === 'call' && m.state === 'calling'),
    'the browser saw the call being placed');
  check(evs.some((m) => m.type === 'answer'), 'the browser got its SDP answer');
  const heard = await waitFor(() => page.evaluate(async () => {
    let ok = false;
    (await window.st.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio')
        window.st.last = s, ok = s.packetsReceived > 100 && s.totalAudioEnergy > 0;
    });
    return ok;
  }), 15000);
  const last = await page.evaluate(() => window.st.last || {});
  check(heard, `the browser hears its tone echoed by the phone (packets ${last.packetsReceived}, `
    + `energy ${last.totalAudioEnergy && last.totalAudioEnergy.toFixed(4)}, level ${last.audioLevel})`);
  const codec = await page.evaluate(async () => {
    let mime = '';
    const stats = await window.st.pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio' && stats.get(s.codecId))
        mime = stats.get(s.codecId).mimeType;
    });
    return mime;
  });
  check(codec === 'audio/PCMU', `the browser receives the codec the phone chose (${codec})`);
  const st = await status();
  const s = st.gateway.list.find((x) => x.service === 'sip');
  check(s && s.sip && s.sip.to_phone > 100 && s.sip.from_phone > 100 && s.sip.to_browser > 100,
    `the dataplane carried RTP both ways: ${JSON.stringify(s && s.sip)}`);
  await page.evaluate(() => window.st.ws.send(JSON.stringify({ type: 'hangup',
    session: window.st.session, tx: 9 })));
  const hung = await waitFor(async () => (await events(page)).some(
    (m) => m.type === 'hungup' && m.tx === 9), 5000);
  check(hung, 'hangup answered with hungup');
  const code = await Promise.race([phone.done, sleep(10000).then(() => 'timeout')]);
  check(code === 0, `the phone got BYE and completed its scenario (sipp exit ${code})`);
  await page.close();
}

async function busyPhone() {
  const phone = sipp(['-sf', path.join(here, 'uas-busy.xml')]);
  await sleep(300);
  const page = await browser.newPage();
  await page.goto(base + '/status');
  await call(page, `sip:busy@127.0.0.1:${PHONE}`);
  const ok = await waitFor(async () => (await events(page)).some(
    (m) => m.type === 'hungup' && m.status === 486), 15000);
  const h = (await events(page)).find((m) => m.type === 'hungup');
  check(ok, `a busy phone: hungup with status 486 (${JSON.stringify(h)})`);
  const code = await Promise.race([phone.done, sleep(10000).then(() => 'timeout')]);
  check(code === 0, `the busy phone got its ACK (sipp exit ${code})`);
  await page.close();
}

// The phone answers, then vanishes (no RTP, no BYE): after sip.media_timeout the gateway sends
// BYE, tells the browser, and frees the call's ports.
async function silentPhone() {
  const before = (await status()).dataplane.ports;
  const phone = sipp(['-sf', path.join(here, 'uas-silent.xml'), '-mi', '127.0.0.1']);
  await sleep(300);
  const page = await browser.newPage();
  await page.goto(base + '/status');
  await call(page, `sip:silent@127.0.0.1:${PHONE}`);
  const t0 = Date.now();
  await waitFor(async () => (await events(page)).some((m) => m.type === 'answer'), 10000);
  await sleep(1000); // ICE and DTLS up: the browser's port is attached too
  const during = (await status()).dataplane.ports;
  const ok = await waitFor(async () => (await events(page)).some(
    (m) => m.type === 'hungup' && m.reason === 'media-timeout'), 20000);
  const took = (Date.now() - t0) / 1000;
  check(ok && took < 5 + 5, `a silent phone: hungup media-timeout after ${took.toFixed(1)} s `
    + '(sip.media_timeout 5)');
  const code = await Promise.race([phone.done, sleep(10000).then(() => 'timeout')]);
  check(code === 0, `the silent phone got the gateway's BYE (sipp exit ${code})`);
  await page.close();
  await sleep(500);
  const after = (await status()).dataplane.ports;
  check(during >= before + 2 && after <= before,
    `the call's ports are freed (${before} before, ${during} during, ${after} after)`);
}

// The browser goes away mid-call (its page and WebSocket close): the phone gets BYE.
async function browserGone() {
  const phone = sipp(['-sn', 'uas', '-mi', '127.0.0.1', '-mp', '6000', '-rtp_echo']);
  await sleep(300);
  const page = await browser.newPage();
  await page.goto(base + '/status');
  await call(page, `sip:echo@127.0.0.1:${PHONE}`);
  const up = await waitFor(async () => (await events(page)).some(
    (m) => m.type === 'call' && m.state === 'answered'), 15000);
  check(up, 'a second call is answered');
  await page.close();
  const code = await Promise.race([phone.done, sleep(15000).then(() => 'timeout')]);
  check(code === 0, `the browser went away: the phone got BYE (sipp exit ${code})`);
}

async function badTarget() {
  const page = await browser.newPage();
  await page.goto(base + '/status');
  const evs = await call(page, 'tel:+15551234');
  const err = evs.find((m) => m.type === 'error');
  check(err && err.code === 'bad_request' && err.tx === 1,
    `a target that is not a sip: URI is refused (${JSON.stringify(err)})`);
  await page.close();
}

try {
  await answeredCall();
  await busyPhone();
  await silentPhone();
  await browserGone();
  await badTarget();
  check(daemon.exitCode === null, 'the daemon is still running');
} catch (e) {
  check(false, `exception: ${e.stack}`);
} finally {
  await browser.close().catch(() => {});
  daemon.kill('SIGTERM');
  clearTimeout(deadline);
  if (failed) {
    console.log(fs.readFileSync(path.join(dir, 'ponte.log'), 'utf8').slice(-4000));
    for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('sipp')))
      console.log(f, fs.readFileSync(path.join(dir, f), 'utf8').slice(-1500));
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
