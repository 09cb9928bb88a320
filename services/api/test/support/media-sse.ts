/** One Server-Sent Events frame: its event name (`message` when unnamed), data, and comment lines. */
export interface SseFrame {
  event: string;
  data: string;
  id?: string;
  comment?: string;
}

/** Reads an event stream frame by frame, as a browser's EventSource would parse it. */
export function readSse(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;

  function parse(block: string): SseFrame {
    const frame: SseFrame = { event: 'message', data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comment = line.slice(1).trim();
      else if (line.startsWith('event:')) frame.event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      else if (line.startsWith('id:')) frame.id = line.slice(3).trim();
    }
    frame.data = data.join('\n');
    return frame;
  }

  return {
    /** The next frame, or `undefined` once the server has closed the stream. */
    async next(): Promise<SseFrame | undefined> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return parse(block);
        }
        if (done) return undefined;
        const chunk = await reader.read();
        if (chunk.done) done = true;
        else buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    /** The next frame that is an event (skipping heartbeat comments and the retry hint). */
    async nextEvent(): Promise<SseFrame | undefined> {
      for (;;) {
        const frame = await this.next();
        if (frame?.data !== '') return frame;
      }
    },
    cancel: () => reader.cancel(),
  };
}
