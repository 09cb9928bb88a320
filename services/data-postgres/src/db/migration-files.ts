import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The migrations folder, `services/data-postgres/migrations/`, found relative to this module: it is
 * two levels up from both `src/db/` and `dist/db/`, so source and build read the same files.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** One versioned migration: `NNNN_name.up.sql` and its `NNNN_name.down.sql`. */
export interface Migration {
  version: number;
  name: string;
  up: string;
  down: string;
  /** SHA-256 of the up script: an applied migration whose file changed is reported. */
  checksum: string;
}

const FILE_NAME = /^(\d{4,})_([a-z0-9_]+)\.(up|down)\.sql$/;

/**
 * Reads every migration of a folder, ordered by version. Throws when a version lacks its up or down
 * script, two names share a version, or a `.sql` file is not named `NNNN_name.up|down.sql`.
 */
export async function readMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`Migration file ${file} is not named NNNN_name.up.sql / NNNN_name.down.sql`);
    const [, digits = '', name = '', direction] = match;
    const version = Number(digits);
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name) {
      throw new Error(`Migration version ${version} has two names: ${entry.name} and ${name}`);
    }
    const text = await readFile(`${dir}/${file}`, 'utf8');
    if (direction === 'up') entry.up = text;
    else entry.down = text;
    byVersion.set(version, entry);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, entry]) => {
      if (entry.up === undefined || entry.down === undefined) {
        const missing = entry.up === undefined ? 'up' : 'down';
        throw new Error(`Migration ${label(version, entry.name)} has no ${missing} script`);
      }
      return {
        version,
        name: entry.name,
        up: entry.up,
        down: entry.down,
        checksum: createHash('sha256').update(entry.up).digest('hex'),
      };
    });
}

/** `0001_init`. */
export function label(version: number, name: string): string {
  return `${String(version).padStart(4, '0')}_${name}`;
}
