// A certificate PDF dropped on the verify page: the credential file is attached inside it (credential.json, a standard
// PDF embedded file); pdf.js (pinned npm pdfjs-dist, served by this node) reads it out here, in the browser.

import * as pdfjs from "/web/vendor/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/web/vendor/pdfjs/pdf.worker.min.mjs";

/** Whether these bytes are a PDF (its header), whatever the file is called. */
export function isPdf(bytes) {
  return bytes.length >= 5 && String.fromCharCode(...bytes.slice(0, 5)) === "%PDF-";
}

/** The text of the credential attached to a certificate PDF, or null when it carries none. */
export async function credentialFromPdf(bytes) {
  const task = pdfjs.getDocument({ data: bytes, isEvalSupported: false, disableFontFace: true, stopAtErrors: true });
  const doc = await task.promise;
  try {
    const attachments = (await doc.getAttachments()) ?? {};
    const entry = attachments["credential.json"] ?? Object.values(attachments).find((a) => /\.json$/i.test(a.filename ?? ""));
    if (!entry) return null;
    return new TextDecoder("utf-8", { fatal: true }).decode(entry.content);
  } finally {
    await doc.destroy();
  }
}
