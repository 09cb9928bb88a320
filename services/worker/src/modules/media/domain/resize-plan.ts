/** Width and height in pixels. */
export interface Dimensions {
  width: number;
  height: number;
}

/** What the worker knows about a photo before decoding it (from its header). */
export interface PhotoHeader extends Dimensions {
  /** EXIF orientation 1-8; 5 to 8 mean the stored image is turned a quarter and must be shown transposed. */
  orientation?: number | undefined;
}

/** Limits of one processing run. */
export interface ResizeLimits {
  /** Longest edge of the processed photo. */
  maxEdge: number;
  /** Longest edge of the thumbnail. */
  thumbnailEdge: number;
}

/** The sizes a photo will have once processed. */
export interface ResizePlan {
  /** The photo as a person sees it: upright (width and height swapped for orientations 5-8). */
  upright: Dimensions;
  /** The processed photo: `upright` scaled down to fit `maxEdge`, never enlarged. */
  output: Dimensions;
  thumbnail: Dimensions;
  /** Whether `output` is smaller than `upright`. */
  downscaled: boolean;
}

/** Orientations 5-8 store the image turned by a quarter: auto-orienting swaps width and height. */
export function isTransposed(orientation: number | undefined): boolean {
  return orientation !== undefined && orientation >= 5 && orientation <= 8;
}

/** `dimensions` scaled to fit inside a `edge` x `edge` box, keeping the aspect ratio; never enlarged. */
export function fitInside(dimensions: Dimensions, edge: number): Dimensions {
  const longest = Math.max(dimensions.width, dimensions.height);
  if (longest <= edge) return { ...dimensions };
  const scale = edge / longest;
  return {
    width: Math.max(1, Math.round(dimensions.width * scale)),
    height: Math.max(1, Math.round(dimensions.height * scale)),
  };
}

/** Plans the processed photo and thumbnail sizes of a photo from its header. */
export function planResize(header: PhotoHeader, limits: ResizeLimits): ResizePlan {
  const upright = isTransposed(header.orientation)
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
  const output = fitInside(upright, limits.maxEdge);
  return {
    upright,
    output,
    thumbnail: fitInside(upright, limits.thumbnailEdge),
    downscaled: output.width !== upright.width || output.height !== upright.height,
  };
}

/** Whether a photo of these dimensions stays within `maxPixels` (width x height). */
export function withinPixelLimit(dimensions: Dimensions, maxPixels: number): boolean {
  return dimensions.width * dimensions.height <= maxPixels;
}
