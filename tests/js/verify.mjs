// An independent verifier of credreg credential bundles, written from docs/spec/credential.md (not from the Python).
//
//   node tests/js/verify.mjs tests/vectors        # runs every vector, prints one line each, exits 1 on a disagreement
//
// It reads the normative data files the spec names (the type schemas and disclosure policies in
// node/credentials/schemas/), the vectors' chain facts, and uses ethers (keccak256), canonicalize (RFC 8785) and
// @openzeppelin/merkle-tree (StandardMerkleTree.verify) for the primitives.
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { keccak256, toUtf8Bytes } from "ethers";
import canonicalize from "canonicalize";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import Ajv2020Module from "ajv/dist/2020.js";

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SCHEMAS = join(ROOT, "node", "credentials", "schemas");

// --- spec constants (spec §1, §2, §7) ----------------------------------------------------------------------------
const MAX_BYTES = 256 * 1024;
const MAX_DEPTH = 16;
const MAX_SAFE = 2 ** 53 - 1;
const VC_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/credreg/contexts/v1"];
const HASH_ALGORITHM = "credreg-salted-fields-keccak256-jcs-v2";
const PROOF_TYPE = "CredregMerkleAnchor2026";
const TOP = ["@context", "type", "id", "issuer", "validFrom", "validUntil", "credentialSubject", "credentialSchema", "proof"];
const REQUIRED = ["@context", "type", "id", "issuer", "validFrom", "credentialSubject", "credentialSchema", "proof"];
const VC_TYPES = {
  "formal-qualification": "FormalQualificationCredential",
  "micro-credential": "MicroCredential",
  "recognition-of-prior-learning": "RecognitionOfPriorLearningCredential",
};
const OPEN_END = 2 ** 40 - 1;
const HEX32 = /^0x[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const CHECKS = ["format", "disclosure", "integrity", "chain", "anchor", "issuer", "key", "status", "expiry", "schema"];

class Refusal extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}
const refuse = (code) => {
  throw new Refusal(code);
};

// --- §7.1 the strict JSON parser ---------------------------------------------------------------------------------
function parseStrict(text) {
  if (text.length > MAX_BYTES) refuse("TOO_LARGE");
  if (text.startsWith("\ufeff")) refuse("MALFORMED");
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    refuse("MALFORMED");
  };
  const object = () => {
    i++;
    const out = {};
    const seen = new Set();
    ws();
    if (text[i] === "}") {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') refuse("MALFORMED");
      const key = string();
      ws();
      if (text[i] !== ":") refuse("MALFORMED");
      i++;
      const v = value();
      if (seen.has(key)) refuse("DUPLICATE_MEMBER");
      seen.add(key);
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        break;
      }
      refuse("MALFORMED");
    }
    return out;
  };
  const array = () => {
    i++;
    const out = [];
    ws();
    if (text[i] === "]") {
      i++;
      return out;
    }
    for (;;) {
      out.push(value());
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return out;
      }
      refuse("MALFORMED");
    }
  };
  const string = () => {
    i++;
    let out = "";
    for (;;) {
      if (i >= text.length) refuse("MALFORMED");
      const c = text[i++];
      if (c === '"') return out;
      if (c < " ") refuse("MALFORMED");
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[i++];
      const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e in simple) out += simple[e];
      else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i, i + 4))) {
        out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
        i += 4;
      } else refuse("MALFORMED");
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) refuse("MALFORMED");
    i += m[0].length;
    if (m[2] !== undefined || m[3] !== undefined) refuse("NON_CANONICAL_VALUE");
    if (m[0] === "-0") refuse("NON_CANONICAL_VALUE");
    if (Math.abs(Number(m[0])) > MAX_SAFE) refuse("NON_CANONICAL_VALUE");
    return Number(m[0]);
  };
  const result = value();
  ws();
  if (i !== text.length) refuse("MALFORMED");
  if (result === null || typeof result !== "object" || Array.isArray(result)) refuse("MALFORMED");
  walk(result, 1);
  return result;
}

