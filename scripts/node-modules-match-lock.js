// Usage: node scripts/node-modules-match-lock.js [ROOT]
// Exits 0 when node_modules holds exactly what package-lock.json locks, 1 otherwise (or when nothing is installed).
// npm keeps a copy of what it installed in node_modules/.package-lock.json; comparing the two lists of packages
// (path, version, integrity) tells whether `npm ci` would change anything without deleting node_modules to find out.
'use strict';
const fs = require('fs');
const path = require('path');

// The repository root, or the folder given as the first argument (the tests use a scratch copy).
const root = path.resolve(process.argv[2] || path.join(__dirname, '..'));
const read = (file) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
  } catch {
    return null;
  }
};

const locked = read('package-lock.json');
const installed = read(path.join('node_modules', '.package-lock.json'));
if (!locked || !installed || !locked.packages || !installed.packages) {
  process.exit(1);
}

// The root entry ("") describes the project itself; node_modules/.package-lock.json never holds it. An optional package
// that is not installed is one npm skips on this OS or CPU (it would skip it again).
const entries = (packages) =>
  Object.keys(packages)
    .filter((key) => key !== '' && !(locked.packages[key] && locked.packages[key].optional && !(key in installed.packages)))
    .sort()
    .map((key) => `${key}@${packages[key].version}#${packages[key].integrity || ''}`);
const expected = entries(locked.packages);
const actual = entries(installed.packages);
const same = expected.length === actual.length && expected.every((entry, i) => entry === actual[i]);
const binary = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'azurite.cmd' : 'azurite');
process.exit(same && fs.existsSync(binary) ? 0 : 1);
