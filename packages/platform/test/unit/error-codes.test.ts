import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every `{ code: 'X.Y', kind: '...', title: '...' }` declaration (a `defineErrors` entry) in the sources. */
function declarations(): Array<{ code: string; title: string; file: string }> {
  const pattern =
    /\{\s*code:\s*'([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)+)',\s*kind:\s*'[a-z_]+',\s*title:\s*(['"`])((?:(?!\2)[\s\S])*)\2/g;
  const found: Array<{ code: string; title: string; file: string }> = [];
  for (const top of ['packages', 'services']) {
    for (const unit of readdirSync(join(root, top))) {
      let files: string[] = [];
      try {
        files = sourceFiles(join(root, top, unit, 'src'));
      } catch {
        continue;
      }
      for (const file of files) {
        for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
          found.push({
            code: match[1] as string,
            title: (match[3] as string).replace(/\s+/g, ' '),
            file: relative(root, file),
          });
        }
      }
    }
  }
  return found;
}

describe('error codes', () => {
  it('are found in the sources (the scan works)', () => {
    const codes = declarations().map((entry) => entry.code);
    expect(codes).toContain('REQUEST.VALIDATION');
    expect(codes).toContain('MEDIA.TOO_LARGE');
    expect(codes.length).toBeGreaterThan(50);
  });

  it('are each declared once, so one code always has one title', () => {
    const byCode = new Map<string, string[]>();
    for (const entry of declarations()) {
      byCode.set(entry.code, [...(byCode.get(entry.code) ?? []), `${entry.file}: ${entry.title}`]);
    }
    const repeated = [...byCode].filter(([, places]) => places.length > 1);
    expect(repeated).toEqual([]);
  });
});
