import { readFileSync } from 'fs';
import { join } from 'path';
import { CloseCode, ErrorCode } from '../../src/protocol/codes';

// SECURITY.md must document every code a client or an operator can see.
const doc = readFileSync(join(__dirname, '../../SECURITY.md'), 'utf8');
const section = (title: string) => doc.slice(doc.indexOf(`## ${title}`), doc.indexOf('\n## ', doc.indexOf(`## ${title}`) + 3));

describe('SECURITY.md', () => {
  it.each(Object.values(ErrorCode))('lists the error code %s', (code) => {
    expect(section('Error codes')).toContain(`| \`${code}\` |`);
  });

  it.each(Object.values(CloseCode))('lists the close code %s', (code) => {
    expect(section('Close codes')).toContain(`| ${code} |`);
  });

  it('says how to report a vulnerability', () => {
    expect(section('Reporting a vulnerability')).toMatch(/security@sente-rx\.dev[\s\S]*90-day/);
  });
});
