// supabase-migration-version-duplicate: the Supabase CLI's bookkeeping, run on PGlite as the CLI
// runs it (its table, whose primary key is the version, and its INSERT after each file), fails
// with 23505 on the second file of a version; distinct versions record both.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles } from '../helpers/rule-proof.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'supabase-migration-version-duplicate';
before(initParser);
after(closeAll);

/** supabase_migrations.schema_migrations as the CLI creates it, then its record of each file, in file name order. */
async function record(q: Q, ws: Workspace): Promise<void> {
  await q(`CREATE SCHEMA supabase_migrations;
CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text)`);
  for (const file of ws.files().sort()) {
    const m = /([0-9]+)_(.*)\.sql$/.exec(file)!;
    await q('INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES($1, $2, $3)', [m[1], m[2], [ws.text(file)]]);
  }
}

test('err: two files of version 002: recording the second fails with 23505 schema_migrations_pkey', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(finding.file, 'supabase/migrations/002_files.sql');
  assert.match(finding.message, /^002_files\.sql has the version 002, as 002_auth_profiles\.sql has: .*23505 duplicate key value violates unique constraint "schema_migrations_pkey" \(Key \(version\)=\(002\) already exists\)/);
  await inRollback(await getDb(), async (q) => {
    await expectPgError(record(q, ws), '23505', 'schema_migrations_pkey');
  });
});

test('ok: distinct versions (Valid example) are both recorded; 002 and 0002 are two versions', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await record(q, ws);
    assert.equal((await q('SELECT count(*)::int AS n FROM supabase_migrations.schema_migrations'))[0]!.n, 2);
  });
  const padded = lintFiles(
    [
      { file: 'supabase/migrations/002_a.sql', text: 'SELECT 1;' },
      { file: 'supabase/migrations/0002_b.sql', text: 'SELECT 1;' },
      { file: 'supabase/migrations/archive/002_c.sql', text: 'SELECT 1;' },
    ],
    ID,
  );
  assert.equal(padded.mine.length, 0);
});
