// Reference oracle for tests/credentials/test_merkle.py: builds OpenZeppelin StandardMerkleTrees.
// stdin:  {"trees": [["0x<bytes32>", ...], ...]}
// stdout: {"trees": [{"root": "0x..", "proofs": [["0x..", ...], ...], "dump": {...}}, ...]}
'use strict';
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => (input += chunk));
process.stdin.on('end', () => {
  const { trees } = JSON.parse(input);
  const out = trees.map(hashes => {
    const tree = StandardMerkleTree.of(hashes.map(h => [h]), ['bytes32']);
    return {
      root: tree.root,
      proofs: hashes.map((_, i) => tree.getProof(i)),
      dump: tree.dump(),
    };
  });
  process.stdout.write(JSON.stringify({ trees: out }));
});
