/**
 * `npm run bench [-- <name filter>]`: runs every `bench/*.bench.ts`, prints one
 * table and writes it as JSON to `bench/results.json`.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BenchModule, BenchRow } from './bench.types';

function fmt(n: number | undefined, digits = 2): string {
  if (n === undefined || Number.isNaN(n)) return '';
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !filter || f.includes(filter))
    .sort();
  const rows: BenchRow[] = [];
  for (const f of files) {
    process.stderr.write(`running ${f}…\n`);
    const mod = (await import(path.join(__dirname, f))) as BenchModule;
    rows.push(...(await mod.run()));
  }
  const header = ['group', 'case', 'ours', 'reference', 'ratio', 'target', 'ok', 'note'];
  const table = rows.map((r) => [
    r.group,
    r.case,
    `${fmt(r.ours)} ${r.unit ?? 'ms'}`,
    r.reference === undefined ? '' : `${fmt(r.reference)} ${r.unit ?? 'ms'} (${r.referenceName ?? 'ref'})`,
    fmt(r.ratio, 3),
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of table) console.log(line(row));
  writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(rows, null, 2) + '\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