const loneSurrogate = (s) => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

function walk(node, depth) {
  if (depth > MAX_DEPTH) refuse("TOO_DEEP");
  const children = Array.isArray(node) ? node : Object.values(node);
  if (!Array.isArray(node)) for (const k of Object.keys(node)) if (loneSurrogate(k)) refuse("INVALID_UNICODE");
  for (const child of children) {
    if (child !== null && typeof child === "object") walk(child, depth + 1);
    else if (typeof child === "string" && loneSurrogate(child)) refuse("INVALID_UNICODE");
  }
}

// --- §2 fields -----------------------------------------------------------------------------------------------------
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const escapeToken = (t) => t.replaceAll("~", "~0").replaceAll("/", "~1");
function flatten(document) {
  const out = new Map();
  const go = (path, v) => {
    if (isObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0) refuse("MALFORMED");
      for (const k of keys) go(path + "/" + escapeToken(k), v[k]);
    } else out.set(path, v);
  };
  for (const k of Object.keys(document)) if (k !== "proof") go("/" + escapeToken(k), document[k]);
  return out;
}

// --- §3 hashes -----------------------------------------------------------------------------------------------------
const kec = (s) => keccak256(toUtf8Bytes(s));
const fieldHash = (path, salt, value) => kec(canonicalize([path, salt, value]));
const credentialHash = (hashes) => kec(canonicalize(hashes));
const typeId = (name) => kec("credreg:type:" + name);

// --- §6 types, schemas and policies ----------------------------------------------------------------------------
const readJson = (p) => JSON.parse(readFileSync(p, "utf8"));
const schemaFiles = readdirSync(SCHEMAS).filter((f) => f.endsWith(".json"));
const schemaDocs = Object.fromEntries(schemaFiles.map((f) => readJson(join(SCHEMAS, f))).map((s) => [s.$id, s]));
const policies = {};
for (const f of readdirSync(join(SCHEMAS, "disclosure")).filter((f) => f.endsWith(".json"))) {
  const p = readJson(join(SCHEMAS, "disclosure", f));
  policies[`${p.type}/v${p.version}`] = p;
}
const schemaIdOf = (name, version) => `https://w3id.org/credreg/schemas/${name}/v${version}`;
const knownType = (name, version) => schemaIdOf(name, version) in schemaDocs && `${name}/v${version}` in policies;

function resolveRefs(node, base) {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, base));
  if (!isObject(node)) return node;
  let out = {};
  if (typeof node.$ref === "string") {
    const [uri, fragment] = node.$ref.split("#");
    const docId = uri || base;
    let target = schemaDocs[docId];
    for (const t of (fragment || "").split("/").filter(Boolean)) target = target[t];
    out = { ...resolveRefs(target, docId) };
  }
  for (const [k, v] of Object.entries(node)) if (k !== "$ref" && k !== "$defs") out[k] = resolveRefs(v, base);
  return out;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
const realDate = (y, m, d) => {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
};
ajv.addFormat("date", (s) => /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(s) && realDate(+s.slice(0, 4), +s.slice(5, 7), +s.slice(8)));
ajv.addFormat("za-id-number", (s) => {
  if (!/^[0-9]{13}$/.test(s)) return true; // the pattern reports the shape
  const [yy, mm, dd] = [+s.slice(0, 2), +s.slice(2, 4), +s.slice(4, 6)];
  if (!realDate(1900 + yy, mm, dd) && !realDate(2000 + yy, mm, dd)) return false;
  let total = 0;
  [...s].reverse().forEach((ch, pos) => {
    let d = +ch;
    if (pos % 2 === 1) d = d > 4 ? d * 2 - 9 : d * 2;
    total += d;
  });
  return total % 10 === 0;
});
ajv.addFormat("iso3166-country", (s) => /^[A-Z]{2,3}$/.test(s)); // approximation: see the spec's country list
const validators = {};
const resolvedSchema = (name, version) => resolveRefs(schemaDocs[schemaIdOf(name, version)], schemaIdOf(name, version));
function schemaErrors(name, version, subject) {
  const key = `${name}/v${version}`;
  validators[key] ??= ajv.compile({ ...resolvedSchema(name, version), $id: undefined, $schema: undefined });
  const validate = validators[key];
  if (validate(subject)) return [];
  return validate.errors.map((e) => "/credentialSubject" + e.instancePath + (e.params?.missingProperty ? "/" + e.params.missingProperty : ""));
}
function schemaHasField(schema, tokens) {
  let node = schema;
  for (const t of tokens) {
    if (!isObject(node?.properties) || !(t in node.properties)) return false;
    node = node.properties[t];
  }
  return isObject(node) && node.type !== "object" && !("properties" in node);
}
const unescape = (t) => t.replaceAll("~1", "/").replaceAll("~0", "~");
const CANONICAL_POINTER = /^(?:\/(?:[^~/]|~[01])*)+$/;

