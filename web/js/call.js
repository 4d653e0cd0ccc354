// A peer-to-peer call: one RTCPeerConnection to one partner, negotiated with the "perfect
// negotiation" pattern (W3C WebRTC 1.0, section 10.7 example), so that either side may start
// and an offer collision is settled by politeness: the polite side rolls its offer back, the
// impolite side ignores the other's offer. The caller decides who is polite (app.js: by the
// order of the peer ids, which both sides see alike).
//
// A call knows nothing about rooms or WebSockets: it sends its negotiation messages through
// the `send(data)` function it is given and receives the partner's through handleSignal().
// A relayed call (through the gateway) is meant to be another class with the same surface:
//   start({waitForOffer}), handleSignal(data), close(), pc, channel, connectionState,
//   events 'state' {state}, 'track' {track, streams}, 'channel' {channel}.
//
// Messages (the `data` of signaling messages): {description: RTCSessionDescriptionInit} and
// {candidate: RTCIceCandidateInit}.
//
// Two measures beyond the textbook pattern, both for things seen on Chromium 156:
// - The side that was in the room first waits (up to WAIT_FOR_OFFER_MS) for the newcomer's
//   offer before it adds its tracks, so the usual call starts without an offer collision.
//   Collisions are still handled, but a rollback that lands while the rolled-back offer is
//   still gathering candidates was seen to leave the answer with no candidates at all.
// - A watchdog restarts ICE when a call has not connected for a while, and rolls back an
//   offer that got no answer (lost while the signaling connection was down): signaling is
//   not reliable across reconnects, and perfect negotiation assumes it is.

const WAIT_FOR_OFFER_MS = 5000;
const WATCHDOG_TICK_MS = 1000;
// The impolite side acts first, so that both sides do not restart at the same moment.
const STUCK_MS = { impolite: 10000, polite: 14000 };

export class PeerCall extends EventTarget {
  constructor({ polite, localStream, send, rtcConfig = {} }) {
    super();
    this.polite = polite;
    this.localStream = localStream;
    this.send = send;
    this.rtcConfig = rtcConfig;
    this.pc = null;
    this.channel = null;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.isSettingRemoteAnswerPending = false;
    this.hasLocal = false; // tracks and data channel added
    this.timers = { waitForOffer: 0, watchdog: 0 };
    this.stuckSince = 0;
    // Signaling messages are applied one at a time, in order: setRemoteDescription and
    // addIceCandidate must not interleave.
    this.queue = Promise.resolve();
  }

  get connectionState() {
    return this.pc ? this.pc.connectionState : 'closed';
  }

  // Creates the connection. With waitForOffer, the local tracks and the data channel are added
  // when the partner's offer arrives (or after WAIT_FOR_OFFER_MS), so that this side answers
  // rather than offers; the 'channel' event tells when this.channel exists.
  start({ waitForOffer = false } = {}) {
    const pc = new RTCPeerConnection(this.rtcConfig);
    this.pc = pc;

    pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      } catch (err) {
        console.warn('call: creating an offer failed', err);
      } finally {
        this.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track, streams }) => {
      this.emit('track', { track, streams });
    };
    pc.onconnectionstatechange = () => {
      this.emit('state', { state: pc.connectionState });
    };
    pc.oniceconnectionstatechange = () => {
      // A path that died (a network change) gets new candidates; perfect negotiation carries
      // the resulting offer whichever side makes it.
      if (pc.iceConnectionState === 'failed') pc.restartIce();
    };

    if (waitForOffer) {
      this.timers.waitForOffer = setTimeout(() => this.addLocal(), WAIT_FOR_OFFER_MS);
    } else {
      this.addLocal();
    }
    this.timers.watchdog = setInterval(() => this.watchdog(), WATCHDOG_TICK_MS);
    this.emit('state', { state: pc.connectionState });
  }

  addLocal() {
    clearTimeout(this.timers.waitForOffer);
    if (this.hasLocal || !this.pc || this.pc.signalingState === 'closed') return;
    this.hasLocal = true;
    const pc = this.pc;
    // After an offer has been applied, addTrack reuses its audio and video transceivers, so
    // the answer sends on them and no second negotiation is needed.
    if (this.localStream) {
      for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    }
    // Both sides create the same pre-negotiated channel: no ondatachannel race, and neither
    // side depends on who sent the offer.
    this.channel = pc.createDataChannel('chat', { negotiated: true, id: 0 });
    this.emit('channel', { channel: this.channel });
  }

  async watchdog() {
    const pc = this.pc;
    const state = pc ? pc.connectionState : 'closed';
    if (state === 'connected' || state === 'closed' ||
        (!pc.remoteDescription && !pc.localDescription)) {
      this.stuckSince = 0;
      return;
    }
    const now = Date.now();
    if (!this.stuckSince) this.stuckSince = now;
    if (now - this.stuckSince < STUCK_MS[this.polite ? 'polite' : 'impolite']) return;
    this.stuckSince = now;
    console.info(`call: not connected (${state}, ${pc.signalingState}): restarting ICE`);
    try {
      // An offer that is still unanswered after this long was lost on the way.
      if (pc.signalingState === 'have-local-offer') {
        await pc.setLocalDescription({ type: 'rollback' });
      }
      pc.restartIce();
    } catch (err) {
      console.warn('call: ICE restart failed', err);
    }
  }

  handleSignal(data) {
    this.queue = this.queue.then(() => this.applySignal(data)).catch((err) => {
      console.warn('call: signaling message failed', err);
    });
    return this.queue;
  }

  async applySignal({ description, candidate }) {
    const pc = this.pc;
    if (!pc || pc.signalingState === 'closed') return;
    if (description) {
      const isReadyForOffer = !this.makingOffer &&
        (pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
      const isCollision = description.type === 'offer' && !isReadyForOffer;
      this.ignoreOffer = !this.polite && isCollision;
      if (this.ignoreOffer) return;
      this.isSettingRemoteAnswerPending = description.type === 'answer';
      try {
        await pc.setRemoteDescription(description);
      } finally {
        this.isSettingRemoteAnswerPending = false;
      }
      if (description.type === 'offer') {
        this.addLocal();
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      }
    } else if (candidate) {
      try {
        await pc.addIceCandidate(candidate);
      } catch (err) {
        // Candidates of an offer we ignored, or of a connection the partner has replaced.
        if (!this.ignoreOffer) console.debug('call: candidate rejected', err);
      }
    }
  }

  close() {
    clearTimeout(this.timers.waitForOffer);
    clearInterval(this.timers.watchdog);
    if (!this.pc) return;
    const pc = this.pc;
    pc.onnegotiationneeded = pc.onicecandidate = pc.ontrack = null;
    pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    pc.close();
    this.emit('state', { state: 'closed' });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
