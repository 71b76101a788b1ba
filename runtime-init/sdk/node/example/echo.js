'use strict';
// A line echo handler on faas-sdk (runtime-init/sdk/node), the one SdkConformanceIT runs: it reads
// one line from the client and answers "echo <line>"; the line "raise" makes it throw instead, which
// the SDK reports as DONE 1; the line "traceparent" is answered "traceparent <value>", the request's
// trace context as traceparent(socket) has it ("none" for ''). An argument, "echo.js <max>", asks the
// SDK to serve at most <max> connections at once (serve's concurrency option); $FAAS_CONCURRENCY says
// how many it may.
const { serve, traceparent } = require('faas-sdk');

function readLine(socket) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        socket.off('data', onData);
        socket.pause();
        resolve(buf.slice(0, nl));
      }
    };
    socket.setEncoding('utf8');
    socket.on('data', onData);
    socket.once('end', () => resolve(buf));
    socket.once('error', reject);
  });
}

const options = process.argv.length > 2 ? { concurrency: Number(process.argv[2]) } : undefined;
serve(async (socket) => {
  const line = await readLine(socket);
  if (line === 'raise') {
    throw new Error('asked to fail');
  }
  if (line === 'traceparent') {
    const trace = traceparent(socket);
    socket.end(`traceparent ${trace === '' ? 'none' : trace}\n`);
    return;
  }
  socket.end(`echo ${line}\n`);
}, options);
