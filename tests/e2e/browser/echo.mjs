// SPDX-License-Identifier: MIT
//
// A headless Chromium calls the gateway's echo service (/?mode=echo): one RTCPeerConnection
// to Ponte, which terminates ICE, DTLS-SRTP and SCTP and sends the media and data channel
// messages back. The test proves from getStats() on the returned streams that video frames
// are decoded and keep coming, that the returned audio carries the tone the fake microphone
// sends (audioLevel above zero), that bytes keep arriving, and that data channel messages
// (text, binary, and the client's chat) come back.
//
//   node echo.mjs --url http://127.0.0.1:PORT [--out DIR]
//
// Run it through run.sh (`run.sh PONTE echo`), which puts the daemon and the browser in a
// private network namespace. Scenarios:
//   1. echo: mode switch, connection, media and data channel echo, the call lasting past the
//      gateway's consent timeout, hang up (the gateway confirms), call again, a signaling loss
//      (the client attaches a new session once it has reconnected);
//   2. the page closes its RTCPeerConnection behind the client's back (DTLS close_notify):
//      the gateway ends the session and says so (hungup), and the page shows why;
//   3. the browser freezes (its renderer processes stopped with SIGSTOP, so nothing answers
//      the gateway's consent checks, while the WebSocket, kept by the browser process, stays
//      up): the gateway ends the session by itself after webrtc.consent_timeout, and once
//      the browser thaws the page shows why.
// Prints one "ok"/"not ok" line per check and "N passed, M failed" last; exits 1 on any
// failure. It never runs longer than OVERALL_TIMEOUT_MS.

import {
  check, checkSoon, launch, mediaStats, note, onTearDown, openPage, opts, report,
  runScenario, screenshot, setUp, sleep, stateOf, tearDown, waitState, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 120_000;
const STATS_GAP_MS = 2_000;
// run.sh sets webrtc.consent_timeout to this: a healthy call must outlast it.
const CONSENT_TIMEOUT_S = 10;

setUp('echo.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

async function status() {
  try {
    const res = await fetch(`${baseUrl}/status`);
    return await res.json();
  } catch (err) {
    return { error: err.message };
  }
}

// The gateway frames a page receives (hungup, offers, candidates), for checks on them.
function recordGatewayFrames(page) {
  page.gatewayFrames = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    try {
      const msg = JSON.parse(String(payload));
      if (msg.session) page.gatewayFrames.push(msg);
    } catch (err) {
      // Not JSON: not ours to check.
    }
  }));
}

// Waits until the returned streams have decoded video and audio, then proves from two
// getStats() samples STATS_GAP_MS apart that they keep coming and carry the tone.
async function checkEchoMedia(s, page) {
  for (let waitedMs = 0; waitedMs < 10_000; waitedMs += 250) {
    const st = await mediaStats(page);
    if (st && st.video.framesDecoded > 0 && st.audio.bytesReceived > 0 &&
        st.audio.audioLevel > 0) break;
    await sleep(250);
  }
  const a = await mediaStats(page);
  await sleep(STATS_GAP_MS);
  const b = await mediaStats(page);
  check(`${s}: getStats() has the returned streams`, !!(a && b), 'no RTCPeerConnection');
  note(`${s}: selected pair ${b.pair}, ${b.dtls}; sent audio ${b.sent.audio} B, video ` +
    `${b.sent.video} B`);
  report(a.video.framesDecoded > 0 && b.video.framesDecoded > a.video.framesDecoded,
    `${s}: returned video frames decoded and increasing (framesDecoded ` +
    `${a.video.framesDecoded} -> ${b.video.framesDecoded}, ${b.video.frameWidth}x` +
    `${b.video.frameHeight})`);
  for (const kind of ['audio', 'video']) {
    const x = a[kind].bytesReceived;
    const y = b[kind].bytesReceived;
    report(x > 0 && y > x, `${s}: returned ${kind} bytes growing (inbound-rtp bytesReceived ` +
      `${x} -> ${y}, ${b[kind].nbStreams} stream(s))`);
  }
  // RTCP per leg: the browser's reports are consumed by the gateway, which sends its own.
  // Receiver reports about the browser's streams give it round-trip times; sender reports
  // about the returned streams count what the gateway sent.
  const rrs = b.remoteIn.audio.measurements + b.remoteIn.video.measurements;
  report(rrs > 0, `${s}: the browser takes the gateway's receiver reports (${rrs} RTT ` +
    `measurements, RTT ${(1000 * Math.max(b.remoteIn.audio.rtt, b.remoteIn.video.rtt)).toFixed(
      1)} ms)`);
  const srs = b.remoteOut.audio.reportsSent + b.remoteOut.video.reportsSent;
  report(srs > 0, `${s}: the browser takes the gateway's sender reports (${srs}; they count ` +
    `${b.remoteOut.video.packetsSent} video packets sent, ${b.video.packetsReceived} received)`);
  report(b.audio.audioLevel > 0.01 && b.audio.totalAudioEnergy > a.audio.totalAudioEnergy,
    `${s}: returned audio carries the tone (audioLevel ${b.audio.audioLevel.toFixed(3)}, ` +
    `totalAudioEnergy ${a.audio.totalAudioEnergy.toFixed(3)} -> ` +
    `${b.audio.totalAudioEnergy.toFixed(3)})`);
  return b;
}

