import { describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../infra/config.js';

// The infrastructure script's settings are checked before anything starts: a value nginx (or another
// server) would refuse is named in one error instead of a server failing to start.

describe('infra config: gateway limits', () => {
  it('takes the documented defaults', () => {
    const config = loadInfraConfig({});
    expect(config.gateway).toEqual({
      maxBodySize: '25m',
      authRate: '10r/s',
      authBurst: 20,
      traceSampleRatio: 1,
    });
  });

  it('accepts a burst of one', () => {
    expect(loadInfraConfig({ GATEWAY_AUTH_BURST: '1' }).gateway.authBurst).toBe(1);
  });

  it.each(['0', '-3', '2.5', 'many'])('refuses GATEWAY_AUTH_BURST=%s, which nginx would refuse', (value) => {
    expect(() => loadInfraConfig({ GATEWAY_AUTH_BURST: value })).toThrow(
      /GATEWAY_AUTH_BURST must be a whole number of at least 1/,
    );
  });

  it('takes the ratio of traces the gateway begins from TRACING_SAMPLE_RATIO, as the services do', () => {
    expect(loadInfraConfig({ TRACING_SAMPLE_RATIO: '0.25' }).gateway.traceSampleRatio).toBe(0.25);
    expect(loadInfraConfig({ TRACING_SAMPLE_RATIO: '0' }).gateway.traceSampleRatio).toBe(0);
  });

  it.each(['1.5', '-0.1', 'all'])('refuses TRACING_SAMPLE_RATIO=%s', (value) => {
    expect(() => loadInfraConfig({ TRACING_SAMPLE_RATIO: value })).toThrow(
      /TRACING_SAMPLE_RATIO must be a number from 0 to 1/,
    );
  });

  it('refuses a rate and a body size nginx cannot read', () => {
    expect(() =>
      loadInfraConfig({ GATEWAY_AUTH_RATE: '10 per second', GATEWAY_MAX_BODY_SIZE: '25 MB' }),
    ).toThrow(/GATEWAY_MAX_BODY_SIZE must look like 25m\n\s+GATEWAY_AUTH_RATE must look like 10r\/s/);
  });
});
