// syntax-error on PostgreSQL (PGlite): PostgreSQL rejects the Invalid example with 42601, and
// the finding starts at the character position PostgreSQL reports (also after non-ASCII text).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, pgError } from '../helpers/pg.js';
import { initParser, invalidFinding, lintFiles } from '../helpers/rule-proof.js';

const ID = 'syntax-error';
before(initParser);
after(closeAll);

/** PostgreSQL's `position` is a 1-based character (code point) index into the query string. */
const positionOf = (text: string, utf16: number) => Array.from(text.slice(0, utf16)).length + 1;

test('err: the Invalid example fails with 42601 at the token the finding covers', async () => {
  const { ex, ws, finding } = invalidFinding(ID, 0);
  const text = ws.text(ex.files[0]!.file)!;
  assert.equal(text.slice(finding.start, finding.end), 'SELCT');
  const db = await getDb();
  await inRollback(db, async (q) => {
    const err = await pgError(q(text));
    assert.equal(err?.code, '42601');
    assert.match(err!.message, /syntax error at or near "SELCT"/);
    assert.equal(err!.position, positionOf(text, finding.start));
  });
});

test('err: after accents, CJK and an emoji the offsets still agree with PostgreSQL', async () => {
  const text = `-- café 日本語 🎉\nCREATE TABLE "naïve_日本" (id int);\nCREATE POLICY "p🎉" ON "naïve_日本" FOR SELECT TO authenticated USING (id >);`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const err = await pgError(q(text));
    assert.equal(err?.code, '42601');
    assert.equal(err!.position, positionOf(text, mine[0]!.start));
    assert.equal(text.slice(mine[0]!.start, mine[0]!.end), ')');
  });
});

test("err: an unterminated quote: PostgreSQL quotes the rest of the file; the message keeps its first line, marked cut", async () => {
  const rest = Array.from({ length: 200 }, (_, i) => `CREATE TABLE t${i} (id int);`).join('\n');
  const text = `CREATE TABLE a (id int);\nSELECT 'oops;\n${rest}`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^unterminated quoted string at or near "'oops;…" \(SQLSTATE 42601\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const err = await pgError(q(text));
    assert.equal(err?.code, '42601');
    assert.ok(err!.message.startsWith(`unterminated quoted string at or near "'oops;\n`), 'PostgreSQL quotes the rest of the file');
    assert.ok(err!.message.length > rest.length);
  });
});
