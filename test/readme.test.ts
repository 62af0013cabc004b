import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { END, renderRuleTable, START } from '../scripts/rules-table.js';

test('ok: README rule table is generated from rule metadata and up to date (npm run docs:rules)', () => {
  const text = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  assert.ok(a >= 0 && b > a, 'README.md lacks the rule table markers');
  assert.equal(text.slice(a, b + END.length), renderRuleTable(), 'run `npm run docs:rules`');
});

test('ok: README quick start names the commands a new user runs', () => {
  const text = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  for (const cmd of ['npm ci', 'npm test', 'npm run demo']) assert.ok(text.includes(cmd), `README lacks ${cmd}`);
});
