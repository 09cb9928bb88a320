import { chmod, readFile, writeFile } from 'node:fs/promises';

const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` placeholders (upper-case names only, so nginx's own `$variables` stay) with
 * the given values; the same syntax `envsubst` and the nginx image's template step use.
 * Throws when a placeholder has no value.
 */
export function renderTemplate(
  text: string,
  values: Record<string, string | number>,
  source: string,
): string {
  const missing = new Set<string>();
  const rendered = text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return whole;
    }
    return String(value);
  });
  if (missing.size > 0) throw new Error(`${source}: no value for ${[...missing].join(', ')}`);
  return rendered;
}

/** Reads a template file and renders it. */
export async function renderTemplateFile(
  path: string,
  values: Record<string, string | number>,
): Promise<string> {
  return renderTemplate(await readFile(path, 'utf8'), values, path);
}

/** Writes a file readable by its owner only (secrets inside), whatever mode it had before. */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Writes `text` unless the file already holds it; returns whether it changed. */
export async function writeIfChanged(path: string, text: string, mode = 0o644): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) return false;
  await writeFile(path, text, { mode });
  await chmod(path, mode);
  return true;
}
