/**
 * The SQL files a docker compose file mounts into the official postgres image's
 * `/docker-entrypoint-initdb.d/`: its entrypoint runs them when it initialises an empty data
 * directory, as POSTGRES_USER, before anything connects — before any migration tool runs. Pure:
 * the io layer reads the compose file and the folders it names (io/files.ts readInitdbScripts).
 */

/** Where the image's entrypoint looks for its init scripts. */
export const INITDB_DIR = '/docker-entrypoint-initdb.d';

/** A bind mount of a compose service's `volumes` into INITDB_DIR: `source` as written (relative to the compose file's folder), `target` the name under INITDB_DIR ('' for the folder itself). */
export interface InitdbMount {
  source: string;
  target: string;
}

/**
 * The bind mounts into INITDB_DIR a compose file's short-syntax volume entries make
 * (`- ./docker/init.sql:/docker-entrypoint-initdb.d/init.sql:ro`, `- ./initdb:/docker-entrypoint-initdb.d`,
 * quoted or not), and its long-syntax ones (`source: ./init.sql` with `target: /docker-entrypoint-initdb.d/…`
 * in the same entry). A named volume (a source without `.` or `/` first) is not a folder of the
 * repository: left out. An interpolated source (`${…}`) is left out too.
 */
export function composeInitdbMounts(text: string): InitdbMount[] {
  const out: InitdbMount[] = [];
  const lines = text.split(/\r?\n/);
  const keep = (source: string, target: string) => {
    source = unquote(source.trim());
    target = unquote(target.trim()).replace(/\/+$/, '');
    if (!source || source.includes('$') || !/^[./~]/.test(source) || source.startsWith('~')) return;
    if (target !== INITDB_DIR && !target.startsWith(`${INITDB_DIR}/`)) return;
    out.push({ source: source.replace(/\/+$/, ''), target: target.slice(INITDB_DIR.length + 1) });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+#.*$/, '');
    // (short syntax: a list item `SOURCE:TARGET[:MODE]`)
    const short = /^\s*-\s*(["']?)([^"'\s:][^:]*):(\/docker-entrypoint-initdb\.d[^:"'\s]*)(?::[a-z,]+)?\1\s*$/.exec(line);
    if (short) {
      keep(short[2]!, short[3]!);
      continue;
    }
    // (long syntax: a list item whose keys, on its lines, hold source and target)
    const item = /^(\s*)-\s+(\w+):/.exec(line);
    if (!item) continue;
    const indent = item[1]!.length;
    const fields = new Map<string, string>();
    for (let j = i; j < lines.length; j++) {
      const l = lines[j]!.replace(/\s+#.*$/, '');
      if (j > i) {
        const lead = /^(\s*)(-?)/.exec(l)!;
        if (l.trim() && (lead[1]!.length <= indent)) break;
      }
      const kv = /^\s*(?:-\s+)?(source|target|type):\s*(.*?)\s*$/.exec(l);
      if (kv) fields.set(kv[1]!, kv[2]!);
    }
    const type = fields.get('type');
    if (fields.has('source') && fields.has('target') && (type === undefined || unquote(type) === 'bind')) keep(fields.get('source')!, fields.get('target')!);
  }
  return out;
}

function unquote(s: string): string {
  return /^(["']).*\1$/.test(s) ? s.slice(1, -1) : s;
}

/**
 * The order the entrypoint runs what `mounts` put in INITDB_DIR: its files by name (the shell's
 * glob of `/docker-entrypoint-initdb.d/*`), a folder mounted on INITDB_DIR itself giving its
 * files their own names there. `filesOf(source)` lists the `.sql` files of a folder source (their
 * names), or undefined when the source is a file. Returns the sources' files, as
 * `source` or `source/name`, in run order; only `.sql` files (the entrypoint also runs `.sh` and
 * compressed SQL, which the lint does not read).
 */
export function initdbRunOrder(mounts: readonly InitdbMount[], filesOf: (source: string) => readonly string[] | undefined): string[] {
  const placed: { name: string; path: string }[] = [];
  for (const m of mounts) {
    const inside = filesOf(m.source);
    if (inside === undefined) {
      const name = m.target || m.source.split('/').pop()!;
      if (m.target && /\.sql$/i.test(name)) placed.push({ name, path: m.source });
      continue;
    }
    // (a folder: on INITDB_DIR its files are the entrypoint's; in a sub-folder of it, not run)
    if (m.target) continue;
    for (const n of inside) if (/\.sql$/i.test(n)) placed.push({ name: n, path: `${m.source}/${n}` });
  }
  placed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...new Set(placed.map((p) => p.path))];
}

/** A compose file's init scripts, as the workspace knows them: `files` (file ids) in the order the entrypoint runs them; `source` names the compose file for messages. */
export interface InitdbScripts {
  source: string;
  files: string[];
}
