'use strict';
/*
 * faas-pool persistent-mode SDK for Node.js (18 and later): a handler process takes client
 * connections from the pool in a loop, so its start and requires leave the request path.
 *
 * Speaks control protocol version 2 (runtime-init/PROTOCOL.md, "persistent"; the contract shared by
 * every SDK is runtime-init/sdk/README.md): serve() connects to $FAAS_CONTROL_SOCK (default
 * /control.sock), says "HELLO 2 <pid> <concurrency> trace", then takes client connections -- the byte
 * 'F' carrying one descriptor (SCM_RIGHTS), or 'T' and the request's 55-byte W3C traceparent with it
 * -- answering "ACK" and "RUN <pid>" for each, runs the handler on it, closes it and says "DONE 0 <n>"
 * ("DONE 1 <n>" if the handler threw or its promise rejected), n numbering the requests from 1. Up to
 * <concurrency> handlers run at once (the next connection is received without awaiting the last
 * handler): $FAAS_CONCURRENCY (1 when unset or not a positive integer, at most 1000), or fewer with
 * serve(handler, { concurrency: n }). Until a handler's promise settles, traceparent(socket) is its
 * request's trace context.
 *
 *   const { serve } = require('faas-sdk');
 *   serve(async (socket) => { socket.end('HTTP/1.0 200 OK\r\n\r\nhello\n'); });
 *
 * Node.js cannot receive SCM_RIGHTS on a Unix socket, so faas_fd.node (faas_fd.c, N-API) connects
 * and receives; the blocking receive runs in a worker thread, leaving this thread's event loop to
 * the handler's I/O. Control lines are written synchronously on the control descriptor.
 */
const fs = require('fs');
const net = require('net');
const path = require('path');
const { Worker } = require('worker_threads');

const ADDON = path.join(__dirname, 'faas_fd.node');
const { connect } = require(ADDON);

const PROTOCOL_VERSION = 2;
const DEFAULT_CONTROL_SOCK = '/control.sock';
const MAX_CONCURRENCY = 1000; // caps what $FAAS_CONCURRENCY asks for
const MAX_LINE = 128; // bytes, with the newline (PROTOCOL.md)
// A traceparent of version 00 as the pool sends it (PROTOCOL.md, Trace context): lower-case hex,
// neither id all zeros.
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

// The trace context of each connection whose handler runs, by socket: set when it is received,
// deleted when its handler settles.
const traces = new Map();

// The receiver thread: one blocking recvFd per 'next' from the main thread, so nothing is received
// while all the handlers the SDK announced run, and the thread never sits in recvmsg when the
// process wants to exit.
const RECEIVER = `
const { parentPort, workerData } = require('worker_threads');
const { recvFd } = require(workerData.addon);
parentPort.on('message', () => {
  let msg;
  try {
    msg = recvFd(workerData.ctl);
  } catch (e) {
    msg = { error: e.message, errno: e.errno || 0, strerror: e.strerror || e.message };
  }
  parentPort.postMessage(msg);
});
`;

/**
 * Serves client connections from the pool with `handler(socket)`, up to $FAAS_CONCURRENCY at once (1
 * when unset, empty or not a positive integer; at most 1000), or at most `options.concurrency` (below
 * 1 counts as 1) when that is fewer.
 *
 * `socket` is a net.Socket on the client's TCP connection. The request ends when the promise the
 * handler returns settles (a plain return value counts as resolved): the SDK then ends the socket,
 * letting what the handler wrote flush, destroys it and, once it has closed, says DONE -- `DONE 1 <n>`
 * if the handler threw or its promise rejected (logged as one line on stderr), else `DONE 0 <n>`.
 * With a concurrency above 1 the SDK takes the next connection without awaiting the handler, so
 * handlers' awaits interleave.
 *
 * Returns a promise that resolves when the pool closes the control connection, once the handlers
 * still running have settled. A control-socket or protocol failure is reported to the pool as
 * "FAIL <stage> <errno> <text>" and ends the process with exit code 1, after one line on stderr
 * prefixed "faas-sdk:".
 *
 * @param {(socket: net.Socket) => (Promise<void>|void)} handler
 * @param {{concurrency?: number}} [options]
 * @returns {Promise<void>}
 */
async function serve(handler, options = {}) {
  const sockPath = process.env.FAAS_CONTROL_SOCK || DEFAULT_CONTROL_SOCK;
  let ctl;
  try {
    ctl = connect(sockPath);
  } catch (e) {
    die(-1, null, 0, '', e.message);
  }
  const concurrency = concurrencyOf(process.env.FAAS_CONCURRENCY, options && options.concurrency);
  send(ctl, `HELLO ${PROTOCOL_VERSION} ${process.pid} ${concurrency} trace`, 'HELLO');

  const receiver = new Worker(RECEIVER, { eval: true, workerData: { ctl, addon: ADDON } });
  const running = new Set(); // the requests whose DONE is not out yet
  try {
    for (let request = 1; ; request++) {
      while (running.size >= concurrency) {
        await Promise.race(running); // receive nothing while all of them run
      }
      const msg = await receive(receiver, ctl);
      if (msg.error) {
        die(ctl, 'recv', msg.errno, msg.strerror, msg.error);
      }
      if (msg.byte < 0) {
        await Promise.all(running); // the pool is done with this container: let the handlers finish
        return;
      }
      let trace = '';
      if (msg.byte === 0x54 /* 'T' */) {
        if (!TRACEPARENT.test(msg.rest)) {
          closeFd(msg.fd);
          die(ctl, 'proto', 0, '', 'bad trace context');
        }
        trace = msg.rest;
      } else if (msg.byte !== 0x46 /* 'F' */ || msg.rest !== '') {
        closeFd(msg.fd);
        die(ctl, 'proto', 0, '', 'unexpected message from the pool');
      }
      if (msg.fd < 0) {
        die(ctl, 'nofd', 0, '', 'message did not carry exactly one descriptor');
      }
      let socket;
      try {
        socket = new net.Socket({ fd: msg.fd, readable: true, writable: true });
      } catch (e) {
        closeFd(msg.fd);
        die(ctl, 'recv', Math.abs(e.errno || 0), e.code || e.message, `the client descriptor: ${e.message}`);
      }
      if (trace) {
        traces.set(socket, trace);
      }
      send(ctl, `ACK\nRUN ${process.pid}`, 'ACK'); // two lines, one write (PROTOCOL.md)
      const done = serveOne(ctl, handler, socket, request).finally(() => running.delete(done));
      running.add(done);
    }
  } finally {
    await receiver.terminate();
    closeFd(ctl);
  }
}

