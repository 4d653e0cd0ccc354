// SPDX-License-Identifier: MIT
//
// Interop check of the SDP module against a real Chromium: the gateway's answer to Chrome's
// own offer must be accepted by setRemoteDescription, and the gateway's offer must be accepted
// and answered by a fresh RTCPeerConnection (whose answer must parse with our parser). The
// answer and offer come from "test-sdp --answer FILE" / "test-sdp --offer", so they carry the
// unit test's fixed (fake) ICE and DTLS parameters: nothing connects, only the SDP is judged.
// Run it inside a private network namespace (see capture-chrome.mjs):
//
//   ip netns exec NS node tests/unit/sdp/chrome-interop.mjs build/tests/unit/test-sdp
//
// Prints "ok"/"not ok" lines and "N passed, M failed"; exits 1 on any failure.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../e2e/browser/package.json'));
const { chromium } = require('playwright-core');
const testSdp = process.argv[2];
if (!testSdp) {
  console.error('usage: node chrome-interop.mjs PATH/TO/test-sdp');
  process.exit(2);
}

const DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled',
  'PreconnectToSearch', 'WebRtcHideLocalIpsWithMdns',
];

let nbPassed = 0;
let nbFailed = 0;
function report(isOk, name, detail) {
  if (isOk) nbPassed += 1;
  else nbFailed += 1;
  console.log(`${isOk ? 'ok' : 'not ok'} ${nbPassed + nbFailed} - ${name}`);
  if (detail) console.log(`# ${String(detail).replace(/\n/g, '\n# ')}`);
}

const tmp = mkdtempSync(join(tmpdir(), 'sdp-interop-'));
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>sdp interop</title>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    `--disable-features=${DISABLED_FEATURES.join(',')}`, '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
  ],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);

  // 1. Chrome offers, the gateway answers, Chrome applies the answer.
  const offer = await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    window.pc = new RTCPeerConnection();
    for (const t of stream.getTracks()) window.pc.addTrack(t, stream);
    window.pc.createDataChannel('chat');
    const o = await window.pc.createOffer();
    await window.pc.setLocalDescription(o);
    return o.sdp;
  });
  const offerFile = join(tmp, 'offer.sdp');
  writeFileSync(offerFile, offer);
  let answer = null;
  try {
    answer = execFileSync(testSdp, ['--answer', offerFile], { encoding: 'utf8' });
    report(true, 'the gateway answers Chrome\'s offer');
  } catch (e) {
    report(false, 'the gateway answers Chrome\'s offer', e.stderr);
  }
  if (answer) {
    const res = await page.evaluate(async (sdp) => {
      try {
        await window.pc.setRemoteDescription({ type: 'answer', sdp });
        const kinds = window.pc.getTransceivers().map((t) => `${t.mid}:${t.currentDirection}`);
        return { ok: true, kinds: kinds.join(' ') };
      } catch (e) {
        return { ok: false, error: String(e) };
      }
    }, answer);
    report(res.ok, `Chrome accepts the gateway's answer (${res.kinds || ''})`, res.error);
  }

  // 2. The gateway offers, a fresh Chrome answers.
  const gwOffer = execFileSync(testSdp, ['--offer'], { encoding: 'utf8' });
  const res2 = await page.evaluate(async (sdp) => {
    try {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      await pc.setRemoteDescription({ type: 'offer', sdp });
      const a = await pc.createAnswer();
      await pc.setLocalDescription(a);
      return { ok: true, sdp: a.sdp };
    } catch (e) {
      return { ok: false, error: String(e) };
    }
  }, gwOffer);
  report(res2.ok, 'Chrome accepts the gateway\'s offer and answers it', res2.error);
  if (res2.ok) {
    const file = join(tmp, 'chrome-answer.sdp');
    writeFileSync(file, res2.sdp);
    const bundled = /a=group:BUNDLE 0 1 2\r\n/.test(res2.sdp);
    report(bundled, 'Chrome\'s answer bundles all three sections', bundled ? '' : res2.sdp);
    console.log(`# Chrome's answer kept in ${file}`);
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`${nbPassed} passed, ${nbFailed} failed`);
process.exit(nbFailed === 0 ? 0 : 1);
