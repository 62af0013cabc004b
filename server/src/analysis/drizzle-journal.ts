// A Drizzle Kit migrations folder's journal (`<folder>/meta/_journal.json`): the migrations
// `drizzle-kit migrate` and drizzle-orm's migrate() apply, in order. Their migrator
// (drizzle-orm/src/migrator.ts, readMigrationFiles) reads the journal and, for each entry of its
// `entries` array in array order, the file `<folder>/<tag>.sql`; it never lists the folder, so a
// .sql file there that no entry names is never applied. Pure: the journal's text in, its tags
// out. Never throws.

/** A Drizzle Kit migrations folder's journal, for the replay (migrationOrder, the files it leaves out). */
export interface DrizzleJournal {
  /** the file ids of the folder's migrations start with this (the folder holding meta/, `/`-terminated) */
  folder: string;
  /** the journal as shown to the user (`drizzle/meta/_journal.json`) */
  source: string;
  /** its entries' tags, in its order: the files `<folder><tag>.sql` the migrator applies */
  tags: string[];
}

/**
 * The tags of a journal's entries in the order the migrator applies them (the array's order),
 * or what keeps it from being read as drizzle's migrator reads it (JSON.parse, then
 * `entries[].tag`).
 */
export function journalTags(text: string): string[] | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { problem: `not valid JSON (${(e as Error).message})` };
  }
  const entries = json && typeof json === 'object' ? (json as { entries?: unknown }).entries : undefined;
  if (!Array.isArray(entries)) return { problem: 'no "entries" array' };
  const tags: string[] = [];
  for (const [i, e] of entries.entries()) {
    const tag = e && typeof e === 'object' ? (e as { tag?: unknown }).tag : undefined;
    if (typeof tag !== 'string' || tag === '') return { problem: `entry ${i} has no "tag" string` };
    tags.push(tag);
  }
  return tags;
}

/** The name of a file id right in `folder` (a URI's decoded), without `.sql`; undefined for a file elsewhere or of another extension. */
function tagOf(file: string, folder: string): string | undefined {
  if (!file.startsWith(folder)) return undefined;
  let name = file.slice(folder.length).replace(/\\/g, '/');
  if (name.includes('/') || !/\.sql$/i.test(name)) return undefined;
  // (the language server's ids are URIs: percent-encoded)
  if (name.includes('%')) {
    try {
      name = decodeURIComponent(name);
    } catch {
      // (left as it is)
    }
  }
  return name.slice(0, -4);
}

/** The journal whose folder holds `file` right in it, and the tag it would have there. */
export function journalOf(file: string, journals: readonly DrizzleJournal[]): { journal: DrizzleJournal; tag: string } | undefined {
  for (const journal of journals) {
    const tag = tagOf(file, journal.folder);
    if (tag !== undefined) return { journal, tag };
  }
  return undefined;
}

/**
 * The files right in a journal's folder that it does not list (`.sql` files only, not those of
 * its subfolders): the migrator never applies them. With the journal that leaves each out.
 */
export function unlistedFiles(files: Iterable<string>, journals: readonly DrizzleJournal[]): Map<string, DrizzleJournal> {
  const out = new Map<string, DrizzleJournal>();
  if (journals.length === 0) return out;
  const listed = new Map(journals.map((j) => [j, new Set(j.tags)]));
  for (const f of files) {
    const hit = journalOf(f, journals);
    if (hit && !listed.get(hit.journal)!.has(hit.tag)) out.set(f, hit.journal);
  }
  return out;
}

/**
 * The rank of each listed file in its journal (its entry's place), for the replay order; the
 * files of several journals each keep their own ranks.
 */
export function journalRanks(files: ReadonlyArray<{ file: string }>, journals: readonly DrizzleJournal[]): Array<{ journal: DrizzleJournal; rank: number } | undefined> {
  const places = new Map<DrizzleJournal, Map<string, number>>();
  for (const j of journals) {
    const m = new Map<string, number>();
    // (a tag listed twice: the migrator runs the file twice; its first place is kept here)
    j.tags.forEach((t, i) => m.has(t) || m.set(t, i));
    places.set(j, m);
  }
  return files.map((f) => {
    const hit = journalOf(f.file, journals);
    const rank = hit && places.get(hit.journal)!.get(hit.tag);
    return hit && rank !== undefined ? { journal: hit.journal, rank } : undefined;
  });
}