/**
 * How many connections to serve at once: `env` ($FAAS_CONCURRENCY) when it is a positive decimal
 * integer, at most MAX_CONCURRENCY, else 1; no more than `requested` unless that is undefined or null.
 */
function concurrencyOf(env, requested) {
  let n = 1;
  if (typeof env === 'string' && /^[0-9]+$/.test(env)) {
    n = Math.max(1, Math.min(Number(env), MAX_CONCURRENCY));
  }
  if (requested !== undefined && requested !== null) {
    n = Math.min(n, Math.max(1, Math.floor(Number(requested)) || 1));
  }
  return n;
}

/**
 * The W3C traceparent of the request on `socket`, the connection a handler of serve() was given, until
 * that handler's promise settles: 55 characters, "00-<trace id>-<parent id>-<flags>", which the
 * handler's own spans take as their parent. '' when the request came without one (or `socket` is no
 * running handler's connection).
 *
 * @param {net.Socket} socket
 * @returns {string}
 */
function traceparent(socket) {
  return traces.get(socket) || '';
}

/** One request: the handler, the socket's close, then DONE. Never rejects. */
async function serveOne(ctl, handler, socket, request) {
  const status = await run(handler, socket);
  traces.delete(socket); // the request is over: its context goes with it
  try {
    await close(socket);
  } catch (e) {
    log(`connection close failed: ${e.message}`);
  }
  try {
    // Written synchronously, on this thread: lines of concurrent requests cannot interleave.
    writeLine(ctl, `DONE ${status} ${request}`);
  } catch (e) {
    // the pool went away: the receiver sees it
  }
}

/** Runs the handler to its end; 0 if it returned or resolved, 1 if it threw or rejected. */
async function run(handler, socket) {
  // An 'error' event with no listener would end the process; the handler sees errors through its
  // own listeners and calls, the SDK only logs them.
  socket.on('error', (e) => log(`connection error: ${e.message}`));
  try {
    await handler(socket);
    return 0;
  } catch (e) {
    log(`handler failed: ${e && e.stack ? String(e.stack).split('\n')[0] : e}`);
    return 1;
  }
}

/** Ends the socket, flushing what the handler wrote, destroys it and resolves once it has closed. */
function close(socket) {
  return new Promise((resolve) => {
    if (socket.closed) {
      resolve();
      return;
    }
    socket.once('close', () => resolve());
    if (socket.destroyed || socket.writableFinished) {
      socket.destroy();
    } else {
      socket.end(() => socket.destroy());
    }
  });
}

/** Asks the receiver thread for the next message and waits for it. */
function receive(receiver, ctl) {
  return new Promise((resolve) => {
    const done = () => {
      receiver.off('message', onMessage);
      receiver.off('error', onError);
      receiver.off('exit', onExit);
    };
    const onMessage = (msg) => {
      done();
      resolve(msg);
    };
    const onError = (e) => {
      done();
      die(ctl, 'recv', 0, 'receiver thread failed', `receiver thread failed: ${e.message}`);
    };
    const onExit = (code) => {
      done();
      die(ctl, 'recv', 0, 'receiver thread exited', `receiver thread exited with code ${code}`);
    };
    receiver.on('message', onMessage);
    receiver.on('error', onError);
    receiver.on('exit', onExit);
    receiver.postMessage('next');
  });
}

function writeLine(ctl, line) {
  let buf = Buffer.from(line, 'latin1').subarray(0, MAX_LINE - 1);
  buf = Buffer.concat([buf, Buffer.from('\n')]);
  for (let off = 0; off < buf.length;) {
    off += fs.writeSync(ctl, buf, off, buf.length - off);
  }
}

function send(ctl, line, what) {
  try {
    writeLine(ctl, line);
  } catch (e) {
    die(-1, null, 0, '', `send ${what}: ${e.message}`);
  }
}

function closeFd(fd) {
  if (fd >= 0) {
    try {
      fs.closeSync(fd);
    } catch (e) {
      // already gone
    }
  }
}

function log(text) {
  process.stderr.write(`faas-sdk: ${String(text).split(/\s+/).join(' ')}\n`);
}

/**
 * Reports a failure to the pool (best effort, when `stage` is given), logs `what` and exits 1.
 * stderr is written synchronously, so the line is out before the process ends.
 */
function die(ctl, stage, errno, reason, what) {
  if (ctl >= 0 && stage) {
    try {
      writeLine(ctl, `FAIL ${stage} ${errno} ${reason || what}`);
    } catch (e) {
      // best effort
    }
  }
  try {
    fs.writeSync(2, `faas-sdk: ${String(what).split(/\s+/).join(' ')}\n`);
  } catch (e) {
    // nowhere left to say it
  }
  process.exit(1);
}

module.exports = { serve, traceparent, PROTOCOL_VERSION, MAX_CONCURRENCY };
