import {
  BlobReferencesBodySchema,
  BlobReferencesSchema,
  ClaimMediaJobBodySchema,
  CompleteMediaJobBodySchema,
  CreateMediaJobBodySchema,
  ExpiredLeasesQuerySchema,
  FailMediaJobBodySchema,
  FinishedJobsQuerySchema,
  ListMediaJobsQuerySchema,
  MediaJobBatchSchema,
  MediaJobIdParamsSchema,
  MediaJobPageSchema,
  MediaJobProgressBodySchema,
  MediaJobSchema,
  ReleaseMediaJobBodySchema,
  RequeueMediaJobBodySchema,
  StaleQueuedQuerySchema,
} from '@flotilla/contracts';
import type { HttpApp } from '@flotilla/platform';
import { type TSchema, Type } from 'typebox';
import { decodePosition } from '../../db/keyset.js';
import type { OutboxWriter } from '../../db/outbox-writer.js';
import { nextCursor, problemResponses, serviceTokenSecurity } from '../../http/wire.js';
import { mediaJobErrors } from './media-jobs.errors.js';
import { fromCreateMediaJobBody, fromResultWire, toMediaJobWire } from './media-jobs.mapper.js';
import type { MediaJobsRepository } from './media-jobs.repository.js';

const tags = ['media-jobs'];
function transition<Body extends TSchema>(summary: string, body: Body, description?: string) {
  return {
    tags,
    summary,
    ...(description && { description }),
    security: serviceTokenSecurity,
    params: MediaJobIdParamsSchema,
    body,
    response: { 200: MediaJobSchema, ...problemResponses(404, 409) },
  };
}

/**
 * `/api/v1/media-jobs`: create, read, list, and the state machine's atomic transitions (claim,
 * progress, complete, fail, release, requeue), plus the two queries the worker's schedules poll.
 */
