// SPDX-License-Identifier: MIT
// Faults and bad input against gateway sessions, with a real Chromium as the peer:
//  - a wrong DTLS fingerprint in the offer: the gateway refuses the session (hungup dtls-failed);
//  - garbage, truncated and forged packets on a live session's media port: dropped and counted
//    in /status, and the call goes on (video keeps decoding);
//  - malformed and hostile SDP offers: a bad_sdp error each, the daemon keeps serving;
//  - the browser killed mid-call: its session is gone within webrtc.consent_timeout.
// Run inside a private network namespace (run.sh); argv: PONTE_BINARY.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = await import(
  path.join(here, '../browser/node_modules/playwright-core/index.mjs'));

const CONSENT_TIMEOUT = 5;
const PORT = 18090;
let passed = 0;
let failed = 0;
function check(cond, what, detail = '') {
  if (cond) passed++;
  else failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${passed + failed} - ${what}${cond ? '' : ' ' + detail}`);
}

const deadline = setTimeout(() => {
  console.log('not ok - overall timeout');
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 150000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ponte-faults-'));
fs.writeFileSync(path.join(dir, 'ponte.yaml'), `log:
  level: debug
http:
  port: ${PORT}
webrtc:
  consent_timeout: ${CONSENT_TIMEOUT}
sip:
  enabled: false
`);
const logFile = fs.openSync(path.join(dir, 'ponte.log'), 'w');
const daemon = spawn(process.argv[2], ['-c', path.join(dir, 'ponte.yaml')],
  { stdio: ['ignore', logFile, logFile] });
const base = `http://127.0.0.1:${PORT}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function status() {
  return (await fetch(`${base}/status`)).json();
}
for (let i = 0; i < 100; i++) {
  try { await status(); break; } catch { await sleep(50); }
}

const ARGS = ['--no-sandbox', '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// In the page: a gateway echo session. mutate(sdp) may alter the offer before it is sent.
// Resolves with the answer's media port, and keeps window.gw for later inspection.
async function startEcho(page, mutateOffer) {
  return page.evaluate(async (mutate) => {
    const gw = { events: [] };
    window.gw = gw;
    const ws = new WebSocket(`ws://${location.host}/ws`);
    gw.ws = ws;
    await new Promise((r) => { ws.onopen = r; });
    const waiters = [];
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      gw.events.push(m);
      if (m.type === 'candidate' && gw.pc) {
        gw.pc.addIceCandidate(m.candidate ? { candidate: m.candidate, sdpMid: '0' } : null)
          .catch(() => {});
      }
      waiters.splice(0).forEach((w) => w());
    };
    const next = async (type) => {
      for (;;) {
        const m = gw.events.find((x) => (x.type === type || x.type === 'error') && !x.seen);
        if (m) { m.seen = true; return m; }
        await new Promise((r) => waiters.push(r));
      }
    };
    ws.send(JSON.stringify({ type: 'attach', service: 'echo' }));
    const att = await next('attached');
    gw.session = att.session;
    const pc = new RTCPeerConnection();
    gw.pc = pc;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    stream.getTracks().forEach((t) => pc.addTrack(t, stream));
    pc.onicecandidate = (e) => ws.send(JSON.stringify({ type: 'candidate', session: gw.session,
      candidate: e.candidate ? e.candidate.candidate : '' }));
    await pc.setLocalDescription(await pc.createOffer());
    let sdp = pc.localDescription.sdp;
    if (mutate) sdp = (new Function('sdp', `return (${mutate})(sdp)`))(sdp);
    ws.send(JSON.stringify({ type: 'offer', session: gw.session, sdp }));
    const ans = await next('answer');
    if (ans.type !== 'answer') return { error: ans };
    await pc.setRemoteDescription({ type: 'answer', sdp: ans.sdp });
    const cand = gw.events.find((m) => m.type === 'candidate' && m.candidate);
    return { session: gw.session, port: cand ? Number(cand.candidate.split(' ')[5]) : 0 };
  }, mutateOffer ? mutateOffer.toString() : null);
}

async function framesDecoded(page) {
  return page.evaluate(async () => {
    let n = 0;
    (await window.gw.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0;
    });
    return n;
  });
}

async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await sleep(100);
  }
  return false;
}

