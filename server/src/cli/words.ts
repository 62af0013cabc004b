// Counted nouns for the CLI's summaries: "1 file", "2 files".
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
