// The parts of "call a phone" (the gateway's `sip` service) that know nothing of the page:
// checking what the user typed, the dial pad, and the words for the call's progress.

// A sip: or sips: URI the gateway accepts (docs/signaling.md: "to": "sip:user@host[:port]"):
// no headers (`?...`, refused by the SIP stack), no spaces. sips: goes over TLS (the gateway
// needs tls in sip.transports, docs/sip.md). tel: is not dialled yet.
const SIP_URI = /^sips?:(?:[^@\s?]+@)?(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:;[^\s?]*)?$/;
const PHONE_NUMBER = /^\+?[\d\s().*#-]+$/;

// Returns {uri} for a target the gateway can call, or {error} with a sentence for the user.
export function parseSipTarget(text) {
  const value = String(text || '').trim();
  if (!value) return { error: 'Enter the SIP address to call, for example sip:alice@example.com.' };
  if (PHONE_NUMBER.test(value)) {
    // The gateway calls numbers through the account or trunk its sip.number_route names.
    return { uri: value.replace(/[\s().-]/g, '') };
  }
  const scheme = /^sips?:/i.exec(value);
  if (scheme && !value.startsWith(scheme[0].toLowerCase())) {
    return parseSipTarget(`${scheme[0].toLowerCase()}${value.slice(scheme[0].length)}`);
  }
  if (!scheme) {
    return { error: 'Only SIP addresses can be called for now: they start with sip:, for ' +
      'example sip:alice@example.com.' };
  }
  if (!SIP_URI.test(value)) {
    return { error: `"${value}" is not a SIP address this gateway can call ` +
      '(sip:user@host[:port] or sips:..., without headers).' };
  }
  return { uri: value };
}

// What the `call` events say (docs/signaling.md, "call (SIP calls)").
export const PROGRESS_TEXT = {
  calling: 'calling…',
  ringing: 'ringing',
  early: 'early media',
  answered: 'answered',
};

export const DIAL_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

// Twelve buttons in CONTAINER; onKey(key) runs for a click or for the key typed on the
// keyboard while the pad has the focus.
export function buildDialPad(container, onKey) {
  const buttons = DIAL_KEYS.map((key) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = key;
    button.dataset.key = key;
    button.setAttribute('aria-label', `tone ${key}`);
    button.disabled = true;
    button.addEventListener('click', () => onKey(key));
    return button;
  });
  container.replaceChildren(...buttons);
  container.addEventListener('keydown', (ev) => {
    if (DIAL_KEYS.includes(ev.key) && !buttons[0].disabled) {
      ev.preventDefault();
      onKey(ev.key);
    }
  });
  return {
    setEnabled(isEnabled) {
      for (const button of buttons) button.disabled = !isEnabled;
    },
  };
}

// --- calls to a room (sip:room-KEY@gateway rings every JSON member of room KEY) ---

// The peer ids of pages in phone mode start with this, so that the room's video pages (p2p,
// relay) can tell them from a partner: a phone-mode page takes the room's phone calls and
// never joins its video call.
export const PHONE_PEER_PREFIX = 'phone-';

export function isPhoneMember(peer) {
  return typeof peer === 'string' && peer.startsWith(PHONE_PEER_PREFIX);
}

// The SIP user that rings room KEY (docs/signaling.md, "Incoming calls").
export function roomUser(key) {
  return `room-${key}`;
}

// The room key of an incoming call's `to` ("room-KEY"), or null for a call to a name.
export function roomOfTarget(to) {
  return typeof to === 'string' && to.startsWith('room-') ? to.slice('room-'.length) : null;
}

// sip:room-KEY@HOST[:PORT] from the gateway's SIP contact ("sip:HOST:PORT", /status), or
// room-KEY alone when the contact is unknown.
export function roomSipUri(key, contact) {
  const m = /^sips?:(.+)$/.exec(contact || '');
  return m ? `sip:${roomUser(key)}@${m[1]}` : roomUser(key);
}

// The banner line of a ringing call: who calls, and whom (a room, an account).
export function incomingText({ from, display, to, account }) {
  const who = display ? `${display} <${from}>` : from;
  const room = roomOfTarget(to);
  const via = account ? ` (account ${account})` : '';
  return room !== null ? `${who} is calling the room${via}` : `${who} is calling ${to}${via}`;
}

// Why a call stopped ringing here (incoming-ended), for the page.
export function incomingEndedText({ reason, by }) {
  switch (reason) {
  case 'answered-elsewhere':
    return by ? `answered by ${by}` : 'answered by someone else';
  case 'cancelled':
    return 'the caller hung up';
  case 'timeout':
    return 'nobody answered in time';
  case 'declined':
    return 'declined';
  default:
    return reason || 'ended';
  }
}
