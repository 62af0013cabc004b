// bypassrls-password-committed: a migration sets, in clear text, the password of a role that can
// log in and bypasses row-level security (BYPASSRLS, or SUPERUSER). PostgreSQL applies no policy
// to such a role, FORCE ROW LEVEL SECURITY included, so whoever reads the repository and can reach
// the database logs in as it and reads and writes every row its privileges reach, whatever the
// policies say. InventoryManagment's `supabase db dump`-made migration: `create user "prisma" with
// password 'custom_password' bypassrls createdb;`, then GRANT ALL on its tables to prisma.
import type { Model, Table } from '../analysis/model.js';
import type { ParsedFile, Statement } from '../analysis/types.js';
import { counted } from '../analysis/words.js';
import { defineRule } from './types.js';
import { mayHoldPrivilege, roleText, tableList } from './lib/util.js';

/** `PASSWORD '…'` (or ENCRYPTED PASSWORD) as written at a DefElem's location: a literal, not a psql variable (`:'pw'`) nor NULL. */
const LITERAL = /^(?:ENCRYPTED\s+)?PASSWORD\s+'((?:[^']|'')*)'/i;

/**
 * A placeholder the migration tool fills in before PostgreSQL sees the text, inside the literal:
 * Flyway's (or Liquibase's) `'${db_password}'`, a Go template's `'{{ env "PGPASSWORD" }}'` (tern).
 * The password is then not in the repository (bless2n-food-system's Flyway V001).
 */
const TOOL_PLACEHOLDER = /\$\{[A-Za-z_][\w.:-]*\}|\{\{[^}]*\}\}/;

interface PasswordSet {
  file: ParsedFile;
  stmt: Statement;
  start: number;
  end: number;
  value: string;
}

interface RoleState {
  login: boolean;
  passwords: PasswordSet[];
}

const WRITES = ['select', 'insert', 'update', 'delete'];

/** The role a CREATE/ALTER ROLE (or USER) statement is about, lower-case, if it names one. */
function roleOf(stmt: Statement): string | undefined {
  const n = stmt.node;
  const name = stmt.kind === 'CreateRoleStmt' ? n?.role : n?.role?.RoleSpec?.rolename ?? n?.role?.rolename;
  return typeof name === 'string' ? name.toLowerCase() : undefined;
}

/** What the migrations leave of each role's LOGIN, and the statements setting a literal password, in replay order. */
function roleStates(model: Model): Map<string, RoleState> {
  const out = new Map<string, RoleState>();
  for (const { file, stmt } of model.statements) {
    // (a static statement of a DO block counts: `DO $$ BEGIN IF NOT EXISTS (… pg_roles …) THEN CREATE ROLE …
    // PASSWORD '…' END IF; END $$`, the idempotent form, runs on a new database and its text is the
    // file's; one an EXECUTE builds is not, and its password may come from anywhere)
    if ((stmt.kind !== 'CreateRoleStmt' && stmt.kind !== 'AlterRoleStmt') || stmt.dynamic) continue;
    const role = roleOf(stmt);
    if (!role) continue;
    let s = out.get(role);
    if (!s || stmt.kind === 'CreateRoleStmt') out.set(role, (s = { login: stmt.kind === 'CreateRoleStmt' && stmt.node?.stmt_type === 'ROLESTMT_USER', passwords: s?.passwords ?? [] }));
    for (const o of stmt.node?.options ?? []) {
      const d = o?.DefElem;
      if (d?.defname === 'canlogin') s.login = d.arg?.Boolean?.boolval === true;
      if (d?.defname !== 'password' || typeof d.location !== 'number') continue;
      const m = LITERAL.exec(file.text.slice(d.location, d.location + 400));
      if (m && !TOOL_PLACEHOLDER.test(m[1]!)) s.passwords.push({ file, stmt, start: d.location, end: d.location + m[0].length, value: m[1]!.replace(/''/g, "'") });
    }
  }
  return out;
}

/** What the stored value is: an MD5 hash answers md5 password authentication by itself; a SCRAM secret does not (left alone). */
function kindOf(value: string): 'clear' | 'md5' | 'scram' {
  if (/^md5[0-9a-f]{32}$/.test(value)) return 'md5';
  if (/^SCRAM-SHA-256\$/.test(value)) return 'scram';
  return 'clear';
}

export const bypassrlsPasswordCommitted = defineRule({
  meta: {
    id: 'bypassrls-password-committed',
    description: 'A migration sets the password of a role that can log in and bypasses row-level security (BYPASSRLS or SUPERUSER) as a literal: whoever reads the repository knows it.',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    sources: ['PostgreSQL documentation, Password Authentication (md5)', 'PostgreSQL documentation, CREATE ROLE (BYPASSRLS)'],
    guards:
      'PostgreSQL applies no policy to a BYPASSRLS or superuser role, FORCE ROW LEVEL SECURITY included: a session as that role reads and writes every row its privileges reach. Its password written in a migration is known to everyone who can read the repository.',
  },
  check({ model, report }) {
    // (the statements are read only when the migrations make a role that bypasses RLS: the model's roles say it)
    let any = false;
    for (const r of model.roles.values()) if (r.loc !== undefined && (r.bypassRls || r.superuser)) any = true;
    if (!any) return;
    const states = roleStates(model);
    let rls: Table[] | undefined;
    for (const [role, s] of states) {
      if (!s.login || s.passwords.length === 0 || model.roleBypassesRls(role) !== true) continue;
      const r = model.roles.get(role);
      const superuser = r?.superuser === true;
      // (the tables with row-level security it may read or write: a superuser all of them)
      rls ??= tableList(model).filter((t) => t.rlsEnabled);
      const reach = superuser ? rls : rls.filter((t) => mayHoldPrivilege(model, t, role, WRITES));
      if (reach.length === 0) continue;
      const names = reach.slice(0, 3).map((t) => t.key).join(', ') + (reach.length > 3 ? ', …' : '');
      const what = superuser ? 'is a superuser' : 'has BYPASSRLS';
      const R = roleText(role); // (as SQL names it; the psql variable suggested is named after the name itself)
      for (const p of s.passwords) {
        const kind = kindOf(p.value);
        if (kind === 'scram') continue;
        const how =
          kind === 'md5'
            ? `this statement stores its password's MD5 hash as written in the migration, and md5 authentication "provides no protection if an attacker manages to steal the password hash" (PostgreSQL's documentation): whoever reads the repository can log in as ${R}`
            : `this statement sets its password in clear text in the migration: whoever reads the repository knows it, and can log in as ${R}`;
        report({
          file: p.file.file,
          start: p.start,
          end: p.end,
          message:
            `Role ${R} can log in and ${what}, so PostgreSQL applies no row-level security policy to it (FORCE ROW LEVEL SECURITY included), and ${how} wherever the database accepts a password login for it from where they are. ` +
            (superuser
              ? `Connected as ${R}, they read and change every row of every table, whatever its policies: ${counted(reach.length, 'table')} with row-level security here (${names}). `
              : `Connected as ${R}, they read and change every row of the tables its privileges reach, whatever their policies: it may hold privileges on ${counted(reach.length, 'table')} with row-level security (${names}). `) +
            `Set the password outside the migrations (psql's \\password ${R}, a psql variable PASSWORD :'${role.replace(/[^A-Za-z0-9_]/g, '_')}_password', or the platform's secrets), change the one written here, and give ${R} BYPASSRLS only if it must skip the policies.`,
        });
      }
    }
  },
});
