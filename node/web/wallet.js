// The learner's page: the bundle is read and disclosed here, in the browser (nothing is uploaded). Only the fields
// the type's disclosure policy lets a holder hide are offered; withholding one removes its value and its salt and
// keeps its field hash, and objects left empty are removed: the rules of node/credentials/document.py `disclose`.

import { devnetBanner, el, fieldLabel, loadPolicies, policyFor, splitPointer, valueText, wireFileInputs } from "./common.js";
import { createShare, holderCall, saveShare, savedShares } from "./share.js";
import qrcode from "/web/vendor/qrcode-generator/qrcode.mjs";

const status = document.getElementById("status");
const section = document.getElementById("credential");
const hideable = document.getElementById("hideable");
let loaded = null; // { bundle, name, policy }

function escapeToken(token) {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The hashed fields under `value` in document order: [pointer, value] (arrays are one field). */
function leaves(value, pointer, out = []) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, `${pointer}/${escapeToken(key)}`, out);
  } else {
    out.push([pointer, value]);
  }
  return out;
}

function mayHide(policy, pointer) {
  return policy.hideable.some((h) => pointer === h || pointer.startsWith(`${h}/`));
}

/** A copy of `bundle` with the fields at `paths` withheld (value and salt removed, hash kept, empty objects gone). */
export function disclose(bundle, paths) {
  const copy = structuredClone(bundle);
  for (const path of paths) {
    const tokens = splitPointer(path);
    const parents = [copy];
    let node = copy;
    for (const token of tokens.slice(0, -1)) {
      node = node[token];
      parents.push(node);
    }
    delete parents[parents.length - 1][tokens[tokens.length - 1]];
    for (let depth = parents.length - 1; depth > 0; depth--) {
      if (Object.keys(parents[depth]).length > 0) break;
      delete parents[depth - 1][tokens[depth - 1]];
    }
    delete copy.proof.salts[path];
  }
  return copy;
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

function fail(message) {
  section.hidden = true;
  loaded = null;
  status.replaceChildren(el("p", { class: "error" }, message));
}

async function load(text, name) {
  let bundle;
  try {
    bundle = JSON.parse(text);
  } catch {
    fail(`${name} is not a credential file (its text is not JSON). Choose the .json file your institution gave you.`);
    return;
  }
  const proof = bundle?.proof;
  if (!proof || typeof proof.salts !== "object" || typeof proof.fieldHashes !== "object" || !bundle.credentialSubject) {
    fail(`${name} is not a credreg credential (it has no proof with field hashes). Choose the file your institution gave you.`);
    return;
  }
  const policies = await loadPolicies();
  const policy = policyFor(policies, bundle);
  if (!policy) {
    fail(`This node does not know the credential type of ${name} (${bundle.credentialSchema?.id ?? "none named"}).`);
    return;
  }
  loaded = { bundle, name, policy };
  const shown = leaves(bundle.credentialSubject, "/credentialSubject").filter(([p]) => p in proof.salts);
  const offered = shown.filter(([p]) => mayHide(policy, p));
  const kept = shown.filter(([p]) => !mayHide(policy, p));
  const hidden = Object.keys(proof.fieldHashes).filter((p) => !(p in proof.salts));

  const title = shown.find(([p]) => p === policy.claims.find((c) => c.label !== "Learner")?.path)?.[1];
  document.getElementById("credential-summary").textContent =
    `${policy.title}${title ? `: ${valueText(title)}` : ""}, issued by ${bundle.issuer?.name ?? bundle.issuer?.id ?? "unknown issuer"}.`;

  hideable.replaceChildren(
    ...(offered.length === 0
      ? [el("p", {}, "This credential has no field you may withhold.")]
      : offered.map(([path, value], i) =>
          el("div", { class: "choice" },
            el("input", { type: "checkbox", id: `hide-${i}`, name: "hide", value: path, "data-path": path }),
            el("label", { for: `hide-${i}` },
              el("span", { class: "field-name" }, capital(fieldLabel(path, policy))),
              el("span", { class: "field-value" }, valueText(value)),
            ),
          ),
        )),
  );
  document.getElementById("always-shown").replaceChildren(
    ...(kept.length === 0
      ? []
      : [
          el("h3", {}, "Always shown"),
          el("p", { class: "help" }, "What the credential claims, which a verifier needs to see."),
          el("ul", { class: "kept" }, kept.map(([p, v]) => el("li", {}, `${capital(fieldLabel(p, policy))}: ${valueText(v)}`))),
        ]),
  );
  document.getElementById("already-hidden").replaceChildren(
    ...(hidden.length === 0
      ? []
      : [
          el("h3", {}, "Already withheld in this file"),
          el("ul", {}, hidden.map((p) => el("li", {}, capital(fieldLabel(p, policy))))),
        ]),
  );
  section.hidden = false;
  updateChoice();
  status.replaceChildren(el("p", {}, `Opened ${name} (on this device only).`));
  document.getElementById("choose-heading").focus();
}

function chosen() {
  return [...hideable.querySelectorAll("input[name=hide]:checked")].map((box) => box.value);
}

function updateChoice() {
  const paths = chosen();
  const summary = document.getElementById("choice-summary");
  summary.textContent =
    paths.length === 0
      ? "Nothing withheld yet: the copy will show every field."
      : `${paths.length} ${paths.length === 1 ? "field" : "fields"} withheld: ${paths.map((p) => fieldLabel(p, loaded.policy)).join(", ")}.`;
}

function save(event) {
  event.preventDefault();
  if (!loaded) return;
  const paths = chosen();
  const copy = disclose(loaded.bundle, paths);
  const blob = new Blob([`${JSON.stringify(copy, null, 2)}\n`], { type: "application/json" });
  const fileName = `${loaded.name.replace(/\.json$/i, "")}-shared.json`;
  const link = el("a", { href: URL.createObjectURL(blob), download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  status.replaceChildren(
    el("p", {}, `Saved ${fileName}: ${paths.length === 0 ? "nothing withheld" : `${paths.length} withheld (${paths.map((p) => fieldLabel(p, loaded.policy)).join(", ")})`}.`),
  );
}

function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A QR code of `text`: an <img> (SVG) and the two downloads, PNG and SVG. */
function qrFor(text, fileStem) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const svg = qr.createSvgTag({ cellSize: 6, margin: 4, scalable: true });
  const svgUrl = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  const img = el("img", { class: "qr", id: "share-qr", src: svgUrl, alt: "QR code of the share link" });
  const png = el("a", { href: "#", download: `${fileStem}-qr.png`, id: "qr-png" }, "Download the QR code (PNG)");
  png.addEventListener("click", (event) => {
    if (png.dataset.ready) return;
    event.preventDefault();
    const size = (qr.getModuleCount() + 8) * 10;
    const canvas = el("canvas", { width: size, height: size });
    const image = new Image();
    image.onload = () => {
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, size, size);
      ctx.drawImage(image, 0, 0, size, size);
      png.href = canvas.toDataURL("image/png");
      png.dataset.ready = "1";
      png.click();
    };
    image.src = svgUrl;
  });
  const svgLink = el("a", { href: svgUrl, download: `${fileStem}-qr.svg`, id: "qr-svg" }, "Download the QR code (SVG)");
  return [img, el("p", {}, png, " · ", svgLink)];
}

async function share(event) {
  event.preventDefault();
  if (!loaded) return;
  const result = document.getElementById("share-result");
  const paths = chosen();
  const copy = disclose(loaded.bundle, paths);
  const expiresInSeconds = Number(document.getElementById("share-expiry").value);
  const maxText = document.getElementById("share-max-opens").value.trim();
  const maxOpens = maxText === "" ? null : Number(maxText);
  if (maxOpens !== null && !(Number.isInteger(maxOpens) && maxOpens >= 1 && maxOpens <= 10000)) {
    result.replaceChildren(el("p", { class: "error" }, "“Opened at most” must be a whole number from 1 to 10,000, or empty."));
    return;
  }
  result.replaceChildren(el("p", {}, "Encrypting and creating the link…"));
  let made;
  try {
    made = await createShare(`${JSON.stringify(copy, null, 2)}\n`, { expiresInSeconds, maxOpens });
  } catch (err) {
    result.replaceChildren(el("p", { class: "error" }, `The link could not be created: ${err.message}`));
    return;
  }
  const withheld = paths.length === 0 ? "nothing withheld" : `${paths.length} withheld (${paths.map((p) => fieldLabel(p, loaded.policy)).join(", ")})`;
  const entry = {
    id: made.id,
    holderToken: made.holderToken,
    link: made.link,
    label: `${document.getElementById("credential-summary").textContent} ${withheld}`,
    expiresAt: made.expiresAt,
    maxOpens: made.maxOpens,
  };
  saveShare(entry);
  const input = el("input", { class: "link-text", id: "share-link", type: "text", readonly: true, value: made.link, "aria-label": "The share link" });
  const copyButton = el("button", { type: "button", id: "copy-link" }, "Copy the link");
  copyButton.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(made.link);
      copyButton.textContent = "Copied";
    } catch {
      copyButton.textContent = "Select and copy the link above";
    }
  });
  result.replaceChildren(
    el("div", { class: "share-made" },
      el("p", {}, el("strong", {}, "Your share link is ready"), `: ${withheld}. It works until ${when(made.expiresAt)}${made.maxOpens ? `, for ${made.maxOpens} ${made.maxOpens === 1 ? "open" : "opens"}` : ""}.`),
      input,
      el("p", {}, copyButton),
      qrFor(made.link, loaded.name.replace(/\.json$/i, "")),
      el("p", { class: "help" }, "Anyone with the link can open the copy until it expires: send it only to the party you mean. This browser remembers the link so you can revoke it below."),
    ),
  );
  showLinks();
}

