/**
 * The photo pipeline benchmark's photos and its baseline: raw sharp doing the worker's transform on
 * in-memory buffers, CONCURRENCY photos at a time, with the CPU time it spends per photo.
 */
import sharp from 'sharp';
import { type Measurement, quantile, round } from './measure.js';
import { cpuBetween, snapshotCpu } from './process-cpu.js';

/** Photos transformed at once, by the worker (MEDIA_CONCURRENCY) and by the baseline. */
export const CONCURRENCY = 2;
/** The worker's settings, which the baseline's transform repeats. */
export const MAX_EDGE = 2048;
export const THUMBNAIL_EDGE = 320;
export const QUALITY = 80;

/** Photo-like test images: smooth colour fields (small noise upscaled) at 3000x2000, as JPEG q92. */
export async function makePhotos(count: number): Promise<Buffer[]> {
  const photos: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    const seed = Buffer.alloc(60 * 40 * 3);
    for (let byte = 0; byte < seed.length; byte += 1) seed[byte] = (byte * 7919 + index * 104_729) % 251;
    photos.push(
      await sharp(seed, { raw: { width: 60, height: 40, channels: 3 } })
        .resize(3000, 2000, { kernel: 'cubic' })
        .jpeg({ quality: 92 })
        .toBuffer(),
    );
  }
  return photos;
}

export function measurement(label: string, latencies: number[], seconds: number, errors = 0): Measurement {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    label,
    operations: sorted.length,
    errors,
    seconds: round(seconds),
    throughput_per_s: round(sorted.length / seconds),
    p50_ms: round(quantile(sorted, 0.5)),
    p99_ms: round(quantile(sorted, 0.99)),
    max_ms: round(sorted.at(-1) ?? 0),
  };
}

/** The worker's transform, done with raw sharp on in-memory buffers (two pipelines on one input, as the worker). */
export async function rawTransform(input: Buffer): Promise<void> {
  const open = () => sharp(input, { failOn: 'truncated' }).rotate();
  const inside = (edge: number) => ({
    width: edge,
    height: edge,
    fit: 'inside' as const,
    withoutEnlargement: true,
  });
  await Promise.all([
    open().resize(inside(MAX_EDGE)).flatten({ background: '#ffffff' }).jpeg({ quality: QUALITY }).toBuffer(),
    open()
      .resize(inside(THUMBNAIL_EDGE))
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: QUALITY })
      .toBuffer(),
  ]);
}

/** The baseline's side of a round: `inputs` through {@link rawTransform}, CONCURRENCY at a time. */
export async function baselineRound(
  inputs: readonly Buffer[],
): Promise<{ measured: Measurement; cpuMs: number }> {
  const group = { 'benchmark process': { pid: process.pid } };
  const before = snapshotCpu(group);
  const latencies: number[] = [];
  let next = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < inputs.length) {
        const input = inputs[next++] as Buffer;
        const t0 = performance.now();
        await rawTransform(input);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const measured = measurement('raw sharp, in memory', latencies, (performance.now() - begin) / 1000);
  const cpu = cpuBetween(before, snapshotCpu(group), inputs.length);
  return { measured, cpuMs: cpu['benchmark process'] ?? 0 };
}