// --- §7 reading ------------------------------------------------------------------------------------------------------
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const exactly = (o, allowed) => Object.keys(o).every((k) => allowed.includes(k));
const isInt = (v) => typeof v === "number" && Number.isInteger(v);
const DATETIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;
function datetime(v) {
  const m = typeof v === "string" && DATETIME.exec(v);
  if (!m || !realDate(+m[1], +m[2], +m[3]) || +m[4] > 23 || +m[5] > 59 || +m[6] > 59) refuse("NON_CANONICAL_VALUE");
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
}
function checkProof(proof) {
  if (!isObject(proof)) refuse("MALFORMED_PROOF");
  if (typeof proof.hashAlgorithm === "string" && proof.hashAlgorithm !== HASH_ALGORITHM) refuse("UNSUPPORTED_FORMAT");
  const ok =
    exactly(proof, ["type", "hashAlgorithm", "credentialHash", "fieldHashes", "salts", "anchor"]) &&
    proof.type === PROOF_TYPE &&
    proof.hashAlgorithm === HASH_ALGORITHM &&
    HEX32.test(proof.credentialHash ?? "") &&
    isObject(proof.fieldHashes) &&
    Object.keys(proof.fieldHashes).length >= 1 &&
    Object.keys(proof.fieldHashes).length <= 512 &&
    Object.values(proof.fieldHashes).every((h) => typeof h === "string" && HEX32.test(h)) &&
    isObject(proof.salts) &&
    Object.keys(proof.salts).length <= 512 &&
    Object.values(proof.salts).every((h) => typeof h === "string" && HEX32.test(h)) &&
    (proof.anchor === undefined || proof.anchor === null || checkAnchor(proof.anchor));
  if (!ok) refuse("MALFORMED_PROOF");
}
function checkAnchor(a) {
  const keys = ["merkleRoot", "merkleProof", "chainId", "registry", "transactionHash", "blockNumber"];
  return (
    isObject(a) &&
    exactly(a, keys) &&
    keys.every((k) => has(a, k)) &&
    HEX32.test(typeof a.merkleRoot === "string" ? a.merkleRoot : "") &&
    Array.isArray(a.merkleProof) &&
    a.merkleProof.length <= 64 &&
    a.merkleProof.every((p) => typeof p === "string" && HEX32.test(p)) &&
    isInt(a.chainId) &&
    a.chainId >= 1 &&
    typeof a.registry === "string" &&
    ADDRESS.test(a.registry) &&
    typeof a.transactionHash === "string" &&
    HEX32.test(a.transactionHash) &&
    isInt(a.blockNumber) &&
    a.blockNumber >= 0
  );
}
function read(text) {
  const doc = parseStrict(text);
  if (!exactly(doc, TOP)) refuse("UNKNOWN_MEMBER");
  for (const k of REQUIRED) if (!has(doc, k)) refuse("MALFORMED");
  checkProof(doc.proof);
  const schema = doc.credentialSchema;
  if (!isObject(schema) || typeof schema.id !== "string") refuse("MALFORMED");
  if (!exactly(schema, ["id", "type"])) refuse("UNKNOWN_MEMBER");
  if (schema.type !== "JsonSchema") refuse("NON_CANONICAL_VALUE");
  const sid = /^https:\/\/w3id\.org\/credreg\/schemas\/([a-z0-9-]+)\/v([1-9][0-9]*)$/.exec(schema.id);
  if (!sid) refuse("UNKNOWN_TYPE");
  const [name, version] = [sid[1], +sid[2]];
  if (!knownType(name, version)) refuse("UNKNOWN_TYPE"); // §7: a type or version without rules is never judged
  const t = doc.type;
  if (!(Array.isArray(t) && t.length === 2 && t[0] === "VerifiableCredential" && t[1] === VC_TYPES[name])) {
    refuse("UNKNOWN_TYPE");
  }
  if (!(Array.isArray(doc["@context"]) && canonicalize(doc["@context"]) === canonicalize(VC_CONTEXT))) {
    refuse("NON_CANONICAL_VALUE");
  }
  if (!(typeof doc.id === "string" && /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(doc.id))) {
    refuse("NON_CANONICAL_VALUE");
  }
  const issuer = doc.issuer;
  if (!isObject(issuer) || typeof issuer.id !== "string" || issuer.id === "") refuse("MALFORMED");
  if (!exactly(issuer, ["id", "name"])) refuse("UNKNOWN_MEMBER");
  if (has(issuer, "name") && typeof issuer.name !== "string") refuse("MALFORMED");
  const validFrom = datetime(doc.validFrom);
  const validUntil = has(doc, "validUntil") ? datetime(doc.validUntil) : null;
  if (!isObject(doc.credentialSubject)) refuse("MALFORMED");
  const fields = flatten(doc);
  const hidden = Object.keys(doc.proof.fieldHashes).filter((p) => !has(doc.proof.salts, p)).sort();
  return { doc, fields, name, version, policy: policies[`${name}/v${version}`], validFrom, validUntil, hidden };
}

