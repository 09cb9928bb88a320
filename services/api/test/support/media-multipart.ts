import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { DataServices } from '../../../../tests/support/data-services.js';

/** One part of a multipart form: a text field or a file. */
export type FormPart =
  | { name: string; value: string }
  | { name: string; filename: string; contentType?: string; content: Buffer };

/** A `multipart/form-data` body for `inject()`, with its content type (boundary included). */
export function multipartBody(parts: readonly FormPart[]): {
  payload: Buffer;
  headers: Record<string, string>;
} {
  const boundary = `----flotilla${randomBytes(8).toString('hex')}`;
  const pieces: Buffer[] = [];
  for (const part of parts) {
    if ('value' in part) {
      pieces.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`,
        ),
      );
    } else {
      pieces.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
            `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        part.content,
        Buffer.from('\r\n'),
      );
    }
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(pieces),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** A form with one file part named `file`. */
export function fileForm(filename: string, content: Buffer, contentType?: string) {
  return multipartBody([{ name: 'file', filename, content, ...(contentType && { contentType }) }]);
}

/** Bytes data-mongo has stored from completed uploads so far (its `blob_bytes_total{direction="in"}`). */
export async function storedBlobBytes(services: DataServices): Promise<number> {
  const response = await fetch(`${services.dataMongoUrl}/metrics`, {
    headers: { authorization: `Bearer ${services.tokens.api}` },
  });
  const text = await response.text();
  const line = text
    .split('\n')
    .find((row) => row.startsWith('blob_bytes_total{') && row.includes('direction="in"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Blobs the api has deleted in data-mongo so far (successful `DELETE /api/v1/blobs/:id` calls of its client). */
export async function blobsDeletedByApi(registry: Registry): Promise<number> {
  const metric = registry.getSingleMetric('http_client_request_duration_seconds');
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter(
      (value) =>
        (value as { metricName?: string }).metricName === 'http_client_request_duration_seconds_count' &&
        value.labels.upstream === 'data-mongo' &&
        value.labels.method === 'DELETE' &&
        String(value.labels.status_class).startsWith('2'),
    )
    .reduce((sum, value) => sum + value.value, 0);
}
