// Text chat over an RTCDataChannel (or anything with send(), readyState and the same events).
//
// Each message carries a random id and is acknowledged by the receiver; the sender repeats an
// unacknowledged message every RETRY_MS and the receiver drops repeats by id. A channel that
// has just opened can lose a message on some browsers (seen on Chromium when sending from
// ondatachannel), and the same logic will carry chat through a gateway that may drop data.
//
// Wire format (JSON text): {"t":"chat","id":ID,"text":TEXT} and {"t":"ack","id":ID}.
//
// Events: 'message' {entry} for a new message from the peer, 'ack' {entry} when the peer has
// one of ours, 'change' after any change to the log or to the channel state.

import { randomId } from './roomkey.js';

const RETRY_MS = 1000;
const MAX_TRIES = 15;
const MAX_TEXT = 2000;

export class Chat extends EventTarget {
  constructor() {
    super();
    // Entries: {id, from: 'me' | 'peer', text, time, acked, failed}. The test hook exposes it.
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
      if (entry.from === 'me' && !entry.acked) entry.failed = true;
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
