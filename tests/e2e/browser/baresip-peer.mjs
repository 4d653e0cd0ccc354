// SPDX-License-Identifier: MIT
//
// baresip (Debian baresip-core 1.0.0) as a real SIP phone for the end-to-end tests: one
// process per phone, headless, configured from a fresh directory, driven over its ctrl_tcp
// module (netstring-framed JSON: commands with a token, their responses, and every UA event).
// Audio comes from a WAV file (aufile), what the phone decodes is written to WAV files
// (sndfile) and nothing is played (aubridge). Reused by baresip.mjs and by the SDES-SRTP and
// TLS tests: keep this API stable.
//
//   const phone = await startBaresip({
//     dir,                 directory for config, accounts, log and recordings (created; default
//                          a new temporary directory, removed by stop() unless keepDir)
//     host: '127.0.0.1',   address the phone binds (SIP and RTP)
//     port: 5070,          SIP port: UDP and TCP listen there, TLS on port + 1 (baresip's rule)
//     transport: 'udp',    'udp' | 'tcp' | 'tls': chooses phone.uri, phone.sipPort and the
//                          account's transport; the phone listens on UDP and TCP (and TLS
//                          with a certificate) whatever it is, and dials what a URI says
//     user: 'phone',       user part of the account (incoming calls must name it)
//     answer: true,        true: auto-answer (answermode=auto); false: ring until accept()
//     codecs: 'PCMU',      account audio_codecs, comma separated; PCMU/PCMA need g711, opus,
//                          G722 and GSM load their module
//     mediaenc: null,      null (plain RTP) | 'srtp' | 'srtp-mand' | 'srtp-mandf' (SDES,
//                          RFC 4568, module srtp) | 'dtls_srtp'
//     wav: null,           audio source: a WAV file, 8 kHz mono s16 for G.711 (aufile refuses
//                          another rate); null: a 1000 Hz tone made by writeToneWav8k()
//     toneHz: 1000,        the tone's frequency when wav is null
//     recordDir: null,     directory where sndfile writes each call's audio (decoded:
//                          *-dec.wav, sent: *-enc.wav); null: no recording
//     certificate: null,   PEM file with certificate and key (sip_certificate), for TLS
//     cafile: null,        CA file for TLS peers (sip_cafile)
//     ctrlPort: 0,         ctrl_tcp port on host (0: a free one)
//     extraConfig: '',     config lines; a key given here replaces the launcher's line of
//                          that key (module lines are added, never replaced)
//     extraAccount: '',    appended to the account line's parameters, e.g. ';outbound=...'
//     verbose: false,      baresip -v (debug log)
//     sipTrace: false,     baresip -s: every SIP message in the log
//     maxSeconds: 150,     baresip -t: the process quits by itself after that long
//     label: 'baresip',    name in error messages
//     keepDir: false,      keep the temporary directory made when dir is not given
//   });
//
// The returned phone (every method that talks to baresip returns a Promise):
//   phone.uri, phone.user, phone.host, phone.sipPort, phone.dir, phone.pid, phone.logPath,
//   phone.recordDir
//   phone.command(name, params = '')  any ctrl_tcp command (menu's long commands: dial, hangup,
//                          accept, sndcode, listcalls, callstat, ...); resolves to
//                          {ok, data}, rejects if baresip does not answer within 5 s
//   phone.dial(uri)        /dial URI
//   phone.accept()         /accept the ringing call
//   phone.hangup()         /hangup the current call
//   phone.sendDigits(keys) /sndcode KEYS: RFC 4733 telephone-events in the current call
//   phone.events           array of every event received so far, in order, each the ctrl_tcp
//                          event object ({type, class, direction, peeruri, id, param, ...})
//                          plus {at: Date.now()}
//   phone.mark()           the current length of phone.events, for waitEvent's since
//   phone.waitEvent(type, {since = 0, timeoutMs = 10000, match}) first event of TYPE
//                          at or after index since for which match(event) holds; rejects
//                          with the events seen on timeout. Types seen with 1.0.0:
//                          CALL_INCOMING (answer: false only), CALL_RINGING (we called, 180
//                          came), CALL_LOCAL_SDP / CALL_REMOTE_SDP (param offer|answer),
//                          CALL_MENC (SRTP up, param "0,audio,AES_CM_128_HMAC_SHA1_80"),
//                          CALL_ESTABLISHED, CALL_RTPESTAB, CALL_RTCP, CALL_DTMF_START (param
//                          the key) / CALL_DTMF_END, CALL_CLOSED (param the reason)
//   phone.dtmfReceived(since = 0)  keys of the CALL_DTMF_START events since that index
//   phone.log()            baresip's output so far (the log file's text)
//   phone.rtpStats()       RTP packets of every ended call, from rtp_stats' summary in the log:
//                          [{sent, received, errorsSent, errorsReceived}], oldest first
//   phone.recordings()     files in recordDir, oldest first: [{path, kind: 'dec'|'enc', mtimeMs}]
//   phone.recordedWav(kind = 'dec')  path of the newest recording of that kind, or null
//   phone.exited           Promise of {code, signal} when the process ends
//   phone.stop()           /quit (BYE for calls still up), then SIGTERM, then SIGKILL;
//                          resolves when the process is gone
//   phone.kill()           SIGKILL now, synchronous: for lib.mjs's onTearDown(), whose
//                          functions are not awaited
//
// WAV helpers (pure functions, no baresip needed):
//   writeToneWav8k({hz, seconds, amplitude, path}) -> path of an 8 kHz mono s16 sine WAV
//   readWav(path) -> {rate, channels, samples: Float32Array (first channel, -1..1)}; accepts
//                    a file still being written (sizes not yet filled in)
//   toneLevel(samples, rate, hz) -> Goertzel power at hz, relative to the signal's power
//                    (1 for a pure tone at hz, ~0 without it)
//   dominantHz(samples, rate, {minHz = 100, maxHz = 3800, stepHz = 10}) -> {hz, level, rms}:
//                    the strongest frequency of the scan (Goertzel), its toneLevel and the RMS
//
// Traps (also in /work/shared/TESTING-PEERS.md): net_interface takes the address (with "lo"
// baresip 1.0.0 exits at start: "could not get network address"); aufile refuses a WAV whose
// rate is not the codec's (the call closes with "No such device"); sndfile names its files
// dump-YYYY-MM-DD-hh-mm-ss-{dec,enc}.wav, so two calls started within the same second share
// (and overwrite) a file, and it writes the WAV sizes only when the call is freed;
// answermode=auto still sends 180 Ringing before the 200; ctrl_tcp runs only the menu
// module's long commands, so menu must be loaded.

