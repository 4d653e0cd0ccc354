// Room keys: the secret part of a call link, carried in location.hash so that it never
// reaches the web server's logs. Whoever knows the key can join the room, so a new key is
// 128 random bits from the browser's CSPRNG, written as base64url (22 characters).

const KEY_BYTES = 16;

// The server accepts room names up to 128 bytes without ':' or control characters
// (docs/signaling.md); the client keeps to the base64url alphabet, which is safe in a URL too.
const KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function base64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function randomId(nbBytes) {
  const bytes = new Uint8Array(nbBytes);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

export function newRoomKey() {
  return randomId(KEY_BYTES);
}

export function isValidRoomKey(key) {
  return KEY_PATTERN.test(key);
}

// The key in a hash such as "#Zk3xq0J5c2V0aW5n", or null when there is none or it is not one
// this client would have made (the caller then makes a new room).
export function roomKeyFromHash(hash) {
  const key = decodeURIComponent(hash.replace(/^#/, ''));
  return isValidRoomKey(key) ? key : null;
}
