// The learner's page: the bundle is read and disclosed here, in the browser (nothing is uploaded). Only the fields
// the type's disclosure policy lets a holder hide are offered; withholding one removes its value and its salt and
// keeps its field hash, and objects left empty are removed: the rules of node/credentials/document.py `disclose`.

import { devnetBanner, el, fieldLabel, loadPolicies, policyFor, splitPointer, valueText, wireFileInputs } from "./common.js";

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

hideable.addEventListener("change", updateChoice);
document.getElementById("hide-form").addEventListener("submit", save);
wireFileInputs({
  zone: document.getElementById("drop-zone"),
  input: document.getElementById("file"),
  onText: (text, name) => load(text, name),
  onError: fail,
});
devnetBanner(document.getElementById("devnet-banner"));