// --- §8 disclosure ---------------------------------------------------------------------------------------------------
function disclosure(r) {
  if (r.hidden.length === 0) return "OK";
  const mayHide = (p) => r.policy.hideable.some((h) => p === h || p.startsWith(h + "/"));
  const schema = resolvedSchema(r.name, r.version);
  for (const p of r.hidden) {
    if (!CANONICAL_POINTER.test(p)) refuse("HIDDEN_FIELD_UNKNOWN");
    if (!(p.startsWith("/credentialSubject/") && mayHide(p))) refuse("DISCLOSURE_NOT_ALLOWED");
    if (!schemaHasField(schema, p.slice(1).split("/").map(unescape).slice(1))) refuse("HIDDEN_FIELD_UNKNOWN");
    for (const s of r.fields.keys()) if (s === p || s.startsWith(p + "/") || p.startsWith(s + "/")) refuse("HIDDEN_FIELD_COLLISION");
  }
  return "FIELDS_HIDDEN";
}

// --- §9 integrity ------------------------------------------------------------------------------------------------------
function integrity(r) {
  const { proof } = r.doc;
  if (Object.keys(proof.salts).some((p) => !has(proof.fieldHashes, p))) return { code: "MALFORMED_PROOF", format: true };
  const shown = [...r.fields.keys()];
  const altered = shown.some((p) => !has(proof.salts, p)) || Object.keys(proof.salts).some((p) => !r.fields.has(p));
  if (altered || shown.some((p) => fieldHash(p, proof.salts[p], r.fields.get(p)) !== proof.fieldHashes[p])) {
    return { code: "FIELDS_ALTERED" };
  }
  const hash = credentialHash(proof.fieldHashes);
  if (hash !== proof.credentialHash) return { code: "CREDENTIAL_HASH_MISMATCH" };
  if (!proof.anchor) return { code: "NOT_ANCHORED" };
  const a = proof.anchor;
  if (!StandardMerkleTree.verify(a.merkleRoot, ["bytes32"], [hash], a.merkleProof)) return { code: "MERKLE_PROOF_INVALID" };
  return { code: "OK", hash, root: a.merkleRoot };
}