// The remote <video> element plays the returned stream.
async function checkRemoteVideoPlays(s, page) {
  await checkSoon(`${s}: the remote video element plays the returned stream`, (t) =>
    page.waitForFunction(() => {
      const v = document.getElementById('remote-video');
      return v.srcObject && v.videoWidth > 0 && !v.paused && v.currentTime > 0.5;
    }, null, { timeout: t, polling: 200 }), 10_000);
}

// A string and a binary message sent on the data channel come back unchanged.
async function checkChannelEcho(s, page) {
  const text = `raw echo ${Math.random().toString(36).slice(2, 10)}`;
  const got = await page.evaluate(async (sent) => {
    const ch = window.ponte.channel();
    if (!ch || ch.readyState !== 'open') return { error: `channel ${ch ? ch.readyState : 'none'}` };
    ch.binaryType = 'arraybuffer';
    const bytes = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
    const result = { text: null, binary: null };
    const done = new Promise((resolve) => {
      const onMessage = (ev) => {
        if (typeof ev.data === 'string' && ev.data === sent) result.text = ev.data;
        if (ev.data instanceof ArrayBuffer) {
          const b = new Uint8Array(ev.data);
          result.binary = b.length === bytes.length && b.every((v, i) => v === bytes[i]);
        }
        if (result.text !== null && result.binary !== null) {
          ch.removeEventListener('message', onMessage);
          resolve();
        }
      };
      ch.addEventListener('message', onMessage);
      setTimeout(resolve, 5000);
    });
    ch.send(sent);
    ch.send(bytes);
    await done;
    return result;
  }, text);
  report(got.text === text, `${s}: a text message on the data channel comes back`,
    got.text === text ? undefined : got.error || `got ${JSON.stringify(got.text)}`);
  report(got.binary === true, `${s}: a 1000-byte binary message comes back unchanged`,
    got.binary === true ? undefined : got.error || `got ${got.binary}`);
}

// The client's chat: the message comes back as the echo's, and the echoed ack marks ours.
async function checkChatEcho(s, page) {
  const text = `chat echo ${Math.random().toString(36).slice(2, 8)}`;
  await checkSoon(`${s}: a chat message comes back through the gateway`, async (timeout) => {
    const id = await page.evaluate((t) => window.ponte.sendChat(t).id, text);
    await page.waitForFunction(
      ([t, i]) => window.ponte.chatLog.some((e) => e.from === 'peer' && e.text === t) &&
        window.ponte.chatLog.some((e) => e.id === i && e.from === 'me' && e.acked),
      [text, id], { timeout, polling: 100 });
    const shown = await page.locator('#chat-log').innerText();
    if (!shown.includes(`echo${text}`) && !shown.includes(text)) {
      throw new Error(`"${text}" not shown in the chat log`);
    }
  }, 10_000);
}