import { spawn } from 'node:child_process';
import {
  closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync,
  statSync, writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const COMMAND_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 8_000;
const STOP_TIMEOUT_MS = 4_000;

// Codec names (lower case) to the module that provides them.
const CODEC_MODULES = {
  pcmu: 'g711', pcma: 'g711', opus: 'opus', g722: 'g722', gsm: 'gsm', l16: 'l16',
};
const MEDIAENC_MODULES = {
  srtp: 'srtp', 'srtp-mand': 'srtp', 'srtp-mandf': 'srtp', dtls_srtp: 'dtls_srtp',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Every phone still running, for stopAllBaresips().
const running = new Set();

// --- WAV ---

export function writeToneWav8k({ hz = 1000, seconds = 30, amplitude = 0.5, path } = {}) {
  const rate = 8000;
  const nbSamples = rate * seconds;
  const buf = Buffer.alloc(44 + nbSamples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + nbSamples * 2, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(nbSamples * 2, 40);
  for (let i = 0; i < nbSamples; i++) {
    buf.writeInt16LE(Math.round(amplitude * 32767 * Math.sin(2 * Math.PI * hz * i / rate)),
      44 + i * 2);
  }
  const out = path || join(mkdtempSync(join(tmpdir(), 'ponte-baresip-tone-')), `tone-${hz}.wav`);
  writeFileSync(out, buf);
  return out;
}

// sndfile fills in the RIFF and data sizes when it closes the file: a file read during the
// call says 0 (or garbage), so a data chunk runs to the end of the file when its size does not
// fit.
export function readWav(path) {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' ||
      buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file (${buf.length} bytes)`);
  }
  let fmt = null;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let len = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = {
        format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error(`${path}: data before fmt`);
      if (len === 0 || body + len > buf.length) len = buf.length - body;
      const isFloat = fmt.format === 3 || (fmt.format === 0xfffe && fmt.bits === 32);
      const width = fmt.bits / 8;
      const frame = width * fmt.channels;
      const nb = Math.floor(len / frame);
      const samples = new Float32Array(nb);
      for (let i = 0; i < nb; i++) {
        const p = body + i * frame;
        if (isFloat) samples[i] = buf.readFloatLE(p);
        else if (fmt.bits === 16) samples[i] = buf.readInt16LE(p) / 32768;
        else throw new Error(`${path}: ${fmt.bits}-bit samples not handled`);
      }
      return { rate: fmt.rate, channels: fmt.channels, samples };
    }
    off = body + len + (len & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

function power(samples) {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return samples.length ? sum / samples.length : 0;
}

// Goertzel: the power at HZ, scaled so that a pure sine at HZ gives its mean power; divided
// by the signal's mean power.
export function toneLevel(samples, rate, hz) {
  const n = samples.length;
  const total = power(samples);
  if (n === 0 || total === 0) return 0;
  const w = 2 * Math.PI * hz / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const mag2 = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // |X(k)|^2 of a sine of amplitude A over n samples is (A n / 2)^2; its mean power A^2 / 2.
  return (2 * mag2 / (n * n)) / total;
}

export function dominantHz(samples, rate, { minHz = 100, maxHz = 3800, stepHz = 10 } = {}) {
  let best = { hz: 0, level: 0 };
  for (let hz = minHz; hz <= maxHz; hz += stepHz) {
    const level = toneLevel(samples, rate, hz);
    if (level > best.level) best = { hz, level };
  }
  return { ...best, rms: Math.sqrt(power(samples)) };
}

// rtp_stats' table at the end of a call:
//   audio           Transmit:     Receive:
//   packets:            201          237
//   avg. bitrate:      64.2         64.5  (kbit/s)
//   errors:               0            0
function parseRtpStats(text) {
  const out = [];
  const re = /^packets:\s+(\d+)\s+(\d+)\s*\n.*\n^errors:\s+(\d+)\s+(\d+)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ sent: Number(m[1]), received: Number(m[2]), errorsSent: Number(m[3]),
      errorsReceived: Number(m[4]) });
  }
  return out;
}

// --- ctrl_tcp ---

// Netstrings (djb): "LEN:BYTES,".
function netstringParser(onMessage) {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const colon = pending.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(pending.toString('ascii', 0, colon));
      if (!Number.isInteger(len) || len < 0) throw new Error('ctrl_tcp: bad netstring length');
      if (pending.length < colon + 1 + len + 1) return;
      const body = pending.toString('utf8', colon + 1, colon + 1 + len);
      pending = pending.subarray(colon + 1 + len + 1);
      onMessage(body);
    }
  };
}

function freePort(host) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function connectOnce(host, port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

// --- configuration ---

function configText(o) {
  const lines = [
    ['poll_method', 'epoll'],
    ['sip_listen', `${o.host}:${o.port}`],
    // The address, not the interface name: with "lo" baresip 1.0.0 finds no address.
    ['net_interface', o.host],
    ['audio_source', `aufile,${o.wav}`],
    // aubridge with no source of the same name is a sink: decoded audio goes nowhere (the
    // sndfile filter has seen it by then).
    ['audio_player', 'aubridge,nil'],
    ['audio_alert', 'aubridge,nil'],
    ['audio_level', 'no'],
    ['call_max_calls', '4'],
    // At the end of each call: packets sent and received (rtpStats()).
    ['rtp_stats', 'yes'],
    // menu's once-a-second bit rate line would fill the log.
    ['statmode_default', 'off'],
    ['module_path', '/usr/lib/baresip/modules'],
    ['ctrl_tcp_listen', `${o.host}:${o.ctrlPort}`],
  ];
  if (o.recordDir) lines.push(['snd_path', o.recordDir]);
  if (o.certificate) lines.push(['sip_certificate', o.certificate]);
  if (o.cafile) lines.push(['sip_cafile', o.cafile]);

  const modules = new Set(['g711']);
  for (const c of o.codecs.split(',')) {
    const m = CODEC_MODULES[c.trim().toLowerCase()];
    if (m) modules.add(m);
  }
  modules.add('aufile');
  modules.add('aubridge');
  if (o.recordDir) modules.add('sndfile');
  if (o.mediaenc) modules.add(MEDIAENC_MODULES[o.mediaenc]);
  for (const m of modules) lines.push(['module', `${m}.so`]);
  // account: reads the accounts file; menu: the long commands (dial, hangup, accept, ...)
  // that ctrl_tcp runs.
  lines.push(['module_tmp', 'account.so']);
  lines.push(['module_app', 'menu.so']);
  lines.push(['module_app', 'ctrl_tcp.so']);

  const extra = String(o.extraConfig || '').split('\n').map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l);
      return [m[1], m[2]];
    });
  const replaced = new Set(extra.map(([k]) => k).filter((k) => !k.startsWith('module')));
  return [...lines.filter(([k]) => !replaced.has(k)), ...extra]
    .map(([k, v]) => `${k}\t${v}`).join('\n') + '\n';
}

function accountLine(o) {
  const params = [
    'regint=0', // no registrar: the gateway calls the phone's address directly
    `answermode=${o.answer ? 'auto' : 'manual'}`,
    `audio_codecs=${o.codecs}`,
  ];
  if (o.mediaenc) params.push(`mediaenc=${o.mediaenc}`);
  const transport = o.transport === 'udp' ? '' : `;transport=${o.transport}`;
  const aor = `<sip:${o.user}@${o.host}:${o.sipPort}${transport}>`;
  return `${aor};${params.join(';')}${o.extraAccount}\n`;
}

// --- the phone ---

export async function startBaresip(options = {}) {
  const o = {
    dir: null, host: '127.0.0.1', port: 5070, transport: 'udp', user: 'phone', answer: true,
    codecs: 'PCMU', mediaenc: null, wav: null, toneHz: 1000, recordDir: null,
    certificate: null, cafile: null, ctrlPort: 0, extraConfig: '', extraAccount: '',
    verbose: false, sipTrace: false, maxSeconds: 150, label: 'baresip', keepDir: false, ...options,
  };
  if (!['udp', 'tcp', 'tls'].includes(o.transport)) {
    throw new Error(`${o.label}: transport must be udp, tcp or tls, not ${o.transport}`);
  }
  if (o.mediaenc && !MEDIAENC_MODULES[o.mediaenc]) {
    throw new Error(`${o.label}: unknown mediaenc ${o.mediaenc}`);
  }
  if (o.transport === 'tls' && !o.certificate) {
    throw new Error(`${o.label}: a TLS phone needs certificate (PEM with the key)`);
  }
  const isOwnDir = !o.dir;
  o.dir = o.dir || mkdtempSync(join(tmpdir(), 'ponte-baresip-'));
  mkdirSync(o.dir, { recursive: true });
  if (o.recordDir) mkdirSync(o.recordDir, { recursive: true });
  if (!o.wav) o.wav = writeToneWav8k({ hz: o.toneHz, path: join(o.dir, `tone-${o.toneHz}.wav`) });
  if (!existsSync(o.wav)) throw new Error(`${o.label}: no WAV file ${o.wav}`);
  o.ctrlPort = o.ctrlPort || await freePort(o.host);
  o.sipPort = o.transport === 'tls' ? o.port + 1 : o.port;
  writeFileSync(join(o.dir, 'config'), configText(o));
  writeFileSync(join(o.dir, 'accounts'), accountLine(o));
  // baresip writes a default contacts file (with a public test address) when none exists.
  writeFileSync(join(o.dir, 'contacts'), '');

  const logPath = join(o.dir, 'baresip.log');
  const fd = openSync(logPath, 'w');
  const args = ['-f', o.dir, '-t', String(o.maxSeconds)];
  if (o.verbose) args.push('-v');
  if (o.sipTrace) args.push('-s');
  const child = spawn('baresip', args, { cwd: o.dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => resolve({ code: null, signal: null, error: err.message }));
  });
  let hasExited = false;
  exited.then(() => { hasExited = true; });

  const readLog = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch (err) {
      return `(no log: ${err.message})`;
    }
  };

  const failStart = (text) => {
    if (isOwnDir && !o.keepDir) rmSync(o.dir, { recursive: true, force: true });
    return new Error(text);
  };
  // ctrl_tcp listens once the modules are loaded: retry until it accepts.
  let sock = null;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!sock) {
    if (hasExited) {
      const how = await exited;
      const hint = /ENOENT/.test(how.error || '')
        ? ' (not installed? apt-get install --no-install-recommends baresip-core)' : '';
      throw failStart(`${o.label}: baresip exited at start: ${JSON.stringify(how)}${hint}\n` +
        readLog().slice(-2000));
    }
    try {
      sock = await connectOnce(o.host, o.ctrlPort);
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await exited;
        throw failStart(`${o.label}: ctrl_tcp ${o.host}:${o.ctrlPort} does not answer ` +
          `(${err.message})\n${readLog().slice(-2000)}`);
      }
      await sleep(100);
    }
  }

  const events = [];
  const eventWaiters = new Set();
  const pendingCommands = new Map();
  let nextToken = 1;
  sock.on('data', netstringParser((text) => {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      return; // not JSON: nothing of ours
    }
    if (msg.event) {
      msg.at = Date.now();
      events.push(msg);
      for (const w of [...eventWaiters]) w();
    } else if (msg.response && pendingCommands.has(msg.token)) {
      pendingCommands.get(msg.token)(msg);
    }
  }));
  sock.on('error', () => {});
  sock.on('close', () => {
    for (const resolve of pendingCommands.values()) resolve({ ok: false, data: 'ctrl_tcp closed' });
  });

  const command = (name, params = '') => new Promise((resolve, reject) => {
    if (sock.destroyed) {
      reject(new Error(`${o.label}: ctrl_tcp is closed`));
      return;
    }
    const token = String(nextToken++);
    const timer = setTimeout(() => {
      pendingCommands.delete(token);
      reject(new Error(`${o.label}: no response to ${name} ${params} within ` +
        `${COMMAND_TIMEOUT_MS} ms`));
    }, COMMAND_TIMEOUT_MS);
    pendingCommands.set(token, (msg) => {
      clearTimeout(timer);
      pendingCommands.delete(token);
      resolve({ ok: !!msg.ok, data: msg.data === undefined ? '' : String(msg.data) });
    });
    const body = Buffer.from(JSON.stringify({ command: name, params, token }));
    sock.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]));
  });

  const waitEvent = (type, { since = 0, timeoutMs = 10_000, match = () => true } = {}) =>
    new Promise((resolve, reject) => {
      const find = () => events.slice(since).find((e) => e.type === type && match(e));
      const found = find();
      if (found) {
        resolve(found);
        return;
      }
      let timer = null;
      const waiter = () => {
        const e = find();
        if (!e) return;
        clearTimeout(timer);
        eventWaiters.delete(waiter);
        resolve(e);
      };
      eventWaiters.add(waiter);
      timer = setTimeout(() => {
        eventWaiters.delete(waiter);
        const seen = events.slice(since).map((e) => `${e.type}${e.param ? `(${e.param})` : ''}`);
        reject(new Error(`${o.label}: no ${type} within ${timeoutMs} ms (events: ` +
          `${seen.join(', ') || 'none'})`));
      }, timeoutMs);
    });

  const recordings = () => {
    if (!o.recordDir || !existsSync(o.recordDir)) return [];
    return readdirSync(o.recordDir)
      .map((name) => {
        const m = /-(dec|enc)\.wav$/.exec(name);
        if (!m) return null;
        const path = join(o.recordDir, name);
        return { path, kind: m[1], mtimeMs: statSync(path).mtimeMs };
      })
      .filter(Boolean)
      .sort((a, b) => a.mtimeMs - b.mtimeMs);
  };

  let stopping = null;
  const stop = () => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (!hasExited) {
        try {
          await Promise.race([command('quit'), sleep(1000)]);
        } catch (err) {
          // Gone already, or deaf: the signals below.
        }
        for (const signal of ['SIGTERM', 'SIGKILL']) {
          if (await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS / 2)])) break;
          child.kill(signal);
        }
        await exited;
      }
      sock.destroy();
      running.delete(phone);
      if (isOwnDir && !o.keepDir) rmSync(o.dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const transportParam = o.transport === 'udp' ? '' : `;transport=${o.transport}`;
  const phone = {
    uri: `sip:${o.user}@${o.host}:${o.sipPort}${transportParam}`,
    user: o.user,
    host: o.host,
    sipPort: o.sipPort,
    dir: o.dir,
    pid: child.pid,
    logPath,
    recordDir: o.recordDir,
    events,
    exited,
    command,
    dial: (uri) => command('dial', uri),
    accept: () => command('accept'),
    hangup: () => command('hangup'),
    sendDigits: (keys) => command('sndcode', keys),
    mark: () => events.length,
    waitEvent,
    dtmfReceived: (since = 0) => events.slice(since)
      .filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param).join(''),
    log: readLog,
    rtpStats: () => parseRtpStats(readLog()),
    recordings,
    recordedWav: (kind = 'dec') => {
      const all = recordings().filter((r) => r.kind === kind);
      return all.length ? all[all.length - 1].path : null;
    },
    stop,
    kill: () => {
      if (!hasExited) child.kill('SIGKILL');
    },
  };
  running.add(phone);
  return phone;
}

// Stops every phone still running (for a test's last cleanup).
export async function stopAllBaresips() {
  await Promise.allSettled([...running].map((p) => p.stop()));
}
