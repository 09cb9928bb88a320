function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/**
 * Maximal marginal relevance: picks `k` candidates one by one, each maximising
 * `lambda * relevance - (1 - lambda) * max similarity to those already picked`, so near-duplicate
 * passages (overlapping chunks) give way to different ones. Returns indexes into `candidates`.
 */
export function selectByMmr(
  candidates: readonly { score: number; embedding: readonly number[] }[],
  k: number,
  lambda = 0.5,
): number[] {
  const picked: number[] = [];
  const remaining = new Set(candidates.map((_, i) => i));
  while (picked.length < k && remaining.size > 0) {
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (const i of remaining) {
      const candidate = candidates[i] as { score: number; embedding: readonly number[] };
      let redundancy = 0;
      for (const j of picked) {
        redundancy = Math.max(
          redundancy,
          cosine(candidate.embedding, (candidates[j] as typeof candidate).embedding),
        );
      }
      const value = lambda * candidate.score - (1 - lambda) * redundancy;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    picked.push(best);
    remaining.delete(best);
  }
  return picked;
}
