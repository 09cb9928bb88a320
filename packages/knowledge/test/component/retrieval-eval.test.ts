import { randomUUID } from 'node:crypto';
import { createLogger } from '@flotilla/platform';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createKnowledgeBase } from '../../src/knowledge-base.js';
import { EVAL_QUESTIONS } from '../eval/eval-questions.js';
import { runRetrievalEval } from '../eval/run-retrieval-eval.js';
import { chromaUrl, knowledgeTestConfig } from '../support/knowledge-test-config.js';

const owners: string[] = [];
const config = knowledgeTestConfig({ KNOWLEDGE_CHUNK_SIZE: '300', KNOWLEDGE_CHUNK_OVERLAP: '50' });
const kb = createKnowledgeBase(config, {
  chromaUrl: chromaUrl(),
  registry: new Registry(),
  logger: createLogger({ service: 'knowledge-test', version: 'test', level: 'silent' }),
});

afterAll(async () => {
  for (const owner of owners) await kb.store.dropOwner(owner);
});

describe('retrieval evaluation (npm run eval:rag), lexical embedder', () => {
  it('has 20+ questions, each with a source chunk, and the lexical embedder finds most of them', async () => {
    expect(EVAL_QUESTIONS.length).toBeGreaterThanOrEqual(20);
    const owner = randomUUID();
    owners.push(owner);
    const report = await runRetrievalEval(kb, owner, config.chunking, { ks: [1, 5] });
    expect(report.questions).toBe(EVAL_QUESTIONS.length);
    // A floor well under today's figure: a regression in extraction, splitting or the embedder trips it.
    expect(report.recallAtK[5]).toBeGreaterThanOrEqual(0.8);
    expect(report.recallAtK[1]).toBeLessThanOrEqual(report.recallAtK[5] as number);
    expect(report.mrr).toBeGreaterThan(0.6);
  });

  it('scores a question whose expected chunk is elsewhere as a miss', async () => {
    const owner = randomUUID();
    owners.push(owner);
    const report = await runRetrievalEval(kb, owner, config.chunking, {
      ks: [1],
      questions: [
        {
          question: 'How often must the espresso machine be descaled?',
          document: 'solar',
          needle: 'Olympus Mons',
        },
      ],
    });
    expect(report.recallAtK[1]).toBe(0);
    expect(report.misses).toHaveLength(1);
  });
});
