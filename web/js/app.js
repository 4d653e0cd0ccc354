// UI wiring of the Ponte web client: the room key in the URL, the camera, the signaling
// connection, one call at a time and the chat. The pieces it wires know nothing of the page:
//   signaling.js  JSON protocol over a WebSocket, reconnecting and rejoining by itself
//   call.js       one RTCPeerConnection to one partner (perfect negotiation)
//   chat.js       text chat with acknowledgements over the call's data channel
//   media.js      getUserMedia and its errors
// Calling through the gateway or dialling a SIP phone are meant to be other call classes
// picked in startCall() (see CALL_MODES), with their own controls next to these.
//
// Besides the call's own messages (call.js), partners send each other {bye: true} on hang up
// and {bye: 'closed'} when the page goes away, so that the other side need not wait for the
// server's peer-left.
//
// Test hook for the end-to-end tests (tests/e2e/browser/p2p.mjs), stable on purpose:
//   window.ponte.pc()            the current RTCPeerConnection, or null
//   window.ponte.state           short state code: 'media' | 'media-error' | 'joining' |
//                                'waiting' | 'connecting' | 'connected' | 'interrupted' |
//                                'peer-left' | 'reconnecting' | 'room-full' | 'room-busy' |
//                                'ended' | 'error'
//   window.ponte.stateText       the call-state line as shown
//   window.ponte.sendChat(text)  sends a chat message; returns its log entry
//   window.ponte.chatLog         array of {id, from: 'me'|'peer'|'system', text, time,
//                                acked?, failed?}; live (entries are appended)
//   window.ponte.roomKey, window.ponte.peerId, window.ponte.partner
//   window.ponte.signalingState  'connecting' | 'open' | 'reconnecting' | 'closed'
//   window.ponte.nbJoins         joined replies so far (rejoins after a reconnect included)
//   window.ponte.dropSignaling() closes the WebSocket as a network loss would (the client
//                                then reconnects and rejoins by itself)

import { Signaling, signalingUrl } from './signaling.js';
import { PeerCall } from './call.js';
import { Chat } from './chat.js';
import { getLocalMedia } from './media.js';
import { newRoomKey, randomId, roomKeyFromHash } from './roomkey.js';

// Only peer-to-peer today; 'gateway' and 'sip' will add entries here.
const CALL_MODES = {
  p2p: { create: (opts) => new PeerCall(opts) },
};

// Two people per call in this client; a third one is told the room is busy.
const MAX_PARTICIPANTS = 2;

const STATE_TEXT = {
  media: 'asking for camera and microphone…',
  'media-error': 'no camera or microphone',
  joining: 'joining the room…',
  waiting: 'waiting for a partner — share the link below',
  connecting: 'connecting…',
  connected: 'connected',
  interrupted: 'connection interrupted — trying to recover…',
  'peer-left': 'peer left — waiting for a partner',
  reconnecting: 'signaling lost — reconnecting…',
  'room-full': 'room full',
  'room-busy': 'room busy',
  ended: 'call ended',
  error: 'error',
};

const $ = (id) => document.getElementById(id);

const ui = {
  state: $('state'),
  notice: $('notice'),
  noticeText: $('notice-text'),
  noticeActions: $('notice-actions'),
  localVideo: $('local-video'),
  remoteVideo: $('remote-video'),
  remoteCaption: $('remote-caption'),
  localCaption: $('local-caption'),
  playRemote: $('play-remote'),
  mic: $('btn-mic'),
  cam: $('btn-cam'),
  hangup: $('btn-hangup'),
  callAgain: $('btn-call'),
  shareUrl: $('share-url'),
  copy: $('btn-copy'),
  chatLog: $('chat-log'),
  chatForm: $('chat-form'),
  chatInput: $('chat-input'),
  chatSend: $('chat-send'),
};

const app = {
  mode: 'p2p',
  roomKey: null,
  peerId: randomId(9),
  localStream: null,
  sig: null,
  isJoined: false,
  nbJoins: 0,
  isInRoom: false, // we asked to be in the room (join sent, no leave since)
  partner: null,
  isPartnerAway: false, // the partner's signaling dropped but the media may still flow
  call: null,
  chat: new Chat(),
  // Set when the call cannot go on until the user acts: room-full, room-busy, ended, ...
  stopState: null,
  lastState: null,
};

// --- state line ---

