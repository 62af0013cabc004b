// docker compose's bind mounts into the postgres image's /docker-entrypoint-initdb.d/: the image's
// entrypoint runs those SQL files (by name) as POSTGRES_USER when it makes the database, before
// any migration tool connects. The replay puts them first. Calibration: JustLikeJordan/
// saas-analytics-dashboard mounts docker/init.sql (CREATE ROLE app_user; ALTER DEFAULT PRIVILEGES
// IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO app_user) and its drizzle
// migrations, run as the same role, create orgs, users and audit_logs without RLS: path order
// replayed init.sql last, and rls-not-enabled said "the migrations give no role but its owner
// access" to them. PGlite: in the entrypoint's order app_user reads every row of such a table; in
// path order (the default privileges after the CREATE TABLE) it is refused, 42501.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { composeInitdbMounts, initdbRunOrder } from '../../server/src/analysis/docker-initdb.js';
import { migrationOrder } from '../../server/src/analysis/model.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { readInitdbScripts } from '../../server/src/io/files.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { findingsOf, initParser } from '../helpers/rule-proof.js';

before(initParser);
after(closeAll);

const COMPOSE = `services:
  db:
    image: postgres:18.2
    environment:
      POSTGRES_USER: app_admin
    volumes:
      - pgdata:/var/lib/postgresql
      - ./docker/init.sql:/docker-entrypoint-initdb.d/init.sql
  api:
    volumes:
      - ./apps/api:/app
volumes:
  pgdata:
`;

const INIT = `CREATE ROLE dash_app_user LOGIN PASSWORD 'app';
GRANT USAGE ON SCHEMA public TO dash_app_user;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dash_app_user;
`;
const MIGRATION = `CREATE TABLE "orgs" ("id" integer PRIMARY KEY, "name" varchar(255) NOT NULL);
INSERT INTO orgs VALUES (1, 'a'), (2, 'b');
`;
const FILES = [
  { file: 'apps/api/drizzle/migrations/0000_cold_peter_parker.sql', text: MIGRATION },
  { file: 'docker/init.sql', text: INIT },
];

test('composeInitdbMounts: short and long syntax bind mounts into /docker-entrypoint-initdb.d/, named volumes and other targets left out', () => {
  assert.deepEqual(composeInitdbMounts(COMPOSE), [{ source: './docker/init.sql', target: 'init.sql' }]);
  const text = `services:
  db:
    volumes:
      - "./sql/01-roles.sql:/docker-entrypoint-initdb.d/01-roles.sql:ro"
      - ./initdb/:/docker-entrypoint-initdb.d/
      - initdata:/docker-entrypoint-initdb.d/extra
      - type: bind
        source: ./seed/zz.sql
        target: /docker-entrypoint-initdb.d/zz.sql
      - type: volume
        source: other
        target: /docker-entrypoint-initdb.d/other
      - \${INIT_DIR}:/docker-entrypoint-initdb.d/x.sql
`;
  assert.deepEqual(composeInitdbMounts(text), [
    { source: './sql/01-roles.sql', target: '01-roles.sql' },
    { source: './initdb', target: '' },
    { source: './seed/zz.sql', target: 'zz.sql' },
  ]);
  // (the entrypoint's order: the names under the folder, a mounted folder's files by their own names; .sh is not read)
  const order = initdbRunOrder(composeInitdbMounts(text), (s) => (s === './initdb' ? ['02-schema.sql', '00-ext.sh', 'README.md'] : undefined));
  assert.deepEqual(order, ['./sql/01-roles.sql', './initdb/02-schema.sql', './seed/zz.sql']);
});

test('readInitdbScripts: the compose file above the SQL files gives the mounted files, as file ids, in run order', async () => {
  const root = mkdtempSync(join(tmpdir(), 'initdb-'));
  try {
    mkdirSync(join(root, 'docker'));
    mkdirSync(join(root, 'apps', 'api', 'drizzle', 'migrations'), { recursive: true });
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, 'docker-compose.yml'), COMPOSE);
    for (const f of FILES) writeFileSync(join(root, f.file), f.text);
    const ids = (dir: string) => ({ prefix: dir === root ? '' : `${dir.slice(root.length + 1).split('\\').join('/')}/`, shown: '' });
    const logged: string[] = [];
    const got = await readInitdbScripts(
      FILES.map((f) => join(root, f.file)),
      ids,
      (p, m) => logged.push(`${p}: ${m}`),
    );
    assert.deepEqual(got, [{ source: 'docker-compose.yml', files: ['docker/init.sql'] }]);
    assert.deepEqual(logged, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("replay: the init script first, so its default privileges reach the migrations' tables (rls-not-enabled names the role); PGlite: in that order the role reads every row, in path order 42501", async () => {
  // path order: apps/ before docker/
  assert.deepEqual(migrationOrder(FILES).map((f) => f.file), FILES.map((f) => f.file));
  const plain = new Workspace();
  for (const f of FILES) plain.setFile(f.file, f.text);
  const before = findingsOf(plain, 'rls-not-enabled');
  assert.equal(before.length, 1);
  assert.match(before[0]!.message, /the migrations give no role but its owner/);

  const ws = new Workspace();
  for (const f of FILES) ws.setFile(f.file, f.text);
  ws.setInitdbScripts([{ source: 'docker-compose.yml', files: ['docker/init.sql'] }]);
  const orgs = ws.lint().model.tables.get('public.orgs')!;
  assert.ok(orgs);
  const after = findingsOf(ws, 'rls-not-enabled');
  assert.equal(after.length, 1);
  assert.equal(after[0]!.file, 'apps/api/drizzle/migrations/0000_cold_peter_parker.sql');
  assert.match(after[0]!.message, /dash_app_user may read and write all of its rows/);
  assert.doesNotMatch(after[0]!.message, /no role but its owner/);

  const db = await getDb();
  const reads = (sqlFirst: string, sqlThen: string) =>
    inRollback(db, async (q) => {
      await q(sqlFirst);
      await q(sqlThen);
      await q('SET ROLE dash_app_user');
      const r = await tryQuery(q, 'SELECT count(*)::int AS n FROM orgs');
      await q('RESET ROLE');
      return r.ok ? r.rows[0]!.n : r.error.code;
    });
  assert.equal(await reads(INIT, MIGRATION), 2);
  assert.equal(await reads(MIGRATION, INIT), '42501');
});
