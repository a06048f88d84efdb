/**
 * Every relative link in the Markdown docs points at a file that exists and, with a `#fragment`, at a heading of
 * that file (GitHub's anchor rules: lower case, punctuation but `-` and `_` dropped, spaces to `-`, repeats
 * suffixed `-1`, `-2`). Fenced code blocks are neither scanned for links nor for headings.
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import { dirname, join } from 'path';

const root = join(__dirname, '../..');
const files = [
  'README.md',
  'PROTOCOL.md',
  'SECURITY.md',
  'CHANGELOG.md',
  'benchmarks/README.md',
  ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
];

function outsideCode(text: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push(line);
  }
  return lines;
}

function anchorsOf(path: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of outsideCode(readFileSync(path, 'utf8'))) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const slug = m[1]!.trim().toLowerCase().replace(/<[^>]+>/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

test.each(files)('%s: relative links and anchors resolve', (file) => {
  const path = join(root, file);
  const broken: string[] = [];
  for (const line of outsideCode(readFileSync(path, 'utf8'))) {
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/i.test(link)) continue;
      const [target, fragment] = link.split('#');
      const to = target ? join(dirname(path), target) : path;
      if (!existsSync(to)) broken.push(`${link} (no such file)`);
      else if (fragment && to.endsWith('.md') && !anchorsOf(to).has(fragment)) broken.push(`${link} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});
