import { chmod, readFile, writeFile } from 'node:fs/promises';

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
