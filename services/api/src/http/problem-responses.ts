import { ProblemSchema } from '@flotilla/contracts';

/** Problem responses of a route for the OpenAPI document: always 422 (validation), plus `statuses`. */
export function problemResponses(...statuses: number[]) {
  const responses: Record<number, typeof ProblemSchema> = {};
  for (const status of [422, ...statuses]) responses[status] = ProblemSchema;
  return responses;
}

/** Problem responses of a route that requires an access token: 401 and 422, plus `statuses`. */
export function authedProblemResponses(...statuses: number[]) {
  return problemResponses(401, ...statuses);
}