function currentState() {
  if (app.stopState) return app.stopState;
  if (!app.sig) return 'media';
  // A connected call needs no signaling: it stays "connected" through an outage.
  const isLive = !!app.call && app.call.connectionState === 'connected';
  if (app.sig.state !== 'open' && !isLive) {
    return app.sig.state === 'reconnecting' ? 'reconnecting' : 'joining';
  }
  if (!app.isJoined && !isLive) return 'joining';
  if (!app.partner) return app.lastState === 'peer-left' ? 'peer-left' : 'waiting';
  switch (app.call ? app.call.connectionState : 'new') {
  case 'connected':
    return 'connected';
  case 'disconnected':
  case 'failed':
    return 'interrupted';
  default:
    return 'connecting';
  }
}

function render() {
  const state = currentState();
  let text = STATE_TEXT[state];
  if (state === 'connected' && !app.isJoined) {
    text += ' (signaling lost — reconnecting)';
  } else if (state === 'connected' && app.isPartnerAway) {
    text += " (partner's signaling lost)";
  }
  app.lastState = state;
  ui.state.textContent = text;
  ui.state.dataset.state = state;

  const hasCall = !!app.call;
  const audio = app.localStream ? app.localStream.getAudioTracks() : [];
  const video = app.localStream ? app.localStream.getVideoTracks() : [];
  ui.mic.disabled = audio.length === 0;
  ui.cam.disabled = video.length === 0;
  ui.hangup.disabled = !app.isInRoom;
  ui.callAgain.hidden = state !== 'ended';
  ui.chatInput.disabled = ui.chatSend.disabled = !app.chat.isOpen;
  ui.remoteCaption.textContent = hasCall ? 'partner' : 'no partner yet';
  document.body.classList.toggle('in-call', state === 'connected');
}

function showNotice(text, actions = []) {
  ui.noticeText.textContent = text;
  ui.noticeActions.replaceChildren(...actions.map(({ label, onClick, primary }) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    if (primary) button.className = 'primary';
    button.addEventListener('click', () => {
      hideNotice();
      onClick();
    });
    return button;
  }));
  ui.notice.hidden = false;
}

function hideNotice() {
  ui.notice.hidden = true;
}

// --- room and signaling ---

function setUpRoomKey() {
  let key = roomKeyFromHash(location.hash);
  if (!key) {
    key = newRoomKey();
    // replaceState, not location.hash: no extra history entry and no hashchange event.
    history.replaceState(null, '', `${location.pathname}${location.search}#${key}`);
  }
  app.roomKey = key;
  ui.shareUrl.value = location.href;
  // A key typed into the address bar by hand means another room: start over there.
  window.addEventListener('hashchange', () => location.reload());
}

function startSignaling() {
  const sig = new Signaling(signalingUrl());
  app.sig = sig;
  sig.addEventListener('state', (ev) => {
    // The server forgot us with the connection; the rejoin's reply sets this again.
    if (ev.detail.state !== 'open') app.isJoined = false;
    render();
  });
  sig.addEventListener('joined', (ev) => onJoined(ev.detail));
  sig.addEventListener('peer-joined', (ev) => onPeerJoined(ev.detail));
  sig.addEventListener('peer-left', (ev) => onPeerLeft(ev.detail));
  sig.addEventListener('message', (ev) => onMessage(ev.detail));
  sig.addEventListener('error', (ev) => onSignalingError(ev.detail));
  sig.start();
  joinRoom();
}

function joinRoom() {
  app.stopState = null;
  app.isJoined = false;
  app.isInRoom = true;
  hideNotice();
  render();
  app.sig.join(app.roomKey, app.peerId).catch(() => {
    // Reported through the 'error' event (onSignalingError) or retried on reconnect.
  });
}

function leaveRoom() {
  app.isInRoom = false;
  app.isJoined = false;
  app.sig.leave(app.roomKey);
}

function onJoined(joined) {
  if (joined.room !== app.roomKey || !app.isInRoom) return;
  app.isJoined = true;
  app.nbJoins += 1;
  app.peerId = joined.peer || app.peerId;
  const others = Array.isArray(joined.peers) ? joined.peers : [];
  if (app.partner) {
    // Back after a signaling outage: the call may have survived it, and the partner may be
    // reconnecting too.
    if (others.includes(app.partner)) {
      app.isPartnerAway = false;
      const state = app.call ? app.call.connectionState : 'closed';
      if (state === 'failed' || state === 'closed') {
        endCall();
        startCall(app.partner, { waitForOffer: false });
      }
    } else if (app.call && app.call.connectionState === 'connected') {
      app.isPartnerAway = true;
    } else {
      onPartnerGone('left');
    }
  } else if (others.length >= MAX_PARTICIPANTS) {
    roomBusy();
    return;
  } else if (others.length === 1) {
    // The newcomer offers; the partner already there waits for it (call.js).
    startCall(others[0], { waitForOffer: false });
  }
  render();
}

