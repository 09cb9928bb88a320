import { availableParallelism } from 'node:os';
import { isDomainError, type Semaphore, withSpan } from '@flotilla/platform';
import sharp, { type Sharp } from 'sharp';
import type { PhotoTransformer, TransformedPhoto } from '../application/photo.ports.js';
import { classifyDecoderError, SUPPORTED_INPUT_FORMATS } from '../domain/failure-classification.js';
import { mediaErrors } from '../domain/media.errors.js';
import { planResize, withinPixelLimit } from '../domain/resize-plan.js';

/** Settings of {@link createSharpPhotoTransformer}. */
export interface SharpTransformOptions {
  maxEdge: number;
  thumbnailEdge: number;
  outputFormat: 'jpeg' | 'webp';
  quality: number;
  maxInputPixels: number;
  /** Bounds the photos decoded at once, whatever the prefetch of the consumer. */
  semaphore: Semaphore;
}

/**
 * Configures libvips for a worker process: `threads` per image (0 = cores / concurrent images, at least
 * 1, so N concurrent photos do not oversubscribe the cores), and no operation cache (every photo is
 * new, the cache would only hold memory).
 */
export function configureSharp(threads: number, concurrentPhotos: number): number {
  const perImage = threads > 0 ? threads : Math.max(1, Math.floor(availableParallelism() / concurrentPhotos));
  sharp.concurrency(perImage);
  sharp.cache(false);
  return perImage;
}

const CONTENT_TYPES = { jpeg: 'image/jpeg', webp: 'image/webp' } as const;
const EXTENSIONS = { jpeg: 'jpg', webp: 'webp' } as const;

/**
 * The photo transformer on sharp: reads the header (format and pixel count are checked before any
 * decoding), then auto-orients, drops every metadata block (sharp writes none unless asked), resizes
 * to fit the maximum edge without enlarging and re-encodes; the thumbnail the same way.
 */
export function createSharpPhotoTransformer(options: SharpTransformOptions): PhotoTransformer {
  const { outputFormat, quality, maxInputPixels } = options;
  const open = (input: Buffer): Sharp =>
    sharp(input, { limitInputPixels: maxInputPixels, failOn: 'truncated', sequentialRead: true });

  const encode = (pipeline: Sharp, edge: number): Sharp => {
    const resized = pipeline.resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true });
    return outputFormat === 'jpeg'
      ? resized.flatten({ background: '#ffffff' }).jpeg({ quality })
      : resized.webp({ quality });
  };

  async function transform(input: Buffer): Promise<TransformedPhoto> {
    const header = await open(input).metadata();
    if (!header.format || !SUPPORTED_INPUT_FORMATS.has(header.format)) {
      throw mediaErrors.UNSUPPORTED({ detail: `Format ${header.format ?? 'unknown'} is not processed` });
    }
    if (!header.width || !header.height)
      throw mediaErrors.CORRUPT({ detail: 'The header has no dimensions' });
    if (!withinPixelLimit(header, maxInputPixels)) {
      throw mediaErrors.TOO_MANY_PIXELS({
        detail: `${header.width}x${header.height} pixels is more than the limit of ${maxInputPixels}`,
      });
    }
    const plan = planResize(header, options);
    const attributes = {
      'image.format': header.format,
      'image.width': header.width,
      'image.height': header.height,
      'image.output_format': outputFormat,
    };
    return options.semaphore.run(() =>
      withSpan('sharp transform', attributes, async (setAttributes) => {
        // Two pipelines on the same input buffer, not `clone()`: sharp's clone deep-copies its options,
        // the whole input buffer included, on the event loop.
        const [output, thumbnail] = await Promise.all([
          encode(open(input).rotate(), options.maxEdge).toBuffer({ resolveWithObject: true }),
          encode(open(input).rotate(), options.thumbnailEdge).toBuffer({ resolveWithObject: true }),
        ]);
        setAttributes({ 'image.output_bytes': output.data.length, 'image.input_bytes': input.length });
        return {
          contentType: CONTENT_TYPES[outputFormat],
          extension: EXTENSIONS[outputFormat],
          original: plan.upright,
          output: { data: output.data, width: output.info.width, height: output.info.height },
          thumbnail: { data: thumbnail.data, width: thumbnail.info.width, height: thumbnail.info.height },
        };
      }),
    );
  }

  return {
    async transform(input) {
      try {
        return await transform(input);
      } catch (error) {
        if (isDomainError(error)) throw error;
        throw classifyDecoderError(error instanceof Error ? error.message : String(error));
      }
    },
  };
}