async function refresh(entry, stateBox) {
  try {
    const status = await holderCall(entry, "GET");
    stateBox.textContent = describe(status);
  } catch (err) {
    stateBox.textContent = `Could not check: ${err.message}`;
  }
}

function describe(status) {
  const opens = `opened ${status.opens} ${status.opens === 1 ? "time" : "times"}${status.maxOpens ? ` of ${status.maxOpens}` : ""}`;
  const words = { active: `Active until ${when(status.expiresAt)}`, expired: "Expired", revoked: "Revoked", "used-up": "Used up" };
  return `${words[status.state] ?? status.state}; ${opens}.`;
}

function showLinks() {
  const list = savedShares();
  const box = document.getElementById("my-links");
  box.hidden = list.length === 0;
  document.getElementById("link-list").replaceChildren(
    ...list.map((entry, i) => {
      const stateBox = el("span", { class: "link-state", id: `link-state-${i}` }, "");
      const check = el("button", { type: "button", class: "check-link" }, "Check opens");
      const revoke = el("button", { type: "button", class: "revoke-link" }, "Revoke");
      check.addEventListener("click", () => refresh(entry, stateBox));
      revoke.addEventListener("click", async () => {
        try {
          stateBox.textContent = describe(await holderCall(entry, "DELETE"));
        } catch (err) {
          stateBox.textContent = `Could not revoke: ${err.message}`;
        }
      });
      return el("li", { "data-share": entry.id },
        el("p", {}, entry.label),
        el("p", { class: "help" }, `Works until ${when(entry.expiresAt)}. `, stateBox),
        el("p", {}, check, revoke),
      );
    }),
  );
}

hideable.addEventListener("change", updateChoice);
document.getElementById("share-form").addEventListener("submit", share);
showLinks();
document.getElementById("hide-form").addEventListener("submit", save);
wireFileInputs({
  zone: document.getElementById("drop-zone"),
  input: document.getElementById("file"),
  onText: (text, name) => load(text, name),
  onError: fail,
});
devnetBanner(document.getElementById("devnet-banner"));