function onPeerJoined({ room, peer }) {
  if (room !== app.roomKey || !app.isInRoom) return;
  if (!app.partner) {
    startCall(peer, { waitForOffer: true });
  } else if (peer === app.partner) {
    // The partner rejoined after losing its signaling. A call that did not survive the
    // outage is started afresh; a live one goes on.
    app.isPartnerAway = false;
    const state = app.call.connectionState;
    if (state === 'failed' || state === 'closed') {
      endCall();
      startCall(peer, { waitForOffer: true });
    }
  }
  // Anyone else is a third participant; its client sees two peers and gives up by itself.
  render();
}

function onPeerLeft({ room, peer, reason }) {
  if (room !== app.roomKey || peer !== app.partner) return;
  if (reason !== 'left' && app.call && app.call.connectionState === 'connected') {
    // Its WebSocket dropped, not its call: keep the media going while it reconnects.
    app.isPartnerAway = true;
    render();
    return;
  }
  onPartnerGone('left');
}

function onMessage({ room, from, data }) {
  if (room !== app.roomKey || !app.isInRoom || !data || typeof data !== 'object') return;
  if (data.bye) {
    if (from === app.partner) onPartnerGone(data.bye === 'closed' ? 'left' : 'hung up');
    return;
  }
  if (!app.partner && app.isJoined) startCall(from, { waitForOffer: true });
  if (from !== app.partner || !app.call) return;
  app.call.handleSignal(data);
}

function onSignalingError(err) {
  if (err.room && err.room !== app.roomKey) return;
  if (err.code === 'room_full') {
    app.isInRoom = false;
    app.stopState = 'room-full';
    showNotice('This room is full: the gateway allows no more people in it.', [
      { label: 'Try again', onClick: joinRoom, primary: true },
      { label: 'Start a new room', onClick: newRoom },
    ]);
  } else if (err.room) {
    // Any other failed join: the room name was refused or the gateway is at a limit.
    app.isInRoom = false;
    app.stopState = 'error';
    showNotice(`Could not join the room: ${err.text || err.code}.`, [
      { label: 'Try again', onClick: joinRoom, primary: true },
      { label: 'Start a new room', onClick: newRoom },
    ]);
  } else {
    console.warn('signaling error', err);
  }
  render();
}

function roomBusy() {
  leaveRoom();
  app.stopState = 'room-busy';
  showNotice('This room is busy: two people are already in a call there.', [
    { label: 'Try again', onClick: joinRoom, primary: true },
    { label: 'Start a new room', onClick: newRoom },
  ]);
  render();
}

function newRoom() {
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  location.reload();
}

// --- the call ---

function startCall(peer, { waitForOffer }) {
  app.partner = peer;
  app.isPartnerAway = false;
  const call = CALL_MODES[app.mode].create({
    // Both sides compare the same two ids, so exactly one of them is polite.
    polite: app.peerId > peer,
    localStream: app.localStream,
    send: (data) => app.sig.send(app.roomKey, peer, data),
  });
  app.call = call;
  call.addEventListener('state', (ev) => onCallState(call, ev.detail.state));
  call.addEventListener('track', (ev) => onRemoteTrack(ev.detail));
  call.addEventListener('channel', (ev) => app.chat.attach(ev.detail.channel));
  call.start({ waitForOffer });
  render();
}

function onCallState(call, state) {
  if (call !== app.call) return;
  if (state === 'connected') {
    app.chat.note('connected');
  } else if (state === 'failed' && (app.isPartnerAway || !app.partner)) {
    onPartnerGone('the connection failed');
    return;
  }
  render();
}

function onRemoteTrack({ track, streams }) {
  let stream = streams[0];
  if (!stream) {
    stream = ui.remoteVideo.srcObject instanceof MediaStream
      ? ui.remoteVideo.srcObject : new MediaStream();
    stream.addTrack(track);
  }
  if (ui.remoteVideo.srcObject !== stream) ui.remoteVideo.srcObject = stream;
  playRemote();
}

function playRemote() {
  ui.remoteVideo.play().then(() => {
    ui.playRemote.hidden = true;
  }, (err) => {
    // Autoplay with sound refused (no camera permission, no user gesture yet).
    if (err.name === 'NotAllowedError') ui.playRemote.hidden = false;
  });
}

function endCall() {
  if (app.call) app.call.close();
  app.call = null;
  app.chat.detach();
  ui.remoteVideo.srcObject = null;
  ui.playRemote.hidden = true;
}