// --- §10 the chain checks ---------------------------------------------------------------------------------------------
const within = (t, start, end) => start <= t && (end === 0 || end === OPEN_END || t < end);
const lookup = (table, key) => (table && has(table, key) ? table[key] : null);
function issuerCheck(r, anchor, facts) {
  const issuer = lookup(facts.issuers, String(anchor.issuer_id));
  if (!issuer || issuer.status === 0) return "ISSUER_UNKNOWN";
  const body = lookup(facts.bodies, String(issuer.body_id));
  const ref = r.doc.issuer.id;
  const former = ref !== issuer.metadata_uri;
  const held = former ? lookup(facts.issuerIdentities, String(issuer.issuer_id)) ?? [] : [issuer.metadata_uri];
  if (!held.includes(ref)) return "ISSUER_MISMATCH";
  const tid = typeId(r.name);
  if (anchor.credential_type !== tid) return "TYPE_MISMATCH";
  if (!(lookup(facts.issuerTypes, String(issuer.issuer_id)) ?? []).includes(tid)) return "TYPE_OUT_OF_SCOPE";
  if (!body || body.status === 0) return "BODY_UNKNOWN";
  if (!(lookup(facts.bodyTypes, String(body.body_id)) ?? []).includes(tid)) return "TYPE_OUT_OF_SCOPE";
  const levelPath = r.policy.levelField;
  const level = levelPath && r.fields.has(levelPath) ? r.fields.get(levelPath) : null;
  if (isInt(level) && (level > issuer.max_level || level > body.max_level)) return "LEVEL_OUT_OF_SCOPE";
  const at = anchor.anchored_at;
  let code = former ? "FORMER_IDENTITY" : "OK";
  for (const party of [issuer, body]) {
    if (!within(at, party.valid_from, party.valid_until)) return "NOT_ACCREDITED_AT_ANCHOR";
    if (party.status !== 1 && party.status_changed_at < at) return "NOT_ACCREDITED_AT_ANCHOR";
  }
  for (const party of [issuer, body]) if (party.status !== 1) code = "ACCREDITATION_CHANGED_AFTER_ANCHOR";
  return code;
}
function keyCheck(anchor, facts) {
  const key = lookup(facts.keys, String(anchor.key_id));
  if (!key) return "KEY_UNKNOWN";
  if (key.issuer_id !== anchor.issuer_id || key.key.toLowerCase() !== anchor.key.toLowerCase()) return "KEY_MISMATCH";
  if (key.compromised_at && key.compromised_at <= anchor.anchored_at) return "KEY_COMPROMISED";
  if (anchor.anchored_at < key.valid_from) return "KEY_NOT_VALID_AT_ANCHOR";
  return "OK";
}
function statusCheck(anchor, state) {
  return { 3: "REVOKED", 2: "SUPERSEDED", 1: "SUSPENDED" }[state.status] ?? (state.since > anchor.anchored_at ? "REINSTATED" : "OK");
}
function expiryCheck(anchor, r, at) {
  if (anchor.expires_at && at >= anchor.expires_at) return "EXPIRED";
  if (r.validUntil !== null && at >= r.validUntil) return "EXPIRED";
  if (r.validFrom > at) return "NOT_YET_VALID";
  return "OK";
}
function schemaCheck(r) {
  const needsHidden = (p) => r.hidden.some((h) => p === h || h.startsWith(p + "/") || p.startsWith(h + "/"));
  const broken = schemaErrors(r.name, r.version, r.doc.credentialSubject).filter((p) => !needsHidden(p));
  if (broken.length) return ["INVALID", "SCHEMA_INVALID"];
  return ["VALID", r.hidden.length ? "OK_SHOWN_FIELDS" : "OK"];
}

