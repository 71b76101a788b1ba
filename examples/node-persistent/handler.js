// handler.js: the design document's Node.js example (examples/node/handler.js) in persistent mode.
// The same response, written when the request's first bytes arrive; instead of making a socket of
// FAAS_CLIENT_FD and exiting, the process serves connection after connection through the SDK
// (runtime-init/sdk/node, on NODE_PATH in faas-runtime:node). The request ends when the promise
// settles: the SDK then ends the socket (flushing the response) and takes the next connection.
const { serve } = require('faas-sdk');

const response = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nHello from Node!\n';

serve((socket) => new Promise((resolve) => {
    socket.once('data', () => {
        socket.end(response, resolve);
    });
    // A client that leaves without a request ends the request too.
    socket.once('end', resolve);
    socket.once('close', resolve);
}));
