// handler.js
const net = require('net');
const fd = parseInt(process.env.FAAS_CLIENT_FD);

// Construct socket from FD (requires native module or Node 18+)
const socket = new net.Socket({ fd: fd });

socket.on('data', (data) => {
    const response = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nHello from Node!\n';
    socket.write(response);
    socket.end();
});
