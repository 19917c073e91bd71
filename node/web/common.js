// Shared by the verify page and the learner's page: reading a file, JSON pointers, field labels, the devnet banner.
// Plain ES module, no dependencies; nothing here talks to anything but this node.

/** The local devnet's chain id (node/config.py DEVNET_CHAIN_ID): a verdict on it is for testing only. */
export const DEVNET_CHAIN_ID = 472019;

/** The tokens of a JSON pointer (RFC 6901): "/a/b~1c" -> ["a", "b/c"]. */
export function splitPointer(pointer) {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
}

const KNOWN_LABELS = {
  "/credentialSubject/learner/name": "learner's name",
  "/credentialSubject/learner/identity/type": "identity document type",
  "/credentialSubject/learner/identity/number": "identity number",
  "/credentialSubject/learner/identity/country": "identity document country",
  "/credentialSubject/learner/dateOfBirth": "date of birth",
};

function words(token) {
  if (/^nqf/i.test(token)) return "NQF " + words(token.slice(3)).trim();
  return token
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase();
}

/** A readable name for a field's JSON pointer: "/credentialSubject/learner/identity/number" -> "identity number". */
export function fieldLabel(pointer, policy) {
  if (KNOWN_LABELS[pointer]) return KNOWN_LABELS[pointer];
  const claim = policy?.claims?.find((c) => c.path === pointer);
  if (claim) return claim.label.startsWith("NQF") ? claim.label : claim.label.toLowerCase();
  let tokens = splitPointer(pointer);
  if (tokens[0] === "credentialSubject") tokens = tokens.slice(1);
  if (tokens[0] === "learner" && tokens.length > 1) tokens = tokens.slice(1);
  return tokens.map(words).join(" ").trim() || pointer;
}

/** A claim's value as text: lists joined, everything else as written. */
export function valueText(value) {
  if (Array.isArray(value)) return value.map(valueText).join(", ");
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The disclosure policies the node serves (GET /v1/disclosure-policies), fetched once. */
let policiesPromise = null;
export function loadPolicies() {
  policiesPromise ??= fetch("/v1/disclosure-policies", { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : { policies: [] }))
    .then((body) => body.policies)
    .catch(() => []);
  return policiesPromise;
}

/** The policy for a document, by its /credentialSchema/id (null when this node knows no such type). */
export function policyFor(policies, documentOrSchemaId) {
  const id =
    typeof documentOrSchemaId === "string" ? documentOrSchemaId : documentOrSchemaId?.credentialSchema?.id;
  return policies.find((p) => p.schemaId === id) ?? null;
}

/** Show the devnet banner when the node says it runs on the devnet (or when a verdict names the devnet chain). */
export async function devnetBanner(banner, chainId) {
  let id = chainId;
  if (id === undefined) {
    try {
      const health = await fetch("/healthz").then((r) => r.json());
      id = health.chain_id ?? health.chainId;
    } catch {
      return;
    }
  }
  if (id === DEVNET_CHAIN_ID) banner.hidden = false;
}

/** Wire a drop zone and a file input to one handler: onText(text, fileName, file). */
export function wireFileInputs({ zone, input, onText, onError }) {
  const read = async (file) => {
    if (!file) return;
    try {
      onText(await file.text(), file.name, file);
    } catch (err) {
      onError(`The file could not be read (${err.message}). Choose the .json file again.`);
    }
  };
  input.addEventListener("change", async () => {
    await read(input.files[0]);
    input.value = ""; // choosing the same file again reads it again
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    const files = event.dataTransfer?.files;
    if (!files || files.length === 0) {
      onError("Nothing was dropped: drop the credential's .json file.");
      return;
    }
    if (files.length > 1) {
      onError(`${files.length} files were dropped: drop one credential file at a time.`);
      return;
    }
    read(files[0]);
  });
}

/** Element helper: el("p", {class: "x"}, "text", child). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