function onPartnerGone(why) {
  if (!app.partner) return;
  app.chat.note(`peer ${why}`);
  endCall();
  app.partner = null;
  app.isPartnerAway = false;
  app.lastState = 'peer-left';
  render();
}

function hangUp() {
  if (app.partner) app.sig.send(app.roomKey, app.partner, { bye: true });
  if (app.call) app.chat.note('you hung up');
  endCall();
  app.partner = null;
  leaveRoom();
  app.stopState = 'ended';
  render();
}

// --- local media ---

async function startMedia() {
  render();
  try {
    app.localStream = await getLocalMedia();
  } catch (err) {
    app.stopState = 'media-error';
    render();
    const choice = await new Promise((resolve) => {
      showNotice(`${err.message} You can still join and see and hear the other person.`, [
        { label: 'Continue receive-only', onClick: () => resolve('receive'), primary: true },
        { label: 'Try again', onClick: () => resolve('retry') },
      ]);
    });
    app.stopState = null;
    if (choice === 'retry') return startMedia();
    ui.localCaption.textContent = 'you (receive only)';
    return;
  }
  ui.localVideo.srcObject = app.localStream;
  if (app.localStream.getVideoTracks().length === 0) {
    ui.localCaption.textContent = 'you (no camera)';
  }
}

function toggleTracks(tracks, button, onLabel, offLabel) {
  const isOff = !tracks.every((t) => t.enabled);
  for (const track of tracks) track.enabled = isOff;
  // The button is "pressed" while the device is muted/off.
  button.setAttribute('aria-pressed', String(!isOff));
  button.textContent = isOff ? onLabel : offLabel;
}

// --- chat ---

function renderChat() {
  const items = app.chat.log.map((entry) => {
    const li = document.createElement('li');
    li.className = `from-${entry.from}`;
    if (entry.from === 'me' && !entry.acked) li.classList.add(entry.failed ? 'failed' : 'pending');
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = { me: 'you', peer: 'partner', system: '·' }[entry.from];
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = entry.text;
    li.append(who, text);
    if (entry.from === 'me' && entry.failed) li.title = 'not delivered';
    return li;
  });
  ui.chatLog.replaceChildren(...items);
  ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
  render();
}

// --- wiring ---

function wireControls() {
  ui.mic.addEventListener('click', () => {
    toggleTracks(app.localStream.getAudioTracks(), ui.mic, 'Mute mic', 'Unmute mic');
  });
  ui.cam.addEventListener('click', () => {
    toggleTracks(app.localStream.getVideoTracks(), ui.cam, 'Camera off', 'Camera on');
  });
  ui.hangup.addEventListener('click', hangUp);
  ui.callAgain.addEventListener('click', joinRoom);
  ui.playRemote.addEventListener('click', playRemote);
  ui.copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(ui.shareUrl.value);
      ui.copy.textContent = 'Copied';
    } catch (err) {
      ui.shareUrl.select();
      ui.copy.textContent = 'Press Ctrl+C';
    }
    setTimeout(() => { ui.copy.textContent = 'Copy'; }, 2000);
  });
  ui.shareUrl.addEventListener('focus', () => ui.shareUrl.select());
  ui.chatForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = ui.chatInput.value.trim();
    if (!text || !app.chat.isOpen) return;
    app.chat.send(text);
    ui.chatInput.value = '';
  });
  app.chat.addEventListener('change', renderChat);
  // Tell the partner at once rather than letting it wait for the WebSocket close.
  window.addEventListener('pagehide', () => {
    if (app.partner && app.sig) app.sig.send(app.roomKey, app.partner, { bye: 'closed' });
  });
}

window.ponte = {
  pc: () => (app.call ? app.call.pc : null),
  get state() { return currentState(); },
  get stateText() { return ui.state.textContent; },
  sendChat: (text) => app.chat.send(text),
  chatLog: app.chat.log,
  get roomKey() { return app.roomKey; },
  get peerId() { return app.peerId; },
  get partner() { return app.partner; },
  get signalingState() { return app.sig ? app.sig.state : 'closed'; },
  get nbJoins() { return app.nbJoins; },
  dropSignaling: () => app.sig && app.sig.ws && app.sig.ws.close(4001, 'test: dropped'),
};

async function main() {
  wireControls();
  setUpRoomKey();
  await startMedia();
  startSignaling();
}

main().catch((err) => {
  console.error(err);
  app.stopState = 'error';
  showNotice(`Something went wrong: ${err.message}`, [
    { label: 'Reload', onClick: () => location.reload(), primary: true },
  ]);
  render();
});
