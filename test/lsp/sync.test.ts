// Incremental document sync as an editor does it, on CRLF text with surrogate pairs: after
// every range change the server's diagnostics are those of the text a full sync would give
// (the same text linted in-process), with the same UTF-16 ranges.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { makePositionAt } from '../../server/src/analysis/parse.js';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';
import { ensureServerBuilt, rangeOf, type TextEdit } from './client.js';
import { Doc, start } from './helpers.js';

before(async () => {
  ensureServerBuilt();
  await initParser();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const TEXT = [
  '-- Crème brûlée 日本語 😀👍🏽',
  'CREATE TABLE "😀a" (id int);',
  'CREATE TABLE 表b (note text DEFAULT \'é😀\');',
  '/* 🎉 */ CREATE TABLE c😀 (id int);',
  'CREATE TABLE d (id int);',
  '',
].join('\r\n');

/** The diagnostics the server should publish for `text`: its findings linted in-process. */
function expected(uri: string, text: string): string[] {
  const ws = new Workspace();
  ws.setFile(uri, text);
  return (ws.lint().byFile.get(uri) ?? []).map((f) => key(f.rule, f.range, f.rule === 'syntax-error' ? f.message : '')).sort();
}

const key = (code: string, r: Json, message: string) => `${code} ${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character} ${message}`;
const keys = (diags: Json[]) => diags.map((d) => key(d.code, d.range, d.code === 'syntax-error' ? d.message : '')).sort();

/** An edit of `text` given by UTF-16 offsets, as LSP positions. */
function at(text: string, startOffset: number, endOffset: number, newText: string): TextEdit {
  const { positionAt } = makePositionAt(text);
  return { range: { start: positionAt(startOffset), end: positionAt(endOffset) }, newText };
}

test('ok: range changes that insert and delete surrogate pairs and CRLF give the text of a full sync', async (t) => {
  const { client, uri } = await start(t);
  const doc = new Doc(client, uri('a.sql'), TEXT);
  const check = async (what: string) => {
    assert.deepEqual(keys(await doc.diagnostics()), expected(doc.uri, doc.text), what);
  };
  await check('opened');
  const steps: Array<[string, (text: string) => TextEdit[]]> = [
    ['insert an emoji before a name', (s) => [at(s, s.indexOf('d (id'), s.indexOf('d (id'), '🦄')]],
    ['delete a surrogate pair', (s) => [at(s, s.indexOf('😀a'), s.indexOf('😀a') + 2, '')]],
    ['split a line with CRLF inside a statement', (s) => [at(s, s.indexOf(' (note'), s.indexOf(' (note'), '\r\n ')]],
    ['join two lines (delete a CRLF)', (s) => [at(s, s.indexOf('\r\n/*'), s.indexOf('\r\n/*') + 2, ' ')]],
    ['replace across lines with CRLF and emoji', (s) => [at(s, s.indexOf('日本語'), s.indexOf('(id int);'), '𝒳\r\n-- 🎉\r\nCREATE TABLE "é😀" ')]],
    [
      'two changes in one notification',
      (s) => [at(s, 0, 0, '-- 👍🏽\r\n'), at(s, s.length, s.length, 'CREATE TABLE e😀 (id int);\r\n')],
    ],
    ['type a broken statement after an emoji', (s) => [at(s, s.length, s.length, 'GRANT SELECT ON 表😀')]],
  ];
  for (const [what, edits] of steps) {
    doc.edit(edits(doc.text));
    await check(what);
  }
  // the ranges are exact UTF-16 ranges of the edited text
  const diags = await doc.diagnostics();
  const syntax = diags.find((d: Json) => d.code === 'syntax-error');
  assert.deepEqual(syntax.range, rangeOf(doc.text, '表😀'));
  const e = diags.find((d: Json) => d.code === 'rls-not-enabled' && d.message.includes('e😀'));
  assert.deepEqual(e.range, rangeOf(doc.text, 'e😀'));
  assert.match(doc.text, /^-- 👍🏽\r\n-- Crème brûlée 𝒳\r\n-- 🎉\r\nCREATE TABLE "é😀" \(id int\);/);
});
