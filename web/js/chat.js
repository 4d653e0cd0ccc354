// Text chat over an RTCDataChannel (or anything with send(), readyState and the same events).
//
// Each message carries a random id and is acknowledged by the receiver; the sender repeats an
// unacknowledged message every RETRY_MS and the receiver drops repeats by id. A channel that
// has just opened can lose a message on some browsers (seen on Chromium when sending from
// ondatachannel), and the same logic will carry chat through a gateway that may drop data.
//
// Wire format (JSON text): {"t":"chat","id":ID,"text":TEXT} and {"t":"ack","id":ID}.
//
// The same log also carries SIP instant messages (phone mode, RFC 3428 MESSAGE through the
// gateway, docs/signaling.md "Instant messages"): they go over the signaling connection, not
// the data channel, and their delivery is the far end's SIP status, reported once
// (receiveSip, sendSip). Such entries have sip: true.
//
// Events: 'message' {entry} for a new message from the peer, 'ack' {entry} when the peer has
// one of ours, 'change' after any change to the log or to the channel state.

import { randomId } from './roomkey.js';

const RETRY_MS = 1000;
const MAX_TRIES = 15;
const MAX_TEXT = 2000;
// The gateway's limit for the text of a SIP MESSAGE, in bytes of UTF-8 (control/sip_message.h).
export const MAX_SIP_TEXT = 1000;

export class Chat extends EventTarget {
  constructor() {
    super();
    // Entries: {id, from: 'me' | 'peer' | 'system', text, time, acked, failed}, and for SIP
  // messages also sip: true, who (the sender as shown), sipFrom (its URI), to (ours: the
  // target), status and reason (the SIP final status), error (the gateway's error code).
  // The test hook exposes the log.
    this.log = [];
    this.channel = null;
    this.seen = new Set();
    this.timer = 0;
  }

  get isOpen() {
    return !!this.channel && this.channel.readyState === 'open';
  }

  attach(channel) {
    this.detach();
    this.channel = channel;
    channel.addEventListener('open', this.onOpen);
    channel.addEventListener('close', this.onClose);
    channel.addEventListener('message', this.onMessage);
    if (channel.readyState === 'open') this.onOpen();
    this.changed();
  }

  // Forgets the channel; our messages the peer never acknowledged are marked failed.
  detach() {
    if (!this.channel) return;
    this.channel.removeEventListener('open', this.onOpen);
    this.channel.removeEventListener('close', this.onClose);
    this.channel.removeEventListener('message', this.onMessage);
    this.channel = null;
    this.stopRetry();
    for (const entry of this.log) {
      if (entry.from === 'me' && !entry.acked && !entry.sip) entry.failed = true;
    }
    this.changed();
  }

  // Adds TEXT to the log and sends it; returns the log entry (entry.acked turns true later).
  send(text) {
    text = String(text).slice(0, MAX_TEXT);
    const entry = { id: randomId(9), from: 'me', text, time: Date.now(), acked: false,
      failed: !this.isOpen, tries: 0 };
    this.log.push(entry);
    if (this.isOpen) {
      this.transmit(entry);
      this.startRetry();
    }
    this.changed();
    return entry;
  }

  // Adds a local notice (call state changes) to the log; it is never sent.
  note(text) {
    this.log.push({ id: randomId(6), from: 'system', text, time: Date.now() });
    this.changed();
  }

  // A SIP MESSAGE from a phone (the gateway's sip_message frame); returns its log entry.
  receiveSip({ from, display, text, in_call: inCall }) {
    const entry = { id: randomId(9), from: 'peer', sip: true, sipFrom: String(from || ''),
      who: display || String(from || 'phone'), text: String(text || '').slice(0, MAX_TEXT),
      inCall: !!inCall, time: Date.now() };
    this.log.push(entry);
    this.dispatchEvent(new CustomEvent('message', { detail: { entry } }));
    this.changed();
    return entry;
  }

  // Sends TEXT as a SIP MESSAGE to TO (a sip: URI or a number) through SIG (signaling.js);
  // returns its log entry at once. entry.acked turns true when the far end answered 2xx,
  // entry.failed when it answered otherwise or the gateway refused the request.
  sendSip(sig, to, text) {
    const entry = { id: randomId(9), from: 'me', sip: true, to, text: String(text), time:
      Date.now(), acked: false, failed: false, status: null, reason: null, error: null };
    this.log.push(entry);
    this.changed();
    sig.sipMessage(to, entry.text).then((st) => {
      entry.status = st.status;
      entry.reason = st.reason || '';
      entry.acked = st.status >= 200 && st.status < 300;
      entry.failed = !entry.acked;
      if (entry.acked) this.dispatchEvent(new CustomEvent('ack', { detail: { entry } }));
      this.changed();
    }, (err) => {
      entry.failed = true;
      entry.error = err.code || 'not_sent';
      entry.reason = err.message;
      this.changed();
    });
    return entry;
  }

  onOpen = () => {
    this.changed();
  };

  onClose = () => {
    this.stopRetry();
    this.changed();
  };

  onMessage = (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (err) {
      return;
    }
    if (!msg || typeof msg.id !== 'string') return;
    if (msg.t === 'chat' && typeof msg.text === 'string') {
      this.sendRaw({ t: 'ack', id: msg.id });
      if (this.seen.has(msg.id)) return;
      this.seen.add(msg.id);
      const entry = { id: msg.id, from: 'peer', text: msg.text.slice(0, MAX_TEXT),
        time: Date.now() };
      this.log.push(entry);
      this.dispatchEvent(new CustomEvent('message', { detail: { entry } }));
      this.changed();
    } else if (msg.t === 'ack') {
      const entry = this.log.find((e) => e.from === 'me' && e.id === msg.id);
      if (!entry || entry.acked) return;
      entry.acked = true;
      entry.failed = false;
      this.dispatchEvent(new CustomEvent('ack', { detail: { entry } }));
      this.changed();
    }
  };

  transmit(entry) {
    entry.tries += 1;
    this.sendRaw({ t: 'chat', id: entry.id, text: entry.text });
  }

  sendRaw(msg) {
    if (!this.isOpen) return false;
    try {
      this.channel.send(JSON.stringify(msg));
      return true;
    } catch (err) {
      return false;
    }
  }

  startRetry() {
    if (this.timer) return;
    this.timer = setInterval(() => {
      let nbWaiting = 0;
      for (const entry of this.log) {
        if (entry.from !== 'me' || entry.acked || entry.failed) continue;
        if (entry.tries >= MAX_TRIES) {
          entry.failed = true;
          this.changed();
          continue;
        }
        this.transmit(entry);
        nbWaiting += 1;
      }
      if (nbWaiting === 0) this.stopRetry();
    }, RETRY_MS);
  }

  stopRetry() {
    clearInterval(this.timer);
    this.timer = 0;
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }
}

// How a SIP message of ours fared, in words: '' while it waits for the far end.
export function sipStatusText(entry) {
  if (entry.error) return `not sent: ${entry.reason || entry.error}`;
  if (entry.status === null) return 'sending…';
  const sip = `${entry.status}${entry.reason ? ` ${entry.reason}` : ''}`;
  return entry.acked ? `delivered (${sip})` : `not delivered: ${sip}`;
}

// Bytes of TEXT in UTF-8, which is what the gateway counts.
export function utf8Length(text) {
  return new TextEncoder().encode(String(text)).length;
}