async function wrongFingerprint(browser) {
  const page = await browser.newPage();
  await page.goto(base + '/status'); // no CSP there: the test evaluates code
  // Flip one hex digit of the fingerprint: the browser's certificate will not match it.
  const r = await startEcho(page, (sdp) => sdp.replace(/(a=fingerprint:sha-256 )(.)/,
    (m, a, c) => a + (c === 'A' ? 'B' : 'A')));
  const hung = await waitFor(() => page.evaluate(() => window.gw.events.some(
    (m) => m.type === 'hungup' && m.reason === 'dtls-failed')), 15000);
  check(hung, 'wrong fingerprint: the gateway hangs up with reason dtls-failed', JSON.stringify(r));
  const connected = await page.evaluate(() => window.gw.pc.connectionState);
  check(connected !== 'connected', `wrong fingerprint: no secure connection (${connected})`);
  await page.close();
}

async function garbageOnMediaPort(browser) {
  const page = await browser.newPage();
  await page.goto(base + '/status'); // no CSP there: the test evaluates code
  const r = await startEcho(page);
  check(r.port > 0, `echo session up, gateway media port ${r.port}`);
  check(await waitFor(async () => (await framesDecoded(page)) > 10, 10000),
    'echo: video frames decoded before the attack');
  // The browser's own port: the attack must come from the address ICE validated, or libnice
  // drops it before the dataplane sees it.
  const bport = await page.evaluate(async () => {
    let port = 0;
    const st = await window.gw.pc.getStats();
    st.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        const l = st.get(s.localCandidateId);
        if (l) port = l.port;
      }
    });
    return port;
  });
  const attack = spawnSync('/usr/bin/python3', [path.join(here, 'attack.py'), String(bport),
    String(r.port)], { encoding: 'utf8', timeout: 20000 });
  check(attack.status === 0, `attack sent from the browser's address: ${attack.stdout.trim()}`,
    attack.stderr);
  const before = await framesDecoded(page);
  await sleep(2000);
  const after = await framesDecoded(page);
  check(after > before + 10, `the call goes on: frames decoded ${before} -> ${after}`);
  const st = await status();
  const mine = st.gateway.list.find((s) => s.session === r.session);
  const f = mine && mine.flow ? mine.flow : {};
  check(f.drop_replay >= 20, `replayed packets dropped and counted (${f.drop_replay})`,
    JSON.stringify(mine));
  check(f.drop_auth >= 30, `forged and garbage packets dropped and counted (${f.drop_auth})`);
  const total = f.drop_auth + f.drop_replay + f.drop_malformed;
  // The 30 truncated ones are too short to be RTP (RFC 7983) and stop at the ICE layer.
  check(total >= 120, `of the 160 RTP-looking hostile packets, ${total} dropped by SRTP checks`);

  check(st.signaling && st.dataplane, 'daemon still serving /status');
  await page.close();
}

// ICE restart (RFC 8445 §9): a new offer with new credentials; media goes on over the new
// ICE generation.
async function iceRestart(browser) {
  const page = await browser.newPage();
  await page.goto(base + '/status'); // no CSP there: the test evaluates code
  await startEcho(page);
  check(await waitFor(async () => (await framesDecoded(page)) > 5, 10000),
    'ICE restart: echo session up');
  const ok = await page.evaluate(async () => {
    const gw = window.gw;
    const ufrag = (s) => /a=ice-ufrag:(\S+)/.exec(s)[1];
    const before = ufrag(gw.pc.remoteDescription.sdp);
    gw.pc.restartIce();
    await gw.pc.setLocalDescription(await gw.pc.createOffer());
    return { before, offer: gw.pc.localDescription.sdp };
  });
  const ans = await page.evaluate(async (offer) => {
    const gw = window.gw;
    const sock = gw.ws;
    return new Promise((resolve) => {
      const seen = gw.events.length;
      const t = setInterval(async () => {
        const m = gw.events.slice(seen).find((x) => x.type === 'answer' || x.type === 'error');
        if (!m) return;
        clearInterval(t);
        if (m.type === 'answer') await gw.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
        resolve({ type: m.type, sdp: m.sdp || '', text: m.text || '' });
      }, 50);
      sock.send(JSON.stringify({ type: 'offer', session: gw.session, sdp: offer }));
    });
  }, ok.offer);
  const after = (/a=ice-ufrag:(\S+)/.exec(ans.sdp) || [])[1];
  check(ans.type === 'answer' && after && after !== ok.before,
    `ICE restart: the gateway answers with new credentials (${ok.before} -> ${after})`, ans.text);
  const f0 = await framesDecoded(page);
  check(await waitFor(async () => (await framesDecoded(page)) > f0 + 20, 10000),
    'ICE restart: video keeps decoding after the restart');
  await page.close();
}

