// SPDX-License-Identifier: MIT
//
// Captures real Chromium offers for the SDP fixtures in this folder. Run it inside a private
// network namespace with only lo up, so the browser has nothing but loopback to gather on:
//
//   ip netns add sdpcap; ip -n sdpcap link set lo up
//   ip netns exec sdpcap node tests/unit/sdp/capture-chrome.mjs tests/unit/sdp
//   ip netns delete sdpcap
//
// It writes chrome-offer.sdp (audio + video from getUserMedia's fake devices, a data channel,
// ICE gathering complete) and chrome-simulcast-offer.sdp (one video transceiver with three
// rid encodings), each with the CRLF line endings the browser produced.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../e2e/browser/package.json'));
const { chromium } = require('playwright-core');

// Playwright's own --disable-features list plus WebRtcHideLocalIpsWithMdns (see
// /work/shared/TESTING-PEERS.md): a second flag would replace the first.
const DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled',
  'PreconnectToSearch', 'WebRtcHideLocalIpsWithMdns',
];

const outDir = process.argv[2] || here;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    `--disable-features=${DISABLED_FEATURES.join(',')}`,
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
// getUserMedia needs a secure context: http://127.0.0.1 is one, about:blank is not.
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>sdp capture</title>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);

async function gathered(pcExpr) {
  return page.evaluate(pcExpr);
}

const full = await gathered(async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const pc = new RTCPeerConnection();
  for (const t of stream.getTracks())
    pc.addTrack(t, stream);
  pc.createDataChannel('chat');
  const done = new Promise((resolve) => {
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete')
        resolve();
    };
  });
  await pc.setLocalDescription(await pc.createOffer());
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  return { sdp: pc.localDescription.sdp, ua: navigator.userAgent };
});

const simulcast = await gathered(async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
  const pc = new RTCPeerConnection();
  pc.addTransceiver(stream.getVideoTracks()[0], {
    direction: 'sendonly',
    streams: [stream],
    sendEncodings: [
      { rid: 'q', scaleResolutionDownBy: 4.0 },
      { rid: 'h', scaleResolutionDownBy: 2.0 },
      { rid: 'f' },
    ],
  });
  await pc.setLocalDescription(await pc.createOffer());
  return { sdp: pc.localDescription.sdp, ua: navigator.userAgent };
});

writeFileSync(join(outDir, 'chrome-offer.sdp'), full.sdp);
writeFileSync(join(outDir, 'chrome-simulcast-offer.sdp'), simulcast.sdp);
console.log(full.ua);
await browser.close();
server.close();
