// A file id taken as a path: the CLI's ids are paths, the language server's URIs (percent-encoded).
// Shared by the migration tools' readers that match a file id against the paths they list
// (graphile-migrate.ts, liquibase-changelog.ts). Pure.

/** A file id as a `/`-separated path, percent-decoded (left as it is where it does not decode). */
export function decodedId(id: string): string {
  let s = id.replace(/\\/g, '/');
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch {
      // (left as it is)
    }
  }
  return s;
}