// --- §11 the verdict ---------------------------------------------------------------------------------------------------
const OK_CODES = new Set(["OK", "FIELDS_HIDDEN", "FORMER_IDENTITY", "ACCREDITATION_CHANGED_AFTER_ANCHOR", "REINSTATED", "OK_SHOWN_FIELDS"]);
function verify(vector) {
  const { chainId, registry, block, facts } = vector.chain;
  const at = Math.max(block.timestamp, vector.checkedAt);
  const checks = [];
  const put = (name, status, code) => checks.push({ name, status, code });
  const rest = () => {
    for (const n of CHECKS.slice(checks.length)) put(n, "SKIPPED", "NOT_CHECKED");
  };
  const result = () => {
    const valid = checks.every((c) => (c.name === "schema" ? c.status !== "INVALID" : c.status === "VALID"));
    return { valid, checks };
  };
  const text = typeof vector.bundleText === "string" ? vector.bundleText : JSON.stringify(vector.bundle);
  let r;
  try {
    r = read(text);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    put("format", "INVALID", e.code);
    rest();
    return result();
  }
  put("format", "VALID", "OK");
  try {
    put("disclosure", "VALID", disclosure(r));
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    put("disclosure", "INVALID", e.code);
    rest();
    return result();
  }
  const integ = integrity(r);
  put("integrity", integ.code === "OK" ? "VALID" : "INVALID", integ.code);
  if (integ.format) {
    rest();
    return result();
  }
  const a = r.doc.proof.anchor;
  if (!a) put("chain", "SKIPPED", "NOT_CHECKED");
  else if (a.chainId !== chainId) put("chain", "INVALID", "WRONG_CHAIN");
  else if (a.registry.toLowerCase() !== registry.toLowerCase()) put("chain", "INVALID", "WRONG_REGISTRY");
  else put("chain", "VALID", "OK");
  const skipTo = (last) => {
    while (checks.length <= CHECKS.indexOf(last)) put(CHECKS[checks.length], "SKIPPED", "NOT_CHECKED");
  };
  if (integ.code !== "OK" || checks[3].status !== "VALID") {
    skipTo("expiry");
    if (integ.code === "OK") put("schema", ...schemaCheck(r));
    else put("schema", "SKIPPED", "NOT_CHECKED");
    return result();
  }
  const anchor = lookup(facts.anchors, integ.root);
  if (!anchor) {
    put("anchor", "INVALID", a.blockNumber > block.number ? "ANCHOR_NOT_YET_SEEN" : "ROOT_NOT_ANCHORED");
    skipTo("expiry");
  } else {
    put("anchor", "VALID", "OK");
    const issuer = issuerCheck(r, anchor, facts);
    put("issuer", OK_CODES.has(issuer) ? "VALID" : "INVALID", issuer);
    const key = keyCheck(anchor, facts);
    put("key", key === "OK" ? "VALID" : "INVALID", key);
    const state = lookup(lookup(facts.leafStates, integ.root) ?? {}, integ.hash);
    if (!state) throw new Error("the facts give no leaf state for this credential");
    const status = statusCheck(anchor, state);
    put("status", OK_CODES.has(status) ? "VALID" : "INVALID", status);
    const expiry = expiryCheck(anchor, r, at);
    put("expiry", expiry === "OK" ? "VALID" : "INVALID", expiry);
  }
  const [status, code] = schemaCheck(r);
  put("schema", status, code);
  return result();
}

// --- running the vectors -----------------------------------------------------------------------------------------------
const dir = process.argv[2] ?? join(ROOT, "tests", "vectors");
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
let agree = 0;
for (const f of files) {
  const vector = readJson(join(dir, f));
  let got;
  try {
    got = verify(vector);
  } catch (e) {
    got = { error: String(e?.stack ?? e) };
  }
  const same = canonicalize(got) === canonicalize(vector.expected);
  if (same) agree++;
  console.log(`${same ? "agree   " : "DISAGREE"} ${f}`);
  if (!same) console.log(`  expected ${JSON.stringify(vector.expected)}\n  got      ${JSON.stringify(got)}`);
}
console.log(`${agree} of ${files.length} vectors agree`);
process.exit(agree === files.length ? 0 : 1);
