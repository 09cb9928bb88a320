import { type Context, context } from '@opentelemetry/api';
import type { Redis } from 'ioredis';

const CALLER_CONTEXT = Symbol('flotilla.redis.callerContext');

interface QueuedCommand {
  [CALLER_CONTEXT]?: Context;
}

type SendCommand = (command: QueuedCommand, ...rest: unknown[]) => unknown;

/**
 * Keeps each auto-pipelined command in the trace of the request that issued it.
 *
 * ioredis queues the commands of one event-loop turn in a pipeline and sends them from a
 * `setImmediate` callback, which runs in the async context of the first command's caller. The
 * OpenTelemetry ioredis instrumentation opens a command's span when the command is sent, in the
 * context active then, so every command of a pipeline would join the first caller's trace. Here the
 * caller's context is recorded when a command is queued and made active again while it is sent.
 * Only this client's pipelines are touched (the instance's `pipeline` and `sendCommand`, which
 * ioredis's auto-pipelining calls); the prototype the instrumentation wraps is left as it is.
 */
export function keepCallerContextInPipelines(client: Redis): void {
  const instance = client as unknown as {
    pipeline: (...args: unknown[]) => { sendCommand: SendCommand };
    sendCommand: SendCommand;
  };
  const prototype = Object.getPrototypeOf(client) as { sendCommand: SendCommand };
  const makePipeline = instance.pipeline;

  instance.pipeline = function pipelineKeepingContext(this: unknown, ...args: unknown[]) {
    const pipeline = makePipeline.apply(this, args);
    const queue = pipeline.sendCommand;
    pipeline.sendCommand = function queueWithContext(this: unknown, command, ...rest) {
      command[CALLER_CONTEXT] = context.active();
      return queue.call(this, command, ...rest);
    };
    return pipeline;
  };

  instance.sendCommand = function sendInCallerContext(this: unknown, command, ...rest) {
    // Looked up on each call: the instrumentation may wrap or unwrap the prototype's method later.
    const caller = command?.[CALLER_CONTEXT];
    if (caller === undefined) return prototype.sendCommand.call(this, command, ...rest);
    return context.with(caller, () => prototype.sendCommand.call(this, command, ...rest));
  };
}
