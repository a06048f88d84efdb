// Fails (exit 1) when something a package entry exports has no doc comment: the API reference
// (`npm run docs`, TypeDoc, docs/api/) is built from these comments, so an export without one is a hole in it.
// Reads the entries from typedoc.json; checks every top-level export of each (functions: their signature or
// declaration comment; classes, interfaces, types, variables, enums: their own comment). Members are not
// required (many are self-explanatory fields), but an exported name is.
import { Application, ReflectionKind } from 'typedoc';

const app = await Application.bootstrapWithPlugins({ logLevel: 'Warn' });
const project = await app.convert();
if (!project) {
  console.error('TypeDoc could not convert the project');
  process.exit(1);
}

const hasComment = (r) =>
  Boolean(r.comment?.summary?.length || r.comment?.blockTags?.length) ||
  (r.signatures ?? []).some((s) => s.comment?.summary?.length || s.comment?.blockTags?.length) ||
  Boolean(r.getSignature?.comment);

const missing = [];
let checked = 0;
for (const entry of project.children ?? []) {
  for (const r of entry.children ?? []) {
    if (r.kindOf(ReflectionKind.Reference)) continue; // a re-export of something documented elsewhere
    checked++;
    if (!hasComment(r)) {
      const source = r.sources?.[0] ?? r.signatures?.[0]?.sources?.[0];
      missing.push(`${entry.name}: ${ReflectionKind.singularString(r.kind)} ${r.name}${source ? ` (${source.fileName}:${source.line})` : ''}`);
    }
  }
}
if (missing.length) {
  console.error(`${missing.length} export(s) without a doc comment:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log(`every export documented (${checked} exports in ${project.children?.length ?? 0} entries)`);
