// Share links, in the browser: the disclosed bundle is encrypted here with AES-GCM (WebCrypto) under a fresh 256-bit
// key; the node gets only the ciphertext. The key goes into the link's #fragment, which the browser never sends to any
// server: /verify#share=<id>.<key>. Opening the link fetches the ciphertext (one open counted), decrypts it here and
// verifies it like any bundle. The holder keeps each link's revocation token in this browser (localStorage).

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STORED = "credreg.shareLinks";

/** Unpadded base64url (RFC 4648 §5), the spelling the node takes. */
export function b64urlEncode(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [18, 12, 6, 0].map((shift) => ALPHABET[(n >> shift) & 63]);
    text += chars.slice(0, Math.min(4, bytes.length - i + 1)).join("");
  }
  return text;
}

export function b64urlDecode(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error("not base64url");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of text) {
    value = (value << 6) | ALPHABET.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 255;
    }
  }
  return out;
}

/** Encrypt `text`: { key (base64url, for the #fragment), ciphertext (base64url of IV ‖ ciphertext ‖ tag) }. */
export async function encryptText(text) {
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(text)));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", key));
  const joined = new Uint8Array(iv.length + sealed.length);
  joined.set(iv);
  joined.set(sealed, iv.length);
  return { key: b64urlEncode(raw), ciphertext: b64urlEncode(joined) };
}

/** Decrypt what the node handed back with the link's key; throws when the key does not open it. */
export async function decryptText(ciphertext, keyText) {
  const raw = b64urlDecode(keyText);
  if (raw.length !== 32) throw new Error("the link's key is not 32 bytes");
  const key = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["decrypt"]);
  const joined = b64urlDecode(ciphertext);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: joined.slice(0, 12) }, key, joined.slice(12));
  return new TextDecoder("utf-8", { fatal: true }).decode(plain);
}

/** The share in a link's fragment: { id, key } or null (#share=<id>.<key>). */
export function shareInFragment(hash) {
  const match = /^#share=([A-Za-z0-9_-]{16,43})\.([A-Za-z0-9_-]{43})$/.exec(hash);
  return match ? { id: match[1], key: match[2] } : null;
}

/** Create a link on this node for `text`: { id, link, holderToken, expiresAt, maxOpens }. */
export async function createShare(text, { expiresInSeconds, maxOpens }) {
  const { key, ciphertext } = await encryptText(text);
  const response = await fetch("/v1/shares", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ciphertext, expiresInSeconds, ...(maxOpens ? { maxOpens } : {}) }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(body?.detail && typeof body.detail === "string" ? body.detail : `the node answered ${response.status}`);
  }
  const link = `${location.origin}/verify#share=${body.id}.${key}`;
  return { ...body, link };
}

/** The links made in this browser (newest first). */
export function savedShares() {
  try {
    const list = JSON.parse(localStorage.getItem(STORED) ?? "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

export function saveShare(entry) {
  localStorage.setItem(STORED, JSON.stringify([entry, ...savedShares().filter((s) => s.id !== entry.id)].slice(0, 50)));
}

/** The holder's view of a link: GET /v1/shares/{id}/status, or DELETE to revoke. */
export async function holderCall(entry, method) {
  const url = method === "DELETE" ? `/v1/shares/${entry.id}` : `/v1/shares/${entry.id}/status`;
  const response = await fetch(url, { method, headers: { "X-Holder-Token": entry.holderToken } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.detail ?? `the node answered ${response.status}`);
  return body;
}