export function registerMediaJobRoutes(app: HttpApp, jobs: MediaJobsRepository, outbox: OutboxWriter): void {
  app.post(
    '/api/v1/media-jobs',
    {
      schema: {
        tags,
        summary: 'Create a media job (queued)',
        security: serviceTokenSecurity,
        body: CreateMediaJobBodySchema,
        response: { 201: MediaJobSchema, ...problemResponses(409) },
      },
    },
    async (request, reply) => {
      const job = await outbox.write(request.body.events, (db) =>
        jobs.on(db).create(fromCreateMediaJobBody(request.body)),
      );
      reply.status(201);
      return toMediaJobWire(job);
    },
  );

  app.get(
    '/api/v1/media-jobs',
    {
      schema: {
        tags,
        summary: 'List media jobs, newest first, by owner, status and kind',
        security: serviceTokenSecurity,
        querystring: ListMediaJobsQuerySchema,
        response: { 200: MediaJobPageSchema, ...problemResponses() },
      },
    },
    async (request) => {
      const { limit = 50, cursor, owner_id, status, kind } = request.query;
      const page = await jobs.list({
        limit,
        ...(cursor !== undefined && { after: decodePosition(cursor) }),
        ...(owner_id !== undefined && { ownerId: owner_id }),
        ...(status !== undefined && { status }),
        ...(kind !== undefined && { kind }),
      });
      return { items: page.items.map(toMediaJobWire), next_cursor: nextCursor(page.next) };
    },
  );

  app.delete(
    '/api/v1/media-jobs/:id',
    {
      schema: {
        tags,
        summary: 'Delete a media job',
        description: "The job's blobs live in data-mongo: the caller deletes them.",
        security: serviceTokenSecurity,
        params: MediaJobIdParamsSchema,
        response: { 204: Type.Null(), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      await jobs.delete(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/media-jobs/expired-leases',
    {
      schema: {
        tags,
        summary: 'Jobs in processing whose lease has expired (for the requeue schedule)',
        security: serviceTokenSecurity,
        querystring: ExpiredLeasesQuerySchema,
        response: { 200: MediaJobBatchSchema, ...problemResponses() },
      },
    },
    async (request) => ({
      items: (await jobs.listExpiredLeases(request.query.limit ?? 100)).map(toMediaJobWire),
    }),
  );

  app.get(
    '/api/v1/media-jobs/finished',
    {
      schema: {
        tags,
        summary: 'Jobs finished longer ago than a threshold (for the retention schedule)',
        security: serviceTokenSecurity,
        querystring: FinishedJobsQuerySchema,
        response: { 200: MediaJobBatchSchema, ...problemResponses() },
      },
    },
    async (request) => {
      const { older_than_seconds, limit = 100 } = request.query;
      return { items: (await jobs.listFinished(older_than_seconds, limit)).map(toMediaJobWire) };
    },
  );

  app.post(
    '/api/v1/media-jobs/blob-references',
    {
      schema: {
        tags,
        summary: 'Which of these blob ids a job references (for the orphan-blob sweep)',
        description:
          'Read only. Answers the ids of the request that are the original, result or thumbnail of some ' +
          "job (a document's file is its source job's original). Up to 500 ids per call.",
        security: serviceTokenSecurity,
        body: BlobReferencesBodySchema,
        response: { 200: BlobReferencesSchema, ...problemResponses() },
      },
    },
    async (request) => ({ referenced: await jobs.referencedBlobIds(request.body.blob_ids) }),
  );

  app.get(
    '/api/v1/media-jobs/stale-queued',
    {
      schema: {
        tags,
        summary: 'Jobs queued for longer than older_than_seconds (for the re-publish schedule)',
        security: serviceTokenSecurity,
        querystring: StaleQueuedQuerySchema,
        response: { 200: MediaJobBatchSchema, ...problemResponses() },
      },
    },
    async (request) => {
      const { older_than_seconds, limit = 100 } = request.query;
      return { items: (await jobs.listStaleQueued(older_than_seconds, limit)).map(toMediaJobWire) };
    },
  );

  app.get(
    '/api/v1/media-jobs/:id',
    {
      schema: {
        tags,
        summary: 'Get a media job',
        security: serviceTokenSecurity,
        params: MediaJobIdParamsSchema,
        response: { 200: MediaJobSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const job = await jobs.findById(request.params.id);
      if (!job) throw mediaJobErrors.NOT_FOUND();
      return toMediaJobWire(job);
    },
  );

  app.post(
    '/api/v1/media-jobs/:id/claim',
    {
      schema: transition(
        'Claim a job: queued (or processing with an expired lease) -> processing under a lease',
        ClaimMediaJobBodySchema,
        'Exactly one of concurrent claimers wins; the others get 409 JOB.ALREADY_LEASED. A finished job answers JOB.ILLEGAL_TRANSITION, one without attempts left JOB.ATTEMPTS_EXHAUSTED.',
      ),
    },
    async (request) => {
      const { lease_owner, lease_seconds } = request.body;
      return toMediaJobWire(await jobs.claim(request.params.id, lease_owner, lease_seconds));
    },
  );

  app.post(
    '/api/v1/media-jobs/:id/progress',
    {
      schema: transition(
        'Record progress (and optionally extend the lease); lease owner only',
        MediaJobProgressBodySchema,
      ),
    },
    async (request) => {
      const { body } = request;
      return toMediaJobWire(
        await jobs.progress(request.params.id, body.lease_owner, body.progress, body.lease_seconds),
      );
    },
  );

  app.post(
    '/api/v1/media-jobs/:id/complete',
    {
      schema: transition(
        'Complete a job: processing -> succeeded; lease owner only',
        CompleteMediaJobBodySchema,
      ),
    },
    async (request) => {
      const { body } = request;
      return toMediaJobWire(
        await jobs.complete(request.params.id, body.lease_owner, fromResultWire(body.result)),
      );
    },
  );

  app.post(
    '/api/v1/media-jobs/:id/fail',
    {
      schema: transition(
        'Fail a job: back to queued when retryable with attempts left, else failed; lease owner only',
        FailMediaJobBodySchema,
      ),
    },
    async (request) => {
      const { body } = request;
      return toMediaJobWire(await jobs.fail(request.params.id, body.lease_owner, body.error, body.retryable));
    },
  );

  app.post(
    '/api/v1/media-jobs/:id/release',
    {
      schema: transition(
        'Release a job: processing -> queued without counting the attempt; lease owner only',
        ReleaseMediaJobBodySchema,
        'For a worker stopped by the infrastructure (a data service or the broker unavailable), not by the job: the attempt the claim took is given back. `error`, when given, is recorded as the last error.',
      ),
    },
    async (request) => {
      const { body } = request;
      return toMediaJobWire(await jobs.release(request.params.id, body.lease_owner, body.error));
    },
  );

  app.post(
    '/api/v1/media-jobs/:id/requeue',
    {
      schema: transition(
        'Requeue a job: processing with an expired lease (failed if out of attempts), or failed (manual retry)',
        RequeueMediaJobBodySchema,
      ),
    },
    async (request) => {
      const { body } = request;
      return toMediaJobWire(await jobs.requeue(request.params.id, body.error));
    },
  );
}
