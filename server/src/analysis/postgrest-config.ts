// A plain PostgREST project's configuration: the schemas its HTTP API serves. Pure: a file's
// text in, its `db-schemas` (or one clear problem) out. Never throws.
//
// PostgREST (src/PostgREST/Config.hs, docs/references/configuration.rst) reads `db-schemas`,
// "for backwards compatibility also available in singular as db-schema": a string, a
// comma-separated list of schema names, each stripped of spaces and used as written (no case
// folding); an empty or missing value means `public`; the first is the default schema of a
// request without a profile header. The environment variable PGRST_DB_SCHEMAS (and
// PGRST_DB_SCHEMA for the alias) overrides the file's key; pg_catalog and information_schema
// make it refuse to start.

/** What a PostgREST configuration says the API serves. */
export interface PostgrestSchemas {
  /** the schemas, in order (the first is the default), as written */
  schemas: string[];
  /** the key or variable that said so: `db-schemas`, `db-schema`, `PGRST_DB_SCHEMAS`, `PGRST_DB_SCHEMA` */
  key: string;
}

export type PostgrestRead = PostgrestSchemas | { problem: string; key?: string } | undefined;

/** The schemas of a `db-schemas` value (PostgREST's splitOnCommas), or the problem PostgREST refuses it with. */
export function schemasOfValue(value: string, key: string): PostgrestRead {
  // (an empty value is no value: PostgREST's optString drops "")
  if (value === '') return undefined;
  // (a value taken from the environment where the file is read: `$(VAR)`, `${VAR}`)
  if (/\$\(|\$\{|^\$\w/.test(value)) return { problem: `${key} = "${value}" is taken from the environment, which the lint cannot see`, key };
  const schemas = value.split(',').map((s) => s.trim());
  if (schemas.some((s) => s === '')) return { problem: `${key} = "${value}" names an empty schema`, key };
  for (const bad of ['pg_catalog', 'information_schema']) {
    if (schemas.includes(bad)) return { problem: `${key} names ${bad}, which PostgREST refuses ("db-schemas does not allow schema: '${bad}'")`, key };
  }
  return { schemas: [...new Set(schemas)], key };
}

/** A `key = value` line's value: a double-quoted string (with `\"` escapes), or a bare word, comments after `#` dropped. */
function valueOf(raw: string): string | undefined {
  const s = raw.trim();
  if (s.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/.exec(s);
    return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
  }
  const bare = s.replace(/\s+#.*$/, '').trim();
  return bare.startsWith('#') ? '' : bare;
}

/**
 * Whether `text` is a PostgREST configuration file: a `db-schemas`, `db-schema`, `db-uri` or
 * `db-anon-role` key at the start of a line (none of PostgreSQL's, nginx's or sqitch's).
 */
export function isPostgrestConf(text: string): boolean {
  return /^[ \t]*(?:db-schemas?|db-uri|db-anon-role)[ \t]*=/m.test(text);
}

/**
 * The schemas a `postgrest.conf` (PostgREST's config file: `key = value` lines, `#` comments)
 * serves: `db-schemas`, else `db-schema`, else PostgREST's default `public` (key undefined:
 * nothing to use). A value that is not a string, or that PostgREST refuses, is a problem.
 */
export function postgrestConfSchemas(text: string): PostgrestRead {
  const found: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^[ \t]*(db-schemas?)[ \t]*=(.*)$/.exec(line);
    if (!m) continue;
    const v = valueOf(m[2]!);
    if (v === undefined) return { problem: `${m[1]} = ${m[2]!.trim()}: not a quoted string PostgREST can read`, key: m[1]! };
    // (a key given twice: the last one, as in a file of key = value lines read into a map)
    found[m[1]!] = v;
  }
  for (const key of ['db-schemas', 'db-schema']) {
    if (found[key] === undefined) continue;
    const r = schemasOfValue(found[key]!, key);
    if (r) return r;
  }
  return undefined;
}

/**
 * PGRST_DB_SCHEMAS (else PGRST_DB_SCHEMA) in a docker-compose file's `environment:` entries
 * (`PGRST_DB_SCHEMAS: api` or `- PGRST_DB_SCHEMAS=api`) or a `.env` file (`PGRST_DB_SCHEMAS=api`).
 * A compose value interpolating a variable (`${VAR}`, `${VAR:-default}`, `$VAR`) takes it from
 * `vars` (the `.env` beside the compose file, which docker compose reads) or its default; one
 * left unknown is a problem: the lint cannot see it.
 */
export function envSchemas(text: string, vars: Readonly<Record<string, string>> = {}): PostgrestRead {
  const found: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    let s = line.trim();
    // (a compose list entry, maybe quoted whole: - "PGRST_DB_SCHEMAS=api")
    if (s.startsWith('-')) {
      s = s.slice(1).trim();
      if (/^(["']).*\1$/.test(s)) s = s.slice(1, -1);
    }
    s = s.replace(/^export[ \t]+/, '');
    const m = /^(["']?)(PGRST_DB_SCHEMAS?)\1[ \t]*[:=][ \t]*(.*)$/.exec(s);
    if (!m) continue;
    const v = m[3]!.trim();
    const q = /^(["'])(.*)\1(?:\s+#.*)?$/.exec(v);
    found[m[2]!] = interpolate(q ? q[2]! : v.replace(/\s+#.*$/, '').trim(), vars);
  }
  for (const key of ['PGRST_DB_SCHEMAS', 'PGRST_DB_SCHEMA']) {
    if (found[key] === undefined) continue;
    const r = schemasOfValue(found[key]!, key);
    if (r) return r;
  }
  return undefined;
}

/** docker compose's interpolation of `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$VAR` from `vars`; what it cannot resolve stays as written. */
function interpolate(value: string, vars: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{(\w+)(?:(:?-)([^}]*))?\}|\$(\w+)/g, (all, name: string | undefined, op: string | undefined, dflt: string | undefined, bare: string | undefined) => {
    const v = vars[(name ?? bare)!];
    if (op === ':-') return v !== undefined && v !== '' ? v : dflt!;
    if (op === '-') return v !== undefined ? v : dflt!;
    return v ?? all;
  });
}

/** The variables a `.env` file sets (`NAME=value`, quotes dropped, `#` comments), as docker compose reads it. */
export function dotenvVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^[ \t]*(?:export[ \t]+)?(\w+)[ \t]*=[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim();
    const q = /^(["'])(.*)\1(?:\s+#.*)?$/.exec(v);
    out[m[1]!] = q ? q[2]! : v.replace(/\s+#.*$/, '').trim();
  }
  return out;
}
