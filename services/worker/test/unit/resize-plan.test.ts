import { describe, expect, it } from 'vitest';
import {
  fitInside,
  isTransposed,
  planResize,
  withinPixelLimit,
} from '../../src/modules/media/domain/resize-plan.js';

const limits = { maxEdge: 2048, thumbnailEdge: 320 };

describe('resize plan', () => {
  it('scales a landscape photo down to the maximum edge, keeping the aspect ratio', () => {
    const plan = planResize({ width: 4000, height: 3000 }, limits);
    expect(plan.output).toEqual({ width: 2048, height: 1536 });
    expect(plan.thumbnail).toEqual({ width: 320, height: 240 });
    expect(plan.downscaled).toBe(true);
  });

  it('never enlarges a photo smaller than the maximum edge', () => {
    const plan = planResize({ width: 800, height: 600 }, limits);
    expect(plan.output).toEqual({ width: 800, height: 600 });
    expect(plan.downscaled).toBe(false);
  });

  it('never enlarges the thumbnail of a tiny photo either', () => {
    expect(planResize({ width: 100, height: 40 }, limits).thumbnail).toEqual({ width: 100, height: 40 });
  });

  it('swaps width and height for EXIF orientations 5 to 8 (the photo is shown turned a quarter)', () => {
    for (const orientation of [5, 6, 7, 8]) {
      const plan = planResize({ width: 4000, height: 3000, orientation }, limits);
      expect(plan.upright).toEqual({ width: 3000, height: 4000 });
      expect(plan.output).toEqual({ width: 1536, height: 2048 });
    }
    for (const orientation of [undefined, 1, 2, 3, 4]) expect(isTransposed(orientation)).toBe(false);
  });

  it('keeps at least one pixel on the short side of an extreme panorama', () => {
    expect(fitInside({ width: 100_000, height: 2 }, 320)).toEqual({ width: 320, height: 1 });
  });

  it('checks the pixel limit on width x height', () => {
    expect(withinPixelLimit({ width: 1000, height: 1000 }, 1_000_000)).toBe(true);
    expect(withinPixelLimit({ width: 1001, height: 1000 }, 1_000_000)).toBe(false);
    expect(withinPixelLimit({ width: 50_000, height: 50_000 }, 50_000_000)).toBe(false);
  });
});
