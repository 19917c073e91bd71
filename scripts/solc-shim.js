#!/usr/bin/env node
// A solc-compatible command line over the npm `solc` package (solcjs), for py-solc-x.
// It answers exactly what py-solc-x asks of a solc binary:
//   --version                      -> "solc, the solidity compiler commandline interface\nVersion: 0.8.x+commit..."
//   --standard-json [--allow-paths P] [--base-path P] [--include-path P]  (input JSON on stdin, output JSON on stdout)
// Imports are resolved from the base path, the include paths and node_modules (OpenZeppelin).
// Output goes through fs.writeSync so a large result is never cut at a pipe's buffer size.
'use strict';
const fs = require('fs');
const path = require('path');

const argv = process.argv.slice(2);
const root = path.resolve(__dirname, '..');

function loadSolc() {
  try {
    return require(path.join(root, 'node_modules', 'solc'));
  } catch (err) {
    process.stderr.write('solc is not installed: run `npm ci` (or `make setup`) in the project root\n');
    process.exit(2);
  }
}

function writeAll(text) {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (err) {
      if (err.code === 'EAGAIN') continue;
      throw err;
    }
  }
}

function optionValues(name) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name && i + 1 < argv.length) out.push(...argv[i + 1].split(','));
    else if (argv[i].startsWith(name + '=')) out.push(...argv[i].slice(name.length + 1).split(','));
  }
  return out;
}

if (argv.includes('--version')) {
  const solc = loadSolc();
  writeAll('solc, the solidity compiler commandline interface\nVersion: ' + solc.version() + '\n');
  process.exit(0);
}

if (!argv.includes('--standard-json')) {
  process.stderr.write('usage: solc-shim.js --version | --standard-json [--base-path P] [--include-path P] < input.json\n');
  process.exit(2);
}

const solc = loadSolc();
const searchDirs = [
  ...optionValues('--base-path'),
  ...optionValues('--include-path'),
  ...optionValues('--allow-paths'),
  process.cwd(),
  path.join(root, 'node_modules'),
  root,
].map((p) => path.resolve(p));

function findImports(importPath) {
  for (const dir of searchDirs) {
    const candidate = path.resolve(dir, importPath);
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: 'File not found: ' + importPath + ' (searched ' + searchDirs.join(', ') + ')' };
}

const input = fs.readFileSync(0, 'utf8');
writeAll(solc.compile(input, { import: findImports }));
process.exit(0);
