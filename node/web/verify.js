// The verify page: a bundle file (dropped, chosen or pasted) goes, byte for byte, to POST /v1/verify; the verdict is
// shown for a person: one line first, then the claims, what the holder withheld, notices, every check, the evidence,
// and how fresh the answer is.

import { DEVNET_CHAIN_ID, devnetBanner, el, fieldLabel, loadPolicies, policyFor, valueText, wireFileInputs } from "./common.js";
import { decryptText, shareInFragment } from "./share.js";

async function fromPdf(file) {
  const { credentialFromPdf, isPdf } = await import("./pdf.js"); // pdf.js loads only when a PDF is dropped
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!isPdf(bytes)) return { error: `${file.name} is not a PDF: choose the credential's .json file or its certificate PDF.` };
  try {
    const text = await credentialFromPdf(bytes);
    return text === null
      ? { error: `${file.name} carries no credential file: only a credreg certificate PDF has one attached. Ask for the credential's .json file.` }
      : { text };
  } catch (err) {
    return { error: `${file.name} could not be read as a PDF (${err.message}). Choose the certificate PDF again, or the .json file.` };
  }
}

const CHECK_NAMES = {
  format: "File format",
  disclosure: "Withheld fields",
  integrity: "Nothing altered",
  chain: "Registry",
  anchor: "Anchored on the chain",
  issuer: "Issuer and accreditation",
  key: "Issuer's signing key",
  status: "Not revoked, suspended or superseded",
  expiry: "Validity dates",
  schema: "Credential rules",
};
const FILE_CHECKS = new Set(["format", "disclosure", "integrity"]); // the file itself is wrong, not the credential
const STATUS_WORDS = { VALID: "Passed", INVALID: "Failed", SKIPPED: "Not checked" };

const status = document.getElementById("status");
const verdictBox = document.getElementById("verdict");
const banner = document.getElementById("devnet-banner");