async function scenarioEcho(browser) {
  const s = 'echo';
  const page = await openPage(browser, 'echo', { isRawAudio: true });
  recordGatewayFrames(page);
  const before = await status();
  note(`GET /status before: ${JSON.stringify(before)}`);

  await page.goto(`${baseUrl}/?mode=echo`);
  check(`${s}: the mode switch shows "echo through the gateway"`,
    await page.locator('#modes input[value="echo"]').isChecked(),
    await page.locator('#modes').innerText());
  check(`${s}: no invitation link in echo mode`, await page.locator('#share').isHidden());
  await checkSoon(`${s}: connected to the gateway`, (t) => waitState(page, 'connected', t));
  const session = await page.evaluate(() => window.ponte.session);
  check(`${s}: attached to a gateway session (${session})`, /^g-/.test(session || ''),
    String(session));
  const started = Date.now();

  await checkEchoMedia(s, page);
  await checkRemoteVideoPlays(s, page);
  await checkChannelEcho(s, page);
  await checkChatEcho(s, page);
  await screenshot(page, 'echo');
  const during = await status();
  note(`GET /status during the call: ${JSON.stringify(during)}`);
  const flow = ((during.gateway && during.gateway.list) || []).map((x) => x.flow).find(Boolean);
  check(`${s}: the gateway made its own receiver and sender reports (reports_out ` +
    `${flow && flow.reports_out}, srs_out ${flow && flow.srs_out})`,
  !!flow && flow.reports_out > 0 && flow.srs_out > 0, JSON.stringify(during.gateway));

  // The gateway keeps a healthy session past its consent timeout (RFC 7675 checks answered,
  // media flowing), and the media is still coming at the end.
  const waitMs = (CONSENT_TIMEOUT_S + 3) * 1000 - (Date.now() - started);
  if (waitMs > 0) await sleep(waitMs);
  check(`${s}: still connected after ${CONSENT_TIMEOUT_S + 3} s (longer than the consent ` +
    'timeout)', (await stateOf(page)) === 'connected' &&
    !page.gatewayFrames.some((f) => f.type === 'hungup'),
  `state ${await stateOf(page)}, frames ${JSON.stringify(page.gatewayFrames.filter(
    (f) => f.type === 'hungup'))}`);
  await checkEchoMedia(`${s} (after ${CONSENT_TIMEOUT_S + 3} s)`, page);

  // Hang up: the client sends hangup, the gateway confirms with hungup, reason hangup.
  const nbFrames = page.gatewayFrames.length;
  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call`, (t) => waitState(page, 'ended', t), 5_000);
  await checkSoon(`${s}: the gateway confirms the hang-up (hungup, reason hangup)`,
    async (t) => {
      const deadline = Date.now() + t;
      while (!page.gatewayFrames.slice(nbFrames).some(
        (f) => f.type === 'hungup' && f.session === session && f.reason === 'hangup')) {
        if (Date.now() > deadline) {
          throw new Error(`frames: ${JSON.stringify(page.gatewayFrames.slice(nbFrames))}`);
        }
        await sleep(100);
      }
    }, 5_000);

  // Call again: a new session, media again.
  await page.locator('#btn-call').click();
  await checkSoon(`${s}: call again connects`, (t) => waitState(page, 'connected', t));
  const session2 = await page.evaluate(() => window.ponte.session);
  check(`${s}: call again is a new session (${session2})`,
    /^g-/.test(session2 || '') && session2 !== session, String(session2));
  await checkEchoMedia(`${s} (second call)`, page);
  await checkChatEcho(`${s} (second call)`, page);

  // The WebSocket drops: the gateway ends the session with the connection, so the client,
  // once it has reconnected and rejoined, attaches a new one by itself.
  const nbJoins = await page.evaluate(() => window.ponte.nbJoins);
  await page.evaluate(() => window.ponte.dropSignaling());
  await checkSoon(`${s}: after a signaling loss the client reconnects and calls again`,
    async (t) => {
      await page.waitForFunction((n) => window.ponte.nbJoins > n, nbJoins,
        { timeout: t, polling: 100 });
      await waitState(page, 'connected', t);
    }, 20_000);
  const session3 = await page.evaluate(() => window.ponte.session);
  check(`${s}: on a new session (${session3})`,
    /^g-/.test(session3 || '') && session3 !== session2, String(session3));
  await checkEchoMedia(`${s} (after the signaling loss)`, page);

  await page.context().close();
  await sleep(500);
  note(`GET /status after: ${JSON.stringify(await status())}`);
}

// The page's RTCPeerConnection closes without a hangup through signaling: Chromium sends a
// DTLS close_notify, and the gateway ends the session.
async function scenarioPcClosed(browser) {
  const s = 'connection closed';
  const page = await openPage(browser, 'echo-vanish', { isRawAudio: true });
  recordGatewayFrames(page);
  await page.goto(`${baseUrl}/?mode=echo`);
  await checkSoon(`${s}: connected to the gateway`, (t) => waitState(page, 'connected', t));
  await page.evaluate(() => window.ponte.pc().close());
  await checkSoon(`${s}: the gateway ends the session`, (t) => waitState(page, 'hungup', t),
    10_000);
  await checkHungupShown(s, page, ['hangup']);
  await screenshot(page, 'echo-closed');
  await page.context().close();
}

// The page shows the gateway's reason, which is one of WANTED.
async function checkHungupShown(s, page, wanted) {
  const reason = await page.evaluate(() => window.ponte.hungupReason);
  const frames = page.gatewayFrames.filter((f) => f.type === 'hungup');
  check(`${s}: the gateway says why: ${reason} (wanted ${wanted.join(' or ')})`,
    wanted.includes(reason), `hungup frames ${JSON.stringify(frames)}`);
  const notice = await page.locator('#notice-text').innerText();
  check(`${s}: the page shows it ("${notice}")`,
    (await page.locator('#notice').isVisible()) && notice.length > 20, notice);
}

// Chromium runs WebRTC's ICE in the renderer, the sockets and the WebSocket in its network
// process: stopping the renderers silences the browser's side of ICE and media as a vanished
// laptop would, without closing the signaling connection through which the gateway reports.
async function scenarioFrozen(browser) {
  const s = 'browser frozen';
  const page = await openPage(browser, 'echo-frozen', { isRawAudio: true });
  recordGatewayFrames(page);
  await page.goto(`${baseUrl}/?mode=echo`);
  await checkSoon(`${s}: connected to the gateway`, (t) => waitState(page, 'connected', t));
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  await cdp.detach();
  const renderers = processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
  check(`${s}: found the renderer processes (${renderers.join(' ')})`, renderers.length > 0,
    JSON.stringify(processInfo));
  const thaw = () => {
    for (const pid of renderers) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch (err) {
        // Gone already.
      }
    }
  };
  onTearDown(thaw);
  const frozenMs = (CONSENT_TIMEOUT_S + 8) * 1000;
  for (const pid of renderers) process.kill(pid, 'SIGSTOP');
  note(`${s}: renderers stopped for ${frozenMs / 1000} s`);
  await sleep(frozenMs);
  thaw();
  await checkSoon(`${s}: the gateway ended the session while the browser was frozen`,
    (t) => waitState(page, 'hungup', t), 10_000);
  await checkHungupShown(s, page, ['consent-lost', 'media-timeout']);
  await screenshot(page, 'echo-frozen');
  await page.context().close();
}

async function main() {
  const tone = writeToneWav({ hz: 440, seconds: 10, amplitude: 0.5 });
  let browser;
  try {
    browser = await launch('echo', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('echo', scenarioEcho, browser);
  await runScenario('connection closed', scenarioPcClosed, browser);
  let frozen;
  try {
    // A browser of its own: all its renderers are stopped.
    frozen = await launch('frozen', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch a second Chromium', err.message);
    return;
  }
  await runScenario('browser frozen', scenarioFrozen, frozen);
}

await main();
await tearDown();