async function badSdp(browser) {
  const page = await browser.newPage();
  await page.goto(base + '/status'); // no CSP there: the test evaluates code
  const cases = {
    'not SDP at all': 'hello',
    'no BUNDLE': (s) => s.replace(/a=group:BUNDLE[^\r\n]*\r\n/, ''),
    'no rtcp-mux': (s) => s.replace(/a=rtcp-mux\r\n/g, ''),
    'no fingerprint': (s) => s.replace(/a=fingerprint:[^\r\n]*\r\n/g, ''),
    'payload type 300': (s) => s.replace(/a=rtpmap:111 /, 'a=rtpmap:300 '),
    'truncated in the middle': (s) => s.slice(0, Math.floor(s.length / 2)) + 'a=rtpm',
    'huge': (s) => s + 'a=x-junk:' + 'z'.repeat(70000) + '\r\n',
  };
  const codes = await page.evaluate(async (list) => {
    const out = {};
    const ws = new WebSocket(`ws://${location.host}/ws`);
    await new Promise((r) => { ws.onopen = r; });
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio');
    pc.addTransceiver('video');
    const offer = (await pc.createOffer()).sdp;
    for (const [name, f] of Object.entries(list)) {
      ws.send(JSON.stringify({ type: 'attach', service: 'echo' }));
      const att = await new Promise((r) => { ws.onmessage = (e) => r(JSON.parse(e.data)); });
      const sdp = f.startsWith('(') || f.startsWith('s') && f.includes('=>')
        ? (new Function('s', `return (${f})(s)`))(offer) : f;
      ws.send(JSON.stringify({ type: 'offer', session: att.session, sdp }));
      const rep = await new Promise((r) => { ws.onmessage = (e) => r(JSON.parse(e.data)); });
      out[name] = rep;
      ws.send(JSON.stringify({ type: 'hangup', session: att.session }));
      await new Promise((r) => { ws.onmessage = () => r(); });
    }
    return out;
  }, Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, v.toString()])));
  for (const [name, rep] of Object.entries(codes)) {
    const big = name === 'huge';
    const ok = rep.type === 'error' && (rep.code === 'bad_sdp' || (big && rep.code === 'too_large'))
      && rep.text;
    check(ok, `malformed offer (${name}): error ${rep.code}: ${rep.text}`, JSON.stringify(rep));
  }
  await page.close();
}

// Signal every Chromium process of this test's namespace (and only those: other browsers on
// the machine are not ours to touch).
function signalBrowsers(sig) {
  const ns = process.env.PONTE_NETNS;
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/);
  let n = 0;
  for (const pid of pids.filter(Boolean)) {
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
    if (cmd.includes('chromium')) {
      try { process.kill(Number(pid), sig); n++; } catch { /* gone already */ }
    }
  }
  return n;
}

async function browserKilled() {
  const server = await chromium.launchServer({ executablePath: '/usr/bin/chromium',
    headless: true, args: ARGS });
  const browser = await chromium.connect(server.wsEndpoint());
  const page = await browser.newPage();
  await page.goto(base + '/status'); // no CSP there: the test evaluates code
  const r = await startEcho(page);
  check(await waitFor(async () => (await framesDecoded(page)) > 5, 10000),
    'second echo session up before the browser freezes');
  // The browser freezes (a hung machine, a cut network): its signaling TCP connection stays
  // open (the kernel still acknowledges), but no media and no consent answers come. Every
  // process of it stops, so the network service stops answering STUN too.
  check(signalBrowsers('SIGSTOP') > 0, 'browser processes frozen');
  const t0 = Date.now();
  const gone = await waitFor(async () => {
    const st = await status();
    return !st.gateway.list.some((s) => s.session === r.session);
  }, (CONSENT_TIMEOUT + 10) * 1000);
  const took = (Date.now() - t0) / 1000;
  check(gone && took <= CONSENT_TIMEOUT + 5,
    `frozen browser: session gone in ${took.toFixed(1)} s (consent_timeout ${CONSENT_TIMEOUT} s)`);
  const log = fs.readFileSync(path.join(dir, 'ponte.log'), 'utf8');
  check(new RegExp(`session=${r.session} hung up: (media-timeout|consent-lost)`).test(log),
    'its end is logged with reason media-timeout or consent-lost');
  signalBrowsers('SIGKILL');
}

try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ARGS });
  await wrongFingerprint(browser);
  await garbageOnMediaPort(browser);
  await iceRestart(browser);
  await badSdp(browser);
  await browser.close();
  await browserKilled();
  check(daemon.exitCode === null, 'the daemon survived everything');
} catch (e) {
  check(false, `exception: ${e.stack}`);
} finally {
  daemon.kill('SIGTERM');
  clearTimeout(deadline);
  if (failed) console.log(fs.readFileSync(path.join(dir, 'ponte.log'), 'utf8').slice(-3000));
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
