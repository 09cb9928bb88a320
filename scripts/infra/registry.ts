import type { Component } from './component.js';
import { chroma } from './components/chroma.js';
import { ferretdb } from './components/ferretdb.js';
import { nginx } from './components/nginx.js';
import { postgres } from './components/postgres.js';
import { rabbitmq } from './components/rabbitmq.js';
import { redis } from './components/redis.js';

/** Every component, in start order (`down` stops them in reverse). */
export const COMPONENTS: readonly Component[] = [postgres, redis, rabbitmq, ferretdb, chroma, nginx];
