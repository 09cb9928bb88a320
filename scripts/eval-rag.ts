/**
 * `npm run eval:rag`: retrieval quality of the knowledge base on a small evaluation set (5 documents,
 * 26 questions with their expected source chunk, packages/knowledge/test/eval/). Reports recall@k and MRR
 * for the offline lexical embedder, and for the provider's embedder when LLM_API_KEY is set.
 * Needs ChromaDB (CHROMA_URL, default http://127.0.0.1:8100). `--json` prints the reports as JSON.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import {
  createEmbedder,
  createKnowledgeBase,
  type KnowledgeConfig,
  knowledgeEnv,
  toKnowledgeConfig,
} from '@flotilla/knowledge';
import { createLogger, loadConfig } from '@flotilla/platform';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import {
  type RetrievalEvalReport,
  runRetrievalEval,
} from '../packages/knowledge/test/eval/run-retrieval-eval.js';

const infraEnvFile = new URL('../.data/infra.env', import.meta.url);
const infraEnv = existsSync(infraEnvFile) ? parseEnv(readFileSync(infraEnvFile, 'utf8')) : {};
const chromaUrl = process.env.CHROMA_URL ?? infraEnv.CHROMA_URL ?? 'http://127.0.0.1:8100';
const config: KnowledgeConfig = toKnowledgeConfig(
  loadConfig(Type.Object(knowledgeEnv()), { service: 'eval-rag', env: process.env }),
);
const logger = createLogger({ service: 'eval-rag', version: '0', level: 'warn' });

async function evaluate(label: string, embedderConfig: KnowledgeConfig): Promise<RetrievalEvalReport> {
  const kb = createKnowledgeBase(config, {
    chromaUrl,
    registry: new Registry(),
    logger,
    embedder: createEmbedder(embedderConfig),
    chatModel: null,
  });
  const owner = randomUUID();
  try {
    const report = await runRetrievalEval(kb, owner, config.chunking);
    process.stderr.write(`${label}: done\n`);
    return report;
  } finally {
    await kb.store.dropOwner(owner);
  }
}

const reports: RetrievalEvalReport[] = [await evaluate('lexical', { ...config, provider: undefined })];
if (config.provider) reports.push(await evaluate('provider', config));
else process.stderr.write('LLM_API_KEY is not set: only the offline lexical embedder is evaluated.\n');

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
} else {
  const ks = Object.keys(reports[0]?.recallAtK ?? {});
  const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
  const lines = [
    `Retrieval evaluation: ${reports[0]?.questions} questions, chunk size ${config.chunking.chunkSize}, overlap ${config.chunking.chunkOverlap}`,
    '',
    `| embedder | ${ks.map((k) => `recall@${k}`).join(' | ')} | MRR |`,
    `|---|${ks.map(() => '---').join('|')}|---|`,
    ...reports.map(
      (report) =>
        `| ${report.embedder} | ${ks.map((k) => percent(report.recallAtK[Number(k)] ?? 0)).join(' | ')} | ${report.mrr.toFixed(3)} |`,
    ),
  ];
  for (const report of reports) {
    if (report.misses.length > 0)
      lines.push(
        '',
        `Missed by ${report.embedder} (not in the top ${ks.at(-1)}):`,
        ...report.misses.map((miss) => `- ${miss}`),
      );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