function utc(seconds) {
  if (seconds === null || seconds === undefined) return "unknown";
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function ago(seconds) {
  const delta = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  if (delta === 1) return "1 second ago";
  if (delta < 90) return `${delta} seconds ago`;
  if (delta < 5400) return `${Math.round(delta / 60)} minutes ago`;
  return `${Math.round(delta / 3600)} hours ago`;
}

function showProblem(title, detail) {
  verdictBox.replaceChildren(
    el("article", { class: "verdict invalid", "aria-labelledby": "summary" },
      el("p", { class: "badge" }, "Could not verify"),
      el("p", { id: "summary", class: "summary", tabindex: "-1" }, title),
      detail ? el("div", { class: "todo" }, el("h3", {}, "What to do"), el("p", {}, detail)) : null,
    ),
  );
  status.textContent = `Could not verify: ${title}`;
  document.getElementById("summary").focus();
}

let shareNote = null; // set while the verdict shown came from a share link

async function openShare(share) {
  status.textContent = "Opening the shared credential…";
  verdictBox.replaceChildren(el("p", { class: "checking" }, "Opening the shared credential…"));
  let response;
  try {
    response = await fetch(`/v1/shares/${share.id}`, { headers: { Accept: "application/json" } });
  } catch (err) {
    showProblem("This node did not answer.", `Check your connection and open the link again (${err.message}).`);
    return;
  }
  const body = await response.json().catch(() => null);
  if (response.status === 410) {
    const detail = body?.detail ?? "";
    const title = /revoked/.test(detail)
      ? "This share link was revoked by the learner."
      : /expired/.test(detail)
        ? "This share link has expired."
        : "This share link has been opened as many times as the learner allowed.";
    showProblem(title, "Ask the learner for a new link, or for the credential file itself. This node no longer holds the credential.");
    return;
  }
  if (response.status === 404) {
    showProblem("This share link is not known to this node.", "Check that the whole link was copied, or ask the learner for a new one.");
    return;
  }
  if (!response.ok || typeof body?.ciphertext !== "string") {
    showProblem(`The node answered ${response.status}.`, body?.detail ?? "Open the link again in a minute.");
    return;
  }
  let text;
  try {
    text = await decryptText(body.ciphertext, share.key);
  } catch {
    showProblem(
      "The link's key does not open this credential.",
      "The link was cut short or altered: ask the learner to send it again, whole.",
    );
    return;
  }
  const opens = `opened ${body.opens} ${body.opens === 1 ? "time" : "times"}${body.maxOpens ? ` of ${body.maxOpens} allowed` : ""}`;
  shareNote = `Shared with you through a link: it works until ${utc(Date.parse(body.expiresAt) / 1000)} and has been ${opens}.`;
  await verifyText(text, "the shared credential");
}

async function verifyText(text, name) {
  if (!text.trim()) {
    showProblem("There is nothing to verify.", "Choose, drop or paste the credential's .json file.");
    return;
  }
  status.textContent = `Checking ${name}…`;
  verdictBox.replaceChildren(el("p", { class: "checking" }, `Checking ${name}…`));
  let response;
  try {
    // The exact text: the verifier reads it strictly (duplicate member names, number forms), so never re-serialise.
    response = await fetch("/v1/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: text });
  } catch (err) {
    showProblem("This node did not answer.", `Check your connection to the registry node and try again (${err.message}).`);
    return;
  }
  const body = await response.json().catch(() => null);
  if (response.ok && body && typeof body.valid === "boolean") {
    const policies = await loadPolicies();
    render(body, policies);
    return;
  }
  if (response.status === 422) {
    showProblem(
      "This is not a credential file: its text is not JSON.",
      "Use the credential's .json file exactly as the issuer or the learner gave it (the whole file, unchanged).",
    );
  } else if (response.status === 413) {
    showProblem("The file is too large to be a credential.", "Use the credential's .json file.");
  } else if (response.status === 503) {
    showProblem("The registry's chain cannot be read right now.", body?.detail ?? "Try again in a minute.");
  } else {
    showProblem(`The node answered ${response.status}.`, body?.detail ?? "Try again, or ask the node's operator.");
  }
}

function render(verdict, policies) {
  const policy = policyFor(policies, verdict.credentialType ? schemaIdOf(verdict, policies) : null);
  const failure = verdict.checks.find((c) => c.status === "INVALID");
  const onDevnet = verdict.chainId === DEVNET_CHAIN_ID;
  if (onDevnet) banner.hidden = false;

  const parts = [
    el("p", { class: "badge" }, verdict.valid ? "✓ Valid" : "✗ Not valid"),
    el("p", { id: "summary", class: "summary", tabindex: "-1" }, verdict.summary),
  ];
  if (shareNote) parts.push(el("p", { class: "share-note", id: "share-note" }, shareNote));
  if (onDevnet) {
    parts.push(el("p", { class: "devnet-note" }, "Test network: this verdict is from a local development chain."));
  }
  if (failure) {
    parts.push(
      el("div", { class: "todo" },
        el("h3", {}, "What to do"),
        el("p", {}, failure.message),
        FILE_CHECKS.has(failure.name)
          ? el("p", { class: "help" }, "If a learner gave you this file, ask them for the file their institution issued, unchanged (or a copy made with the learner's page).")
          : null,
      ),
    );
  }

  if (verdict.claims.length > 0) {
    parts.push(
      el("h3", {}, "What the credential says"),
      el("dl", { class: "claims" },
        verdict.claims.map((c) => [el("dt", {}, c.label), el("dd", {}, valueText(c.value))]),
      ),
    );
  }

  const hidden = verdict.hiddenFields ?? [];
  const labels = hidden.map((p) => fieldLabel(p, policy));
  parts.push(
    el("h3", {}, "Withheld by the holder"),
    hidden.length === 0
      ? el("p", { id: "withheld" }, "Nothing withheld: every field is shown.")
      : el("div", { id: "withheld" },
          el("p", {},
            `${hidden.length} ${hidden.length === 1 ? "field" : "fields"} withheld: `,
            hidden.map((p, i) => [i > 0 ? ", " : null, el("span", { class: "withheld-field", "data-path": p }, labels[i])]),
            ".",
          ),
          el("p", { class: "help" }, "The holder chose not to show these; their hashes still count, so the rest is checked in full."),
        ),
  );

  if (verdict.notices.length > 0) {
    parts.push(el("h3", {}, "Good to know"), el("ul", { class: "notices" }, verdict.notices.map((n) => el("li", {}, n))));
  }

  parts.push(
    el("h3", {}, "Every check"),
    el("ol", { class: "checks" },
      verdict.checks.map((c) =>
        el("li", { class: `check ${c.status.toLowerCase()}`, "data-check": c.name },
          el("p", { class: "check-head" },
            el("span", { class: "check-status" }, STATUS_WORDS[c.status] ?? c.status),
            " ",
            el("strong", {}, CHECK_NAMES[c.name] ?? c.name),
          ),
          el("p", { class: "check-message" }, c.message),
        ),
      ),
    ),
  );

  const evidence = [];
  if (verdict.anchor) {
    const a = verdict.anchor;
    evidence.push(
      el("dt", {}, "Anchored"),
      el("dd", {}, `${utc(a.anchoredAt)}${a.blockNumber !== null ? `, in block ${a.blockNumber}` : ""}, with ${a.leafCount} ${a.leafCount === 1 ? "credential" : "credentials"} in its batch`),
    );
    if (a.transactionHash) evidence.push(el("dt", {}, "Transaction"), el("dd", { class: "hash" }, a.transactionHash));
  }
  if (verdict.issuer) {
    const i = verdict.issuer;
    evidence.push(
      el("dt", {}, "Issuer"),
      el("dd", {}, `${i.registeredName ? `${i.registeredName}, ` : ""}${i.identity} (issuer #${i.issuerId}, ${i.status})`),
      el("dt", {}, "Accredited by"),
      el("dd", {}, `${i.bodyIdentity ?? `body #${i.bodyId}`}${i.bodyStatus ? ` (${i.bodyStatus})` : ""}, up to NQF level ${i.maxLevel}`),
    );
  }
  if (verdict.credentialHash) evidence.push(el("dt", {}, "Credential hash"), el("dd", { class: "hash" }, verdict.credentialHash));
  evidence.push(el("dt", {}, "Registry"), el("dd", { class: "hash" }, `${verdict.registry} on chain ${verdict.chainId}`));
  parts.push(el("h3", {}, "Evidence"), el("dl", { class: "evidence" }, evidence));

  const block = verdict.asOfBlock;
  parts.push(
    el("p", { class: "freshness", id: "freshness" },
      block
        ? `Answer as of block ${block.number} (${utc(block.timestamp)}, ${ago(block.timestamp)}); checked at ${utc(verdict.checkedAt)}.`
        : `Checked at ${utc(verdict.checkedAt)}.`,
    ),
    el("p", { class: "actions no-print" }, el("button", { type: "button", id: "print" }, "Print this verdict")),
  );

  verdictBox.replaceChildren(
    el("article", { class: `verdict ${verdict.valid ? "valid" : "invalid"}`, "aria-labelledby": "summary" }, parts),
  );
  document.getElementById("print").addEventListener("click", () => window.print());
  status.textContent = verdict.valid ? "Verdict: valid." : "Verdict: not valid.";
  document.getElementById("summary").focus();
}

function schemaIdOf(verdict, policies) {
  // "formal-qualification v1" -> that policy's schema id
  const [name, version] = (verdict.credentialType ?? "").split(" v");
  return policies.find((p) => p.type === name && String(p.version) === version)?.schemaId ?? null;
}

wireFileInputs({
  zone: document.getElementById("drop-zone"),
  input: document.getElementById("file"),
  onText: async (text, name, file) => {
    shareNote = null;
    if (/\.pdf$/i.test(name) || text.startsWith("%PDF-")) {
      const found = await fromPdf(file);
      if (found.error) showProblem(found.error, null);
      else verifyText(found.text, `the credential attached to ${name}`);
      return;
    }
    verifyText(text, name);
  },
  onError: (message) => showProblem(message, null),
});

document.getElementById("paste-form").addEventListener("submit", (event) => {
  event.preventDefault();
  shareNote = null;
  verifyText(document.getElementById("paste").value, "the pasted text");
});

devnetBanner(banner);

const fromLink = shareInFragment(location.hash);
if (fromLink) openShare(fromLink);
else if (location.hash.startsWith("#share=")) {
  showProblem("This share link is incomplete.", "Check that the whole link was copied, or ask the learner for a new one.");
}
