/** Name of the bearer scheme of the OpenAPI document: the caller's service token. */
export const SERVICE_TOKEN_SCHEME = 'serviceToken';

/** OpenAPI security schemes of data-mongo. */
export const securitySchemes = {
  [SERVICE_TOKEN_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    description: "The calling service's token (one per caller, from SERVICE_TOKENS).",
  },
};

/** Route-level `security`: every API route requires the service token. */
export const serviceTokenSecurity = [{ [SERVICE_TOKEN_SCHEME]: [] }];
