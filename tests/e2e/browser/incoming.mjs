// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of calls from SIP phones to a browser (/?mode=phone&name=alice:
// the page registers the name "alice" with the gateway, reachable as sip:alice@gateway). The
// phones are SIPp (Debian sip-tester) UACs on 127.0.0.1:5070 calling the daemon's SIP side on
// 127.0.0.1:5060, in the namespace run.sh made:
//   answer     sipp-call-alice.xml, run with -rtp_echo: the page rings (the phone gets 180),
//              the user presses Accept, the phone gets 200 with PCMU and telephone-event,
//              the browser hears its own tone come back from the phone, then the phone hangs
//              up (BYE) and the page says so;
//   offerless  sipp-call-offerless.xml: no SDP in the INVITE, the gateway offers in its 200
//              and the phone answers in the ACK; audio both ways again;
//   decline    sipp-call-refused.xml: Decline on the page, the phone gets 603;
//   cancel     sipp-call-cancel.xml: the phone gives up while the page rings; the banner
//              goes away;
//   nobody     sipp-call-refused.xml to a name no browser holds: 404 with a Warning;
//   unacceptable  sipp-call-gsm.xml offers only GSM: 488 with a Warning, nothing rings;
//   taken      a second page cannot register "alice" (name_taken).
// Run by run.sh (`run.sh PONTE incoming`), which starts the daemon with SIP on.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, checkSoon, launch, mediaStats, note, onTearDown, openPage, opts, report,
  runScenario, screenshot, setUp, sleep, tearDown, waitState, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 150_000;
const here = dirname(fileURLToPath(import.meta.url));

setUp('incoming.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

// One SIPp UAC call (-m 1) of SCENARIO to sip:USER@127.0.0.1:5060.
function startSipp(name, scenario, user) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', join(here, scenario), '-s', user, '-i', '127.0.0.1', '-p', '5070',
    '-mi', '127.0.0.1', '-mp', '6000', '-rtp_echo', '-m', '1', '-nostdin', '-timeout', '40s',
    '-trace_err', '-error_file', join(opts.out, `sipp-${name}-errors.log`), '127.0.0.1:5060'];
  const child = spawn('sipp', args, { cwd: opts.out, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => resolve({ code: null, signal: null, error: err.message }));
  });
  onTearDown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function sippDone(s, child, timeoutMs = 20_000) {
  const r = await Promise.race([child.exit,
    sleep(timeoutMs).then(() => ({ timeout: true }))]);
  check(`${s}: the phone's scenario completed (sipp exit ${JSON.stringify(r)})`,
    r.code === 0, `see ${opts.out}/sipp-*.log`);
}

async function waitIncoming(page, timeoutMs = 10_000) {
  await page.waitForFunction(() => window.ponte.incoming !== null, null,
    { timeout: timeoutMs, polling: 100 });
  return page.evaluate(() => window.ponte.incoming);
}

// The tone the page sends comes back from the phone (SIPp -rtp_echo) through both legs.
async function checkAudioBack(s, page) {
  let a = null;
  for (let waited = 0; waited < 8_000; waited += 250) {
    a = await mediaStats(page);
    if (a && a.audio.packetsReceived > 20 && a.audio.audioLevel > 0) break;
    await sleep(250);
  }
  await sleep(1_500);
  const b = await mediaStats(page);
  report(!!a && !!b && b.audio.packetsReceived > a.audio.packetsReceived &&
    b.audio.totalAudioEnergy > a.audio.totalAudioEnergy && b.audio.audioLevel > 0.01,
  `${s}: the browser hears its tone back from the phone (packets ${a && a.audio.packetsReceived}` +
    ` -> ${b && b.audio.packetsReceived}, level ${b && b.audio.audioLevel.toFixed(3)})`);
}

