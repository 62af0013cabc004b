// A sqitch project's plan (`sqitch.plan`): the order `sqitch deploy` runs its changes in.
// Pure: the plan's text in, its changes out. Never throws.

/** A sqitch project's plan, for the replay order (migrationOrder). */
export interface SqitchPlan {
  /** the file ids of the project's scripts start with this (the folder holding sqitch.plan and deploy/, `/`-terminated; '' for all) */
  folder: string;
  /** its changes in plan order as their deploy scripts are named: `change`, and `change@tag` for a reworked change's earlier places (planChanges) */
  changes: string[];
}

/**
 * The changes of a plan, in the order sqitch deploys them, as their deploy scripts are named:
 * each line that is not a pragma (`%syntax-version=…`), a tag (`@v1.0 …`), a comment or blank
 * names a change first (`change [deps] 2024-01-01T00:00:00Z Name <email> # note`; an old
 * `+change`). A change named again (`sqitch rework`) runs its current script,
 * `deploy/<change>.sql`, at its last place; each earlier place runs the script kept as of the
 * first tag after it, `deploy/<change>@<tag>.sql` (`<change>@<tag>` here; left out when no tag
 * follows it). A `-change` (reverted in the plan) is left out.
 */
export function planChanges(text: string): string[] {
  const entries: Array<{ name: string; tag?: string }> = [];
  let untagged = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('%') || line.startsWith('#')) continue;
    if (line.startsWith('@')) {
      const tag = /^@(\S+)/.exec(line)![1]!;
      for (let i = untagged; i < entries.length; i++) entries[i]!.tag = tag;
      untagged = entries.length;
      continue;
    }
    const m = /^([+-]?)(\S+)/.exec(line);
    if (!m || m[1] === '-') continue;
    entries.push({ name: m[2]! });
  }
  const last = new Map<string, number>();
  entries.forEach((e, i) => last.set(e.name, i));
  const out: string[] = [];
  entries.forEach((e, i) => {
    if (last.get(e.name) === i) out.push(e.name);
    else if (e.tag) out.push(`${e.name}@${e.tag}`);
  });
  return out;
}
