// handler.go
package main

import (
    "fmt"
    "net"
    "net/http"
    "os"
    "strconv"
)

func main() {
    fdStr := os.Getenv("FAAS_CLIENT_FD")
    fd, _ := strconv.Atoi(fdStr)

    // Create net.Conn from FD
    file := os.NewFile(uintptr(fd), "socket")
    conn, _ := net.FileConn(file)
    defer conn.Close()

    // Handle HTTP request
    // (simplified - would need proper HTTP parsing)
    fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nHello from Go!\n")
}