async function answerScenario(s, page, scenario) {
  const phone = startSipp(s, scenario, 'alice');
  const inc = await checkSoon(`${s}: the page rings`, (t) => waitIncoming(page, t), 10_000);
  check(`${s}: it shows who calls (${JSON.stringify(inc)})`,
    !!inc && /sip:phone@127\.0\.0\.1/.test(inc.from) && inc.to === 'alice' &&
    (scenario !== 'sipp-call-alice.xml' || inc.display === 'Desk Phone') &&
    (await page.locator('#incoming').isVisible()) &&
    (await page.locator('#incoming-text').innerText()).includes('phone'));
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: accepted: the call is answered`, (t) => waitState(page, 'answered', t),
    15_000);
  await checkAudioBack(s, page);
  await checkSoon(`${s}: the phone hangs up and the page says so`, async (t) => {
    await page.waitForFunction(() => window.ponte.hungupReason === 'remote-bye', null,
      { timeout: t, polling: 100 });
  }, 15_000);
  await sippDone(s, phone);
}

async function scenarioIncoming(browser) {
  const page = await openPage(browser, 'incoming', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=alice`);
  const reg = await checkSoon('register: the page takes the name alice', async (t) => {
    await page.waitForFunction(() => window.ponte.sipName !== null, null,
      { timeout: t, polling: 100 });
    return page.evaluate(() => window.ponte.sipName);
  }, 10_000);
  check(`register: reachable as ${reg && reg.uri}`,
    !!reg && reg.uri === 'sip:alice@127.0.0.1:5060' &&
    (await page.locator('#sip-name-status').innerText()).includes(reg.uri));

  await answerScenario('answer', page, 'sipp-call-alice.xml');
  await screenshot(page, 'incoming-answered');
  await answerScenario('offerless', page, 'sipp-call-offerless.xml');

  // Decline: the phone hears 603 Decline.
  {
    const s = 'decline';
    const phone = startSipp(s, 'sipp-call-refused.xml', 'alice');
    await checkSoon(`${s}: the page rings`, (t) => waitIncoming(page, t), 10_000);
    await page.locator('#btn-decline').click();
    await sippDone(s, phone);
    check(`${s}: the banner is gone`, await page.locator('#incoming').isHidden());
  }
  // The phone gives up while the page rings.
  {
    const s = 'cancel';
    const phone = startSipp(s, 'sipp-call-cancel.xml', 'alice');
    await checkSoon(`${s}: the page rings`, (t) => waitIncoming(page, t), 10_000);
    await checkSoon(`${s}: the banner goes when the phone cancels`, (t) =>
      page.waitForFunction(() => window.ponte.incoming === null, null,
        { timeout: t, polling: 100 }), 10_000);
    await sippDone(s, phone);
  }
  // Nobody holds the name: 404 with a Warning, the page is not disturbed.
  {
    const s = 'nobody';
    const phone = startSipp(s, 'sipp-call-refused.xml', 'bob');
    await sippDone(s, phone);
    check(`${s}: the page did not ring`, (await page.evaluate(() => window.ponte.incoming)) ===
      null);
  }
  // An offer the gateway cannot answer: 488 with a Warning at once, nothing rings.
  {
    const s = 'unacceptable';
    const phone = startSipp(s, 'sipp-call-gsm.xml', 'alice');
    await sippDone(s, phone);
    check(`${s}: the page did not ring`, (await page.evaluate(() => window.ponte.incoming)) ===
      null);
  }
  // A second page cannot take the name.
  {
    const s = 'taken';
    const other = await openPage(browser, 'incoming-2', { isRawAudio: true });
    await other.goto(`${baseUrl}/?mode=phone&name=alice`);
    await checkSoon(`${s}: a second page asking for alice is told the name is taken`,
      (t) => other.waitForFunction(
        () => document.getElementById('sip-name-status').textContent.includes('registered by'),
        null, { timeout: t, polling: 100 }), 10_000);
    await other.context().close();
  }
  const st = await fetch(`${baseUrl}/status`).then((r) => r.json(), (e) => ({ error: e.message }));
  note(`GET /status: ${JSON.stringify(st.calls)}`);
  check('the gateway lists alice among its users and nothing ringing',
    !!st.calls && st.calls.users.includes('alice') && st.calls.ringing === 0, JSON.stringify(st));
  await page.context().close();
}

async function main() {
  const tone = writeToneWav({ hz: 440, seconds: 10, amplitude: 0.5 });
  let browser;
  try {
    browser = await launch('incoming', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('incoming', scenarioIncoming, browser);
}

await main();
await tearDown();
