/**
 * A worker of the soundness campaign (soundness.ts): it checks the chunk of
 * seeds starting at each number it is sent and answers with the ChunkReport.
 * Run on its own (as `node --test` runs every file of the folder) it does nothing.
 */
import { parentPort } from 'node:worker_threads';
import { CHUNK, checkChunk } from './soundness.js';

// rejections are thrown errors, and the stacks they would capture are a good part of the cost: messages are enough
Error.stackTraceLimit = 0;
parentPort?.on('message', (first: number) => parentPort!.postMessage(checkChunk(first, CHUNK)));
